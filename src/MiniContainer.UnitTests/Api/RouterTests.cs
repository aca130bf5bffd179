using MiniContainer.Api;
using Xunit;

namespace MiniContainer.UnitTests.Api;

/// <summary>The router, through the server (HttpContext is only made from a request on a connection).</summary>
public sealed class RouterTests : IDisposable
{
    private readonly TestApiServer _api = new();
    public void Dispose() => _api.Dispose();

    public RouterTests()
    {
        var r = _api.Router;
        r.Map("GET", "/images/{name*}/json", ctx => ctx.WriteTextAsync(200, "inspect " + ctx.R("name")));
        r.Map("DELETE", "/images/{name*}", ctx => ctx.WriteTextAsync(200, "delete " + ctx.R("name")));
        r.Map("POST", "/images/{name*}/tag", ctx => ctx.WriteTextAsync(201, "tag " + ctx.R("name") + " as " + ctx.Q("repo")));
        r.Map("GET", "/containers/{id}/json", ctx => ctx.WriteTextAsync(200, "container " + ctx.R("id")));
        r.Map("POST", "/containers/{id}/start", ctx => ctx.WriteEmptyAsync(204));
    }

    private async Task<RawResponse> RequestAsync(string method, string target)
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync($"{method} {target} HTTP/1.1\r\nHost: docker\r\n\r\n");
        return await c.ReadResponseAsync(head: method == "HEAD");
    }

    [Theory]
    [InlineData("/v1.47/images/busybox/json", "inspect busybox")]
    [InlineData("/v1.47/images/library/busybox/json", "inspect library/busybox")]
    [InlineData("/v1.47/images/localhost:5000/team/app:1.0/json", "inspect localhost:5000/team/app:1.0")]
    [InlineData("/v1.47/images/sha256:3f57d9401f8d/json", "inspect sha256:3f57d9401f8d")]
    public async Task A_trailing_star_parameter_swallows_the_slashes_of_image_names(string target, string expected)
    {
        var res = await RequestAsync("GET", target);
        Assert.Equal(200, res.Status);
        Assert.Equal(expected, res.Text);
    }

    [Fact]
    public async Task A_star_parameter_at_the_end_takes_everything_and_literals_after_it_still_count()
    {
        Assert.Equal("delete ghcr.io/owner/tool", (await RequestAsync("DELETE", "/v1.47/images/ghcr.io/owner/tool")).Text);
        Assert.Equal("tag library/busybox as mine", (await RequestAsync("POST", "/v1.47/images/library/busybox/tag?repo=mine")).Text);
    }

    [Fact]
    public async Task A_plain_parameter_is_one_segment_only()
    {
        Assert.Equal("container abc", (await RequestAsync("GET", "/v1.47/containers/abc/json")).Text);
        Assert.Equal(404, (await RequestAsync("GET", "/v1.47/containers/abc/def/json")).Status);
        Assert.Equal(404, (await RequestAsync("GET", "/v1.47/containers/json/extra/more")).Status);
    }

    [Fact]
    public async Task A_known_path_with_the_wrong_method_is_405_with_a_json_message()
    {
        var res = await RequestAsync("GET", "/v1.47/containers/abc/start");
        Assert.Equal(405, res.Status);
        Assert.Contains("GET", (string?)res.Json["message"]);
    }

    [Fact]
    public async Task Head_is_served_by_the_get_handler_without_a_body()
    {
        var res = await RequestAsync("HEAD", "/v1.47/images/library/busybox/json");
        Assert.Equal(200, res.Status);
        Assert.Equal("inspect library/busybox".Length.ToString(), res.Header("Content-Length"));
        Assert.Empty(res.Body);
    }

    [Fact]
    public async Task Head_is_not_served_by_other_methods()
    {
        Assert.Equal(405, (await RequestAsync("HEAD", "/v1.47/containers/abc/start")).Status);
    }
}
