using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;

namespace MiniContainer.Cli.Commands;

/// <summary>The answer of POST /containers/{id}/wait: the exit status, and an error if waiting itself failed.</summary>
internal sealed record WaitResult(long StatusCode, string? Error);

internal static class ContainerWait
{
    /// <summary>
    /// Sends POST /containers/{id}/wait?condition=… and returns once the daemon has taken it (it answers the
    /// headers at once and the body at exit), so a container started right after cannot exit unnoticed.
    /// The returned task completes with the exit status.
    /// </summary>
    public static async Task<Task<WaitResult>> BeginAsync(DockerClient client, string id, string condition)
    {
        var response = client.SendAsync(HttpMethod.Post, $"{ApiPaths.Container(id)}/wait?condition={condition}");
        // A daemon that holds back the headers until the exit would make us wait forever here: give it a second.
        // (Ours sends them at once; without a token the request's head is even read before SendAsync returns.)
        await Task.WhenAny(response, Task.Delay(TimeSpan.FromSeconds(1)));
        if (response.IsFaulted) await response;   // no such container, daemon gone: fail now, not after start
        return ReadAsync(response);
    }

    static async Task<WaitResult> ReadAsync(Task<HttpResponseMessage> pending)
    {
        using var response = await pending;
        string body = await response.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(body) as JsonObject;
        long status = json?["StatusCode"]?.GetValue<long>() ?? 0;
        string? error = (json?["Error"] as JsonObject)?["Message"]?.GetValue<string>();
        return new WaitResult(status, string.IsNullOrEmpty(error) ? null : error);
    }

    public static async Task<WaitResult> WaitAsync(DockerClient client, string id, string condition = "not-running")
        => await await BeginAsync(client, id, condition);
}
