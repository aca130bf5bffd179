using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;

namespace MiniContainer.Cli.Compose;

/// <summary>The conditions compose waits on, read from the container's State by polling inspect.</summary>
internal static class ServiceWaits
{
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>service_healthy / --wait: until State.Health.Status is healthy; unhealthy, an exit or no healthcheck at all fail.</summary>
    public static async Task HealthyAsync(DockerClient client, string id, string name, CancellationToken ct = default)
    {
        while (true)
        {
            var state = await StateAsync(client, id, ct);
            if (state["Health"] is not JsonObject health)
                throw new ComposeUpException($"container {name} has no healthcheck configured");
            switch ((string?)health["Status"])
            {
                case "healthy": return;
                case "unhealthy": throw new ComposeUpException($"dependency failed to start: container {name} is unhealthy");
            }
            if ((string?)state["Status"] is "exited" or "dead")
                throw new ComposeUpException($"dependency failed to start: container {name} exited ({(long?)state["ExitCode"] ?? 0})");
            await Task.Delay(Poll, ct);
        }
    }

    /// <summary>service_completed_successfully: until the container has exited, and it must have exited 0.</summary>
    public static async Task CompletedAsync(DockerClient client, string id, string name, string service, CancellationToken ct = default)
    {
        while (true)
        {
            var state = await StateAsync(client, id, ct);
            if ((string?)state["Status"] is "exited" or "dead")
            {
                long code = (long?)state["ExitCode"] ?? 0;
                if (code != 0) throw new ComposeUpException($"service \"{service}\" didn't complete successfully: exit {code}");
                return;
            }
            await Task.Delay(Poll, ct);
        }
    }

    /// <summary>--wait: running, and healthy when the container has a healthcheck.</summary>
    public static async Task RunningOrHealthyAsync(DockerClient client, string id, string name, CancellationToken ct = default)
    {
        var state = await StateAsync(client, id, ct);
        if (state["Health"] is JsonObject) { await HealthyAsync(client, id, name, ct); return; }
        if ((string?)state["Status"] is not "running")
            throw new ComposeUpException($"container {name} exited ({(long?)state["ExitCode"] ?? 0})");
    }

    static async Task<JsonObject> StateAsync(DockerClient client, string id, CancellationToken ct)
        => (await client.GetJsonAsync($"{ApiPaths.Container(id)}/json", ct))?["State"] as JsonObject ?? new JsonObject();
}
