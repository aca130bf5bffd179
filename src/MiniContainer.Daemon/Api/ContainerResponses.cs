using System.Text.Json.Serialization;

namespace MiniContainer.Api;

// What /containers/* and /exec/* answer, shaped as Docker's api/types/container. Property order is the
// order on the wire. (GET /containers/{id}/json answers the ContainerRecord itself.)

/// <summary>POST /containers/create → 201.</summary>
public sealed record ContainerCreateResponse(string Id, IReadOnlyList<string> Warnings);
public sealed record ContainerUpdateResponse(IReadOnlyList<string> Warnings);

/// <summary>POST /containers/{id}/exec → 201 (Docker's IDResponse).</summary>
public sealed record IdResponse(string Id);

/// <summary>
/// One row of GET /containers/json (Docker's container.Summary). Not the same shapes as inspect:
/// <see cref="Names"/> is a list of "/name", <see cref="Created"/> is unix seconds (inspect has RFC 3339),
/// <see cref="State"/> is the status word ("running") and <see cref="Status"/> the human text ("Up 3 seconds").
/// </summary>
public sealed class ContainerSummary
{
    public required string Id { get; init; }
    public required IReadOnlyList<string> Names { get; init; }
    /// <summary>The image as the user named it ("busybox"), or its ID when they used that.</summary>
    public required string Image { get; init; }
    public required string ImageID { get; init; }
    /// <summary>Path and args joined by spaces: "sh -c exit 3".</summary>
    public required string Command { get; init; }
    public required long Created { get; init; }
    /// <summary>Exposed and published ports.</summary>
    public required IReadOnlyList<MiniContainer.Networking.ContainerPort> Ports { get; init; }
    public required Dictionary<string, string> Labels { get; init; }
    public required string State { get; init; }
    public required string Status { get; init; }
    public required ContainerSummaryHostConfig HostConfig { get; init; }
    public required NetworkSettingsSummary NetworkSettings { get; init; }
    public required List<MiniContainer.Containers.MountPoint> Mounts { get; init; }
    /// <summary>With size=1 (ps -s, system df): bytes in the container's writable layer, and with its image's.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? SizeRw { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? SizeRootFs { get; init; }
}

public sealed record ContainerSummaryHostConfig(string NetworkMode);

public sealed record NetworkSettingsSummary(Dictionary<string, MiniContainer.Networking.EndpointSettings> Networks);

/// <summary>GET /containers/{id}/top: ps column titles, then one row of strings per process.</summary>
public sealed record ContainerTopResponse(IReadOnlyList<string> Titles, List<string[]> Processes);

/// <summary>GET /exec/{id}/json (Docker's container.ExecInspect).</summary>
public sealed class ExecInspect
{
    public required string ID { get; init; }
    public required bool Running { get; init; }
    /// <summary>null until the process has exited (and before it started).</summary>
    public required int? ExitCode { get; init; }
    public required ExecProcessConfig ProcessConfig { get; init; }
    public required bool OpenStdin { get; init; }
    public required bool OpenStderr { get; init; }
    public required bool OpenStdout { get; init; }
    public required bool CanRemove { get; init; }
    public required string ContainerID { get; init; }
    public required string DetachKeys { get; init; }
    public required int Pid { get; init; }
}

/// <summary>The exec's command, with Docker's lowercase names.</summary>
public sealed record ExecProcessConfig(
    [property: JsonPropertyName("tty")] bool Tty,
    [property: JsonPropertyName("entrypoint")] string Entrypoint,
    [property: JsonPropertyName("arguments")] IReadOnlyList<string> Arguments,
    [property: JsonPropertyName("privileged")] bool Privileged,
    [property: JsonPropertyName("user")] string User);

/// <summary>Every error answer: {"message": "..."} with a lowercase name, as Docker writes it.</summary>
public sealed record ErrorResponse([property: JsonPropertyName("message")] string Message);

/// <summary>POST /containers/prune.</summary>
public sealed class ContainerPruneResponse
{
    public required List<string> ContainersDeleted { get; init; }
    public required long SpaceReclaimed { get; init; }
}
