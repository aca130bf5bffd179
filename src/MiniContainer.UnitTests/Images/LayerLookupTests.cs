using MiniContainer.Images;
using Xunit;

namespace MiniContainer.UnitTests.Images;

/// <summary>An image's paths read from its layer directories as overlayfs shows them, never through a host symlink.</summary>
public sealed class LayerLookupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-layerlookup-").FullName;
    private readonly string _top, _bottom;

    public LayerLookupTests()
    {
        _top = Directory.CreateDirectory(Path.Combine(_dir, "top")).FullName;
        _bottom = Directory.CreateDirectory(Path.Combine(_dir, "bottom")).FullName;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Layers => new[] { _top, _bottom };

    private string Make(string layer, string path)
    {
        string full = Path.Combine(layer, path);
        Directory.CreateDirectory(full);
        return full;
    }

    [Fact]
    public void The_topmost_layer_that_has_a_path_gives_it()
    {
        Make(_bottom, "etc/app");
        string top = Make(_top, "etc/app");
        Assert.Equal(top, LayerLookup.Find(Layers, "/etc/app")?.HostPath);
        string lowerOnly = Make(_bottom, "var/lib");
        Assert.Equal(lowerOnly, LayerLookup.Find(Layers, "/var/lib")?.HostPath);
        Assert.Null(LayerLookup.Find(Layers, "/nowhere"));
    }

    [Fact]
    public void A_layers_absolute_symlink_is_never_followed_on_the_host()
    {
        Make(_bottom, "etc");
        File.CreateSymbolicLink(Path.Combine(_top, "data"), "/");
        // Path.Combine(layer, "data/etc") would be the host's /etc: the lookup stops at the link instead.
        Assert.Null(LayerLookup.Find(Layers, "/data/etc"));
        Assert.True(LayerLookup.Find(Layers, "/data")?.Status.IsSymbolicLink);
        // Resolved as the container sees it: /data/etc is the image's /etc, found in the bottom layer.
        Assert.Equal("/etc", LayerLookup.Resolve(Layers, "/data/etc"));
        Assert.Equal(Path.Combine(_bottom, "etc"), LayerLookup.Find(Layers, LayerLookup.Resolve(Layers, "/data/etc"))?.HostPath);
    }

    [Fact]
    public void Relative_links_never_climb_above_the_image_root()
    {
        Make(_top, "srv");
        File.CreateSymbolicLink(Path.Combine(_top, "srv", "up"), "../../../../../..");
        Assert.Equal("/etc", LayerLookup.Resolve(Layers, "/srv/up/etc"));
    }

    [Fact]
    public void A_file_or_link_in_an_upper_layer_hides_the_directories_below_it()
    {
        Make(_bottom, "opt/tool");
        File.WriteAllText(Path.Combine(_top, "opt"), "a file now");
        Assert.Null(LayerLookup.Find(Layers, "/opt/tool"));
        Assert.False(LayerLookup.Find(Layers, "/opt")?.Status.IsDirectory);
    }

    [Fact]
    public void A_directory_of_an_upper_layer_does_not_open_a_lower_layers_link_at_the_same_place()
    {
        Make(_top, "data");                                         // the container sees a directory at /data…
        File.CreateSymbolicLink(Path.Combine(_bottom, "data"), "/"); // …not the lower layer's link to "/"
        Assert.Null(LayerLookup.Find(Layers, "/data/etc"));
        Assert.Equal("/data/etc", LayerLookup.Resolve(Layers, "/data/etc"));
    }
}
