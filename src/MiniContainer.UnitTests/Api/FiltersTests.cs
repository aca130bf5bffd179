using MiniContainer.Api;
using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Api;

/// <summary>`docker ps --filter …`: the JSON the CLI sends, and which containers each filter keeps.</summary>
public sealed class FiltersTests
{
    private static Container Make(string name, string status, int exitCode = 0, Dictionary<string, string>? labels = null, string id = "")
    {
        var record = new ContainerRecord
        {
            Id = id.Length > 0 ? id : Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            Name = "/" + name,
            State = new ContainerState { Status = status, Running = status == "running", ExitCode = exitCode },
            Config = new ContainerConfig { Labels = labels ?? new Dictionary<string, string>(), Image = "busybox" },
        };
        return new Container(record, "/nonexistent/dir", "/nonexistent/run");
    }

    private static bool Match(Container c, string filtersJson) => Filters.MatchContainer(c, Filters.Parse(filtersJson));

    [Fact]
    public void Parse_reads_the_current_list_shape()
    {
        var f = Filters.Parse("{\"name\":[\"web\"],\"status\":[\"exited\",\"created\"]}");
        Assert.Equal(["web"], f["name"]);
        Assert.Equal(["exited", "created"], f["status"]);
    }

    [Fact]
    public void Parse_reads_the_old_map_shape()
    {
        var f = Filters.Parse("{\"name\":{\"web\":true},\"label\":{\"env=prod\":true,\"tier\":true}}");
        Assert.Equal(["web"], f["name"]);
        Assert.Equal(["env=prod", "tier"], f["label"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Parse_of_nothing_is_no_filters(string? json) => Assert.Empty(Filters.Parse(json));

    [Fact]
    public void Parse_of_broken_json_is_a_bad_request()
    {
        Assert.Throws<BadRequestException>(() => Filters.Parse("{\"name\":[\"web\""));
    }

    [Fact]
    public void Name_is_an_unanchored_regular_expression()
    {
        Assert.True(Match(Make("web", "running"), "{\"name\":[\"web\"]}"));
        Assert.True(Match(Make("my-web-1", "running"), "{\"name\":[\"web\"]}"));
        Assert.False(Match(Make("db", "running"), "{\"name\":[\"web\"]}"));
        Assert.True(Match(Make("db", "running"), "{\"name\":[\"web\",\"db\"]}"));
    }

    [Fact]
    public void Name_regex_is_matched_against_the_name_with_its_slash_as_docker_does()
    {
        // dockerd matches the regex against Container.Name, "/web": `docker ps -f name=^/web$` is the usual way
        // to ask for exactly "web".
        Assert.True(Match(Make("web", "running"), "{\"name\":[\"^/web$\"]}"));
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
    public void An_unknown_status_is_a_bad_request()
    {
        var e = Assert.Throws<BadRequestException>(() => Match(Make("a1", "running"), "{\"status\":[\"sleeping\"]}"));
        Assert.Contains("status=sleeping", e.Message);
    }

    [Fact]
    public void Id_matches_a_prefix()
    {
        var c = Make("a1", "running", id: "4f2a9c0e" + new string('1', 56));
        Assert.True(Match(c, "{\"id\":[\"4f2a\"]}"));
        Assert.True(Match(c, "{\"id\":[\"" + c.Record.Id + "\"]}"));
        Assert.False(Match(c, "{\"id\":[\"9999\"]}"));
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
    }

    [Fact]
    public void Exited_matches_the_exit_code_of_stopped_containers_only()
    {
        Assert.True(Match(Make("a1", "exited", 0), "{\"exited\":[\"0\"]}"));
        Assert.False(Match(Make("a1", "exited", 1), "{\"exited\":[\"0\"]}"));
        Assert.True(Match(Make("a1", "exited", 137), "{\"exited\":[\"0\",\"137\"]}"));
        Assert.False(Match(Make("a1", "running", 0), "{\"exited\":[\"0\"]}"));
    }

    [Fact]
    public void Different_filters_must_all_match()
    {
        var c = Make("web", "exited", 0, new() { ["env"] = "prod" });
        Assert.True(Match(c, "{\"name\":[\"web\"],\"status\":[\"exited\"],\"label\":[\"env=prod\"]}"));
        Assert.False(Match(c, "{\"name\":[\"web\"],\"status\":[\"running\"]}"));
    }

    [Fact]
    public void An_unknown_filter_is_a_bad_request_naming_it()
    {
        var e = Assert.Throws<BadRequestException>(() => Match(Make("a1", "running"), "{\"colour\":[\"blue\"]}"));
        Assert.Equal("invalid filter 'colour'", e.Message);
    }
}
