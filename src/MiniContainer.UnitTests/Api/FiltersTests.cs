using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Networking;
using Xunit;

namespace MiniContainer.UnitTests.Api;

/// <summary>`docker ps --filter …`: the JSON the CLI sends, and which containers each filter keeps, as dockerd decides.</summary>
public sealed class FiltersTests
{
    private static Container Make(string name, string status, int exitCode = 0, Dictionary<string, string>? labels = null, string id = "",
                                  DateTimeOffset? created = null, string image = "sha256:busybox")
    {
        var record = new ContainerRecord
        {
            Id = id.Length > 0 ? id : Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            Name = "/" + name,
            Image = image,
            Created = created ?? DateTimeOffset.UtcNow,
            State = new ContainerState
            {
                Status = status, Running = status == "running", ExitCode = exitCode,
                StartedAt = status == "created" ? ContainerState.ZeroTime : "2026-01-01T00:00:00Z",
            },
            Config = new ContainerConfig { Labels = labels ?? new Dictionary<string, string>(), Image = "busybox" },
        };
        return new Container(record, "/nonexistent/dir", "/nonexistent/run");
    }

    private static bool Match(Container c, string filtersJson, IReadOnlyCollection<Container>? all = null) =>
        new ContainerFilter(FilterArgs.Parse(filtersJson), all ?? [c], _ => null).Includes(c);

    [Fact]
    public void Parse_reads_the_current_list_shape()
    {
        var f = FilterArgs.Parse("{\"name\":[\"web\"],\"status\":[\"exited\",\"created\"]}");
        Assert.Equal(["web"], f.Get("name"));
        Assert.Equal(["created", "exited"], f.Get("status"));
    }

    [Fact]
    public void Parse_reads_the_old_map_shape_keeping_only_true_values()
    {
        var f = FilterArgs.Parse("{\"name\":{\"web\":true},\"label\":{\"env=prod\":true,\"tier\":true,\"off\":false}}");
        Assert.Equal(["web"], f.Get("name"));
        Assert.Equal(["env=prod", "tier"], f.Get("label"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Parse_of_nothing_is_no_filters(string? json) => Assert.Equal(0, FilterArgs.Parse(json).Count);

    [Theory]
    [InlineData("{\"name\":[\"web\"")]
    [InlineData("[\"web\"]")]
    [InlineData("{\"name\":\"web\"}")]
    public void Parse_of_broken_json_is_a_bad_request(string json) =>
        Assert.Throws<BadRequestException>(() => FilterArgs.Parse(json));

    [Fact]
    public void Name_is_an_unanchored_regular_expression_ORed_across_values()
    {
        Assert.True(Match(Make("web", "running"), "{\"name\":[\"web\"]}"));
        Assert.True(Match(Make("my-web-1", "running"), "{\"name\":[\"web\"]}"));
        Assert.False(Match(Make("db", "running"), "{\"name\":[\"web\"]}"));
        Assert.True(Match(Make("db", "running"), "{\"name\":[\"web\",\"db\"]}"));
        Assert.False(Match(Make("db", "running"), "{\"name\":[\"(\"]}"));   // not an expression: matches nothing
    }

    [Fact]
    public void Name_regex_is_matched_with_and_without_the_leading_slash_as_docker_does()
    {
        Assert.True(Match(Make("web", "running"), "{\"name\":[\"^/web$\"]}"));
        Assert.True(Match(Make("web", "running"), "{\"name\":[\"^web$\"]}"));
        Assert.False(Match(Make("web-2", "running"), "{\"name\":[\"^/web$\"]}"));
    }

    [Fact]
    public void Status_keeps_containers_in_any_of_the_given_states()
    {
        Assert.True(Match(Make("a1", "exited"), "{\"status\":[\"exited\"]}"));
        Assert.False(Match(Make("a1", "running"), "{\"status\":[\"exited\"]}"));
        Assert.True(Match(Make("a1", "created"), "{\"status\":[\"exited\",\"created\"]}"));
    }

    [Fact]
    public void An_unknown_status_or_health_or_exit_code_is_a_bad_request()
    {
        Assert.Equal("invalid filter 'status=sleeping'", Assert.Throws<BadRequestException>(() => Match(Make("a1", "running"), "{\"status\":[\"sleeping\"]}")).Message);
        Assert.Equal("Unrecognised filter value for health: fine", Assert.Throws<BadRequestException>(() => Match(Make("a1", "running"), "{\"health\":[\"fine\"]}")).Message);
        Assert.Equal("invalid filter 'exited=zero'", Assert.Throws<BadRequestException>(() => Match(Make("a1", "running"), "{\"exited\":[\"zero\"]}")).Message);
        Assert.Equal("invalid filter 'is-task=maybe'", Assert.Throws<BadRequestException>(() => Match(Make("a1", "running"), "{\"is-task\":[\"maybe\"]}")).Message);
    }

    [Fact]
    public void Id_matches_a_prefix_ORed_across_values()
    {
        var c = Make("a1", "running", id: "4f2a9c0e" + new string('1', 56));
        Assert.True(Match(c, "{\"id\":[\"4f2a\"]}"));
        Assert.True(Match(c, "{\"id\":[\"" + c.Record.Id + "\"]}"));
        Assert.False(Match(c, "{\"id\":[\"9999\"]}"));
        Assert.True(Match(c, "{\"id\":[\"9999\",\"4f2a\"]}"));
    }

    [Fact]
    public void Label_matches_a_key_or_a_key_and_value()
    {
        var c = Make("a1", "running", labels: new() { ["env"] = "prod", ["com.example.team"] = "db=main" });
        Assert.True(Match(c, "{\"label\":[\"env\"]}"));
        Assert.True(Match(c, "{\"label\":[\"env=prod\"]}"));
        Assert.False(Match(c, "{\"label\":[\"env=dev\"]}"));
        Assert.False(Match(c, "{\"label\":[\"tier\"]}"));
        Assert.True(Match(c, "{\"label\":[\"com.example.team=db=main\"]}"));
        Assert.False(Match(Make("nolabels", "running"), "{\"label\":[\"env\"]}"));
    }

    [Fact]
    public void Label_values_are_ANDed_as_docker_compose_relies_on()
    {
        // docker-compose 1.29 asks for project=p AND service=s; ORing them counted every container of the project.
        var web = Make("p_web_1", "running", labels: new() { ["project"] = "p", ["service"] = "web" });
        var db = Make("p_db_1", "running", labels: new() { ["project"] = "p", ["service"] = "db" });
        const string filter = "{\"label\":[\"project=p\",\"service=web\"]}";
        Assert.True(Match(web, filter));
        Assert.False(Match(db, filter));
        Assert.False(Match(web, "{\"label\":[\"project=p\",\"oneoff\"]}"));
    }

    [Fact]
    public void Exited_matches_the_exit_code_of_containers_that_ran_and_stopped()
    {
        Assert.True(Match(Make("a1", "exited", 0), "{\"exited\":[\"0\"]}"));
        Assert.False(Match(Make("a1", "exited", 1), "{\"exited\":[\"0\"]}"));
        Assert.True(Match(Make("a1", "exited", 137), "{\"exited\":[\"0\",\"137\"]}"));
        Assert.False(Match(Make("a1", "running", 0), "{\"exited\":[\"0\"]}"));
        Assert.False(Match(Make("a1", "created", 0), "{\"exited\":[\"0\"]}"));   // never started
    }

    [Fact]
    public void Different_filters_must_all_match()
    {
        var c = Make("web", "exited", 0, new() { ["env"] = "prod" });
        Assert.True(Match(c, "{\"name\":[\"web\"],\"status\":[\"exited\"],\"label\":[\"env=prod\"]}"));
        Assert.False(Match(c, "{\"name\":[\"web\"],\"status\":[\"running\"]}"));
        Assert.False(Match(c, "{\"name\":[\"db\"],\"label\":[\"env=prod\"]}"));
    }

    [Fact]
    public void Network_matches_a_network_name_or_ID_prefix_ORed()
    {
        var c = Make("a1", "running");
        c.Record.NetworkSettings.Networks["front"] = new EndpointSettings { NetworkID = "abc123" };
        Assert.True(Match(c, "{\"network\":[\"front\"]}"));
        Assert.True(Match(c, "{\"network\":[\"abc\"]}"));
        Assert.False(Match(c, "{\"network\":[\"back\"]}"));
        Assert.True(Match(c, "{\"network\":[\"back\",\"front\"]}"));
    }

    [Fact]
    public void Volume_matches_a_volume_name_or_a_mount_point_ORed()
    {
        var c = Make("a1", "running");
        c.Record.Mounts.Add(new MountPoint { Type = "volume", Name = "data", Source = "/var/lib/x/data/_data", Destination = "/data" });
        Assert.True(Match(c, "{\"volume\":[\"data\"]}"));
        Assert.True(Match(c, "{\"volume\":[\"/data\"]}"));
        Assert.False(Match(c, "{\"volume\":[\"logs\"]}"));
        Assert.True(Match(c, "{\"volume\":[\"logs\",\"/data\"]}"));
    }

    [Fact]
    public void Ancestor_matches_the_image_and_images_built_on_it_and_an_unknown_image_matches_nothing()
    {
        var c = Make("a1", "running", image: "sha256:child");
        var filter = new ContainerFilter(FilterArgs.Parse("{\"ancestor\":[\"base\",\"nosuch\"]}"), [c],
            r => r == "base" ? ["sha256:base", "sha256:child"] : null);
        Assert.True(filter.Includes(c));
        Assert.False(new ContainerFilter(FilterArgs.Parse("{\"ancestor\":[\"nosuch\"]}"), [c], _ => null).Includes(c));
    }

    [Fact]
    public void Before_and_since_keep_containers_created_before_or_after_the_named_one()
    {
        var t = DateTimeOffset.UtcNow;
        var old = Make("old", "exited", created: t.AddMinutes(-2));
        var mid = Make("mid", "exited", created: t.AddMinutes(-1));
        var young = Make("young", "exited", created: t);
        Container[] all = [old, mid, young];
        Assert.True(Match(old, "{\"before\":[\"mid\"]}", all));
        Assert.False(Match(young, "{\"before\":[\"mid\"]}", all));
        Assert.False(Match(mid, "{\"before\":[\"mid\"]}", all));
        Assert.True(Match(young, "{\"since\":[\"" + mid.Record.Id[..12] + "\"]}", all));
        Assert.False(Match(old, "{\"since\":[\"mid\"]}", all));
        Assert.Throws<NotFoundException>(() => Match(old, "{\"since\":[\"nosuch\"]}", all));
    }

    [Fact]
    public void Publish_and_expose_match_the_containers_ports()
    {
        var c = Make("a1", "running");
        c.Record.NetworkSettings.Ports["80/tcp"] = [new PortBinding { HostIp = "0.0.0.0", HostPort = "8080" }];
        c.Record.NetworkSettings.Ports["53/udp"] = null;
        Assert.True(Match(c, "{\"publish\":[\"8080\"]}"));
        Assert.True(Match(c, "{\"publish\":[\"8000-8100/tcp\"]}"));
        Assert.False(Match(c, "{\"publish\":[\"80\"]}"));
        Assert.True(Match(c, "{\"expose\":[\"80\"]}"));
        Assert.True(Match(c, "{\"expose\":[\"53/udp\"]}"));
        Assert.False(Match(c, "{\"expose\":[\"53\"]}"));
        Assert.Throws<BadRequestException>(() => Match(c, "{\"publish\":[\"127.0.0.1:8080\"]}"));
    }

    [Fact]
    public void Health_none_and_is_task_false_match_containers_without_healthcheck_or_swarm()
    {
        var c = Make("a1", "running");
        Assert.True(Match(c, "{\"health\":[\"none\"]}"));
        Assert.False(Match(c, "{\"health\":[\"healthy\"]}"));
        Assert.True(Match(c, "{\"is-task\":[\"false\"]}"));
        Assert.False(Match(c, "{\"is-task\":[\"true\"]}"));
        Assert.True(Match(c, "{\"isolation\":[\"default\"]}"));   // dockerd ignores it on Linux
    }

    [Fact]
    public void An_unknown_filter_is_a_bad_request_naming_it()
    {
        var e = Assert.Throws<BadRequestException>(() => Match(Make("a1", "running"), "{\"colour\":[\"blue\"]}"));
        Assert.Equal("invalid filter 'colour'", e.Message);
    }
}
