using MiniContainer.Api;
using MiniContainer.Images;
using MiniContainer.Networking;
using MiniContainer.Volumes;
using Xunit;

namespace MiniContainer.UnitTests.Api;

/// <summary>The filters of GET /networks, /volumes, /images/json and every prune endpoint, with dockerd's rules: label values
/// ANDed (label! in prune: an object matching all of them is kept), other values ORed within their key, keys ANDed.</summary>
public sealed class ResourceFiltersTests
{
    private static FilterArgs F(string json) => FilterArgs.Parse(json);
    private static readonly Dictionary<string, string> Both = new() { ["a"] = "1", ["b"] = "2" };
    private static readonly Dictionary<string, string> OnlyA = new() { ["a"] = "1" };

    // ------------------------------------------------------------ networks

    private static NetworkInspect Net(string name, Dictionary<string, string>? labels = null, int containers = 0, string id = "") => new()
    {
        Name = name, Id = id.Length > 0 ? id : name + "0000", Labels = labels ?? new(),
        Containers = Enumerable.Range(0, containers).ToDictionary(i => "c" + i, _ => new NetworkContainer()),
    };

    [Fact]
    public void Network_labels_are_ANDed()
    {
        var filter = NetworkRoutes.ListFilter(F("{\"label\":[\"a=1\",\"b=2\"]}"));
        Assert.True(filter(Net("n1", Both)));
        Assert.False(filter(Net("n2", OnlyA)));
    }

    [Fact]
    public void Network_name_id_driver_type_and_dangling_follow_dockerd()
    {
        Assert.True(NetworkRoutes.ListFilter(F("{\"name\":[\"front\",\"back\"]}"))(Net("mc-back")));   // regex, ORed
        Assert.False(NetworkRoutes.ListFilter(F("{\"name\":[\"^front$\"]}"))(Net("frontier")));
        Assert.True(NetworkRoutes.ListFilter(F("{\"id\":[\"ab12\"]}"))(Net("x", id: "ab12ff")));
        Assert.True(NetworkRoutes.ListFilter(F("{\"driver\":[\"bridge\"]}"))(Net("x")));
        Assert.False(NetworkRoutes.ListFilter(F("{\"driver\":[\"overlay\"]}"))(Net("x")));
        Assert.True(NetworkRoutes.ListFilter(F("{\"type\":[\"builtin\"]}"))(Net("bridge")));
        Assert.False(NetworkRoutes.ListFilter(F("{\"type\":[\"builtin\"]}"))(Net("mine")));
        Assert.True(NetworkRoutes.ListFilter(F("{\"type\":[\"builtin\",\"custom\"]}"))(Net("mine")));
        Assert.True(NetworkRoutes.ListFilter(F("{\"dangling\":[\"true\"]}"))(Net("mine")));
        Assert.False(NetworkRoutes.ListFilter(F("{\"dangling\":[\"1\"]}"))(Net("mine", containers: 1)));
        Assert.False(NetworkRoutes.ListFilter(F("{\"dangling\":[\"true\"]}"))(Net("bridge")));
        // different keys ANDed
        Assert.False(NetworkRoutes.ListFilter(F("{\"name\":[\"mine\"],\"label\":[\"a\"]}"))(Net("mine")));
    }

    [Theory]
    [InlineData("{\"colour\":[\"x\"]}", "invalid filter 'colour'")]
    [InlineData("{\"type\":[\"other\"]}", "invalid filter: 'type'='other'")]
    [InlineData("{\"dangling\":[\"maybe\"]}", "invalid filter 'dangling=maybe'")]
    [InlineData("{\"dangling\":[\"true\",\"false\"]}", "invalid filter 'dangling=false,true'")]
    public void Network_bad_filters_are_refused(string json, string message) =>
        Assert.Equal(message, Assert.Throws<BadRequestException>(() => NetworkRoutes.ListFilter(F(json))).Message);

    // ------------------------------------------------------------ volumes

    private static Volume Vol(string name, Dictionary<string, string>? labels = null) => new() { Name = name, Labels = labels ?? new() };

    [Fact]
    public void Volume_labels_are_ANDed_names_ORed_and_dangling_asks_about_use()
    {
        var byLabels = VolumeRoutes.ListFilter(F("{\"label\":[\"a=1\",\"b=2\"]}"), _ => false);
        Assert.True(byLabels(Vol("v1", Both)));
        Assert.False(byLabels(Vol("v2", OnlyA)));
        var byName = VolumeRoutes.ListFilter(F("{\"name\":[\"data\",\"logs\"]}"), _ => false);
        Assert.True(byName(Vol("app-logs")));
        Assert.False(byName(Vol("cache")));
        Assert.True(VolumeRoutes.ListFilter(F("{\"dangling\":[\"true\"]}"), n => n == "used")(Vol("free")));
        Assert.False(VolumeRoutes.ListFilter(F("{\"dangling\":[\"true\"]}"), n => n == "used")(Vol("used")));
        Assert.False(VolumeRoutes.ListFilter(F("{\"driver\":[\"nfs\"]}"), _ => false)(Vol("x")));
        Assert.Equal("invalid filter 'until'", Assert.Throws<BadRequestException>(() => VolumeRoutes.ListFilter(F("{\"until\":[\"1h\"]}"), _ => false)).Message);
    }

    // ------------------------------------------------------------ images

    private static Image Img(string id, DateTimeOffset created, Dictionary<string, string>? labels = null, params string[] tags) =>
        new(id, [], new ImageConfig { Created = created.ToString("O"), Config = new ContainerDefaults { Labels = labels } }, [], 0, tags, []);

    [Fact]
    public void Image_labels_are_ANDed_and_before_since_until_dangling_bound_the_list()
    {
        var t = DateTimeOffset.UtcNow.AddHours(-3);
        var old = Img("sha256:old", t, Both, "old:1");
        var mid = Img("sha256:mid", t.AddHours(1), OnlyA, "mid:1");
        var young = Img("sha256:young", t.AddHours(2), null);
        Func<string, Image> lookup = r => r switch { "old:1" => old, "mid:1" => mid, _ => throw new NotFoundException("No such image: " + r) };

        var labels = ImageRoutes.ListFilter(F("{\"label\":[\"a=1\",\"b=2\"]}"), lookup);
        Assert.True(labels(old));
        Assert.False(labels(mid));
        Assert.False(labels(young));
        Assert.True(ImageRoutes.ListFilter(F("{\"before\":[\"mid:1\"]}"), lookup)(old));
        Assert.False(ImageRoutes.ListFilter(F("{\"before\":[\"mid:1\"]}"), lookup)(young));
        Assert.True(ImageRoutes.ListFilter(F("{\"since\":[\"mid:1\"]}"), lookup)(young));
        Assert.False(ImageRoutes.ListFilter(F("{\"since\":[\"mid:1\"]}"), lookup)(mid));
        Assert.True(ImageRoutes.ListFilter(F("{\"until\":[\"90m\"]}"), lookup)(mid));
        Assert.False(ImageRoutes.ListFilter(F("{\"until\":[\"90m\"]}"), lookup)(young));
        Assert.True(ImageRoutes.ListFilter(F("{\"dangling\":[\"true\"]}"), lookup)(young));
        Assert.False(ImageRoutes.ListFilter(F("{\"dangling\":[\"true\"]}"), lookup)(old));
        Assert.Throws<NotFoundException>(() => ImageRoutes.ListFilter(F("{\"since\":[\"nosuch\"]}"), lookup));
        Assert.Equal("invalid filter 'label!'", Assert.Throws<BadRequestException>(() => ImageRoutes.ListFilter(F("{\"label!\":[\"a\"]}"), lookup)).Message);
    }

    // ------------------------------------------------------------ prune

    [Fact]
    public void Prune_labels_are_ANDed()
    {
        var f = F("{\"label\":[\"a=1\",\"b=2\"]}");
        PruneFilters.Validate(f);
        Assert.True(PruneFilters.Matches(f, Both, DateTimeOffset.UtcNow));
        Assert.False(PruneFilters.Matches(f, OnlyA, DateTimeOffset.UtcNow));
        Assert.False(PruneFilters.Matches(f, null, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Prune_label_not_keeps_what_matches_every_label_not_value_as_dockerd()
    {
        var one = F("{\"label!\":[\"b\"]}");
        Assert.False(PruneFilters.Matches(one, Both, DateTimeOffset.UtcNow));
        Assert.True(PruneFilters.Matches(one, OnlyA, DateTimeOffset.UtcNow));
        Assert.True(PruneFilters.Matches(one, null, DateTimeOffset.UtcNow));
        // dockerd's matchLabels: excluded only when the object matches all the label! values together.
        var two = F("{\"label!\":[\"a\",\"b\"]}");
        Assert.False(PruneFilters.Matches(two, Both, DateTimeOffset.UtcNow));
        Assert.True(PruneFilters.Matches(two, OnlyA, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Prune_until_keeps_objects_created_after_it_and_takes_one_value()
    {
        var f = F("{\"until\":[\"1h\"]}");
        Assert.True(PruneFilters.Matches(f, null, DateTimeOffset.UtcNow.AddHours(-2)));
        Assert.False(PruneFilters.Matches(f, null, DateTimeOffset.UtcNow));
        Assert.Equal("more than one until filter specified", Assert.Throws<BadRequestException>(() => PruneFilters.Validate(F("{\"until\":[\"1h\",\"2h\"]}"))).Message);
        Assert.Equal("invalid filter 'name'", Assert.Throws<BadRequestException>(() => PruneFilters.Validate(F("{\"name\":[\"x\"]}"))).Message);
        PruneFilters.Validate(F("{\"dangling\":[\"true\"]}"), "dangling");
    }
}
