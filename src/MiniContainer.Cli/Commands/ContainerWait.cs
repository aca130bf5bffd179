using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;

namespace MiniContainer.Cli.Commands;

/// <summary>The answer of POST /containers/{id}/wait: the exit status, and an error if waiting itself failed.</summary>
internal sealed record WaitResult(long StatusCode, string? Error);

/// <summary>A wait the daemon has taken: its answer comes when the condition is met (the exit, or the removal).</summary>
internal sealed class PendingWait(Task<HttpResponseMessage> response)
{
    /// <summary>The answer. Without a token it is read on this thread, blocking (see DockerClient.ReadTextAsync): for a
    /// caller that has nothing else to do until then. With one, asynchronously, and cancelled with it.</summary>
    public async Task<WaitResult> ResultAsync(CancellationToken ct = default)
    {
        using var answer = await response;
        var json = JsonNode.Parse(await DockerClient.ReadTextAsync(answer.Content, ct)) as JsonObject;
        long status = json?["StatusCode"]?.GetValue<long>() ?? 0;
        string? error = (json?["Error"] as JsonObject)?["Message"]?.GetValue<string>();
        return new WaitResult(status, string.IsNullOrEmpty(error) ? null : error);
    }
}

internal static class ContainerWait
{
    /// <summary>
    /// Sends POST /containers/{id}/wait?condition=… and returns once the daemon has taken it (it answers the
    /// headers at once and the body at exit), so a container started right after cannot exit unnoticed.
    /// </summary>
    public static async Task<PendingWait> BeginAsync(DockerClient client, string id, string condition)
    {
        var response = client.SendAsync(HttpMethod.Post, $"{ApiPaths.Container(id)}/wait?condition={condition}");
        // A daemon that holds back the headers until the exit would make us wait forever here: give it a second.
        // (Ours sends them at once; without a token the request's head is even read before SendAsync returns, and then
        // no timer is made: its first one would start the runtime's timer thread.)
        if (!response.IsCompleted) await Task.WhenAny(response, Task.Delay(TimeSpan.FromSeconds(1)));
        if (response.IsFaulted) await response;   // no such container, daemon gone: fail now, not after start
        return new PendingWait(response);
    }

    public static async Task<WaitResult> WaitAsync(DockerClient client, string id, string condition = "not-running")
        => await (await BeginAsync(client, id, condition)).ResultAsync();
}
