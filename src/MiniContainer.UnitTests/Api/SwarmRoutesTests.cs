using MiniContainer.Api;
using Xunit;

namespace MiniContainer.UnitTests.Api;

/// <summary>No swarm mode: the swarm endpoints answer as a dockerd outside any swarm, never 404.</summary>
public sealed class SwarmRoutesTests : IDisposable
{
    private readonly TestApiServer _api = new();
    public void Dispose() => _api.Dispose();

    public SwarmRoutesTests() => SwarmRoutes.Map(_api.Router);

    private async Task<RawResponse> RequestAsync(string method, string target)
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync($"{method} {target} HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n");
        return await c.ReadResponseAsync();
    }

    [Theory]
    [InlineData("GET", "/v1.41/swarm", SwarmRoutes.NotAManager)]
    [InlineData("GET", "/v1.41/nodes", SwarmRoutes.NotAManager)]
    [InlineData("GET", "/v1.41/services/web", SwarmRoutes.NotAManager)]
    [InlineData("POST", "/v1.41/services/create", SwarmRoutes.NotAManager)]
    [InlineData("GET", "/v1.41/tasks", SwarmRoutes.NotAManager)]
    [InlineData("GET", "/v1.41/secrets", SwarmRoutes.NotAManager)]
    [InlineData("DELETE", "/v1.41/configs/abc", SwarmRoutes.NotAManager)]
    [InlineData("POST", "/v1.41/swarm/leave", SwarmRoutes.NotInASwarm)]
    [InlineData("POST", "/v1.41/swarm/init", SwarmRoutes.NoSwarmMode)]
    public async Task Swarm_endpoints_answer_503_with_dockerds_message(string method, string target, string message)
    {
        var res = await RequestAsync(method, target);
        Assert.Equal(503, res.Status);
        Assert.Equal(message, (string?)res.Json["message"]);
    }
}
