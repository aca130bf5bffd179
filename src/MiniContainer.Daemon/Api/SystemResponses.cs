using System.Text.Json.Serialization;

namespace MiniContainer.Api;

// What /version and /info answer, shaped as Docker's api/types and api/types/system. Property order is the
// order on the wire.

/// <summary>GET /version (Docker's types.Version): the engine as one component, then the same facts flat.</summary>
public sealed class VersionResponse
{
    public required ComponentPlatform Platform { get; init; }
    public required IReadOnlyList<ComponentVersion> Components { get; init; }
    public required string Version { get; init; }
    public required string ApiVersion { get; init; }
    public required string MinAPIVersion { get; init; }
    public required string GitCommit { get; init; }
    /// <summary>Docker's name for the toolchain; here ".NET 10.0.x".</summary>
    public required string GoVersion { get; init; }
    public required string Os { get; init; }
    public required string Arch { get; init; }
    public required string KernelVersion { get; init; }
    public required string BuildTime { get; init; }
}

public sealed record ComponentPlatform(string Name);

/// <summary>One component ("Engine"); Details is a free-form string map in Docker.</summary>
public sealed record ComponentVersion(string Name, string Version, Dictionary<string, string> Details);

/// <summary>GET /info (Docker's system.Info, the part we can fill).</summary>
public sealed class SystemInfo
{
    public required string ID { get; init; }
    public required int Containers { get; init; }
    public required int ContainersRunning { get; init; }
    public required int ContainersPaused { get; init; }
    public required int ContainersStopped { get; init; }
    public required int Images { get; init; }
    public required string Driver { get; init; }
    /// <summary>Pairs of [name, value].</summary>
    public required IReadOnlyList<string[]> DriverStatus { get; init; }
    public required string DockerRootDir { get; init; }
    public required string LoggingDriver { get; init; }
    public required string CgroupDriver { get; init; }
    /// <summary>"1" or "2", a string as in Docker.</summary>
    public required string CgroupVersion { get; init; }
    public required string KernelVersion { get; init; }
    public required string OperatingSystem { get; init; }
    public required string OSType { get; init; }
    public required string Architecture { get; init; }
    public required int NCPU { get; init; }
    public required long MemTotal { get; init; }
    public required string Name { get; init; }
    public required string ServerVersion { get; init; }
    public required IReadOnlyList<string> SecurityOptions { get; init; }
    /// <summary>Runtime name → {"path": …}.</summary>
    public required Dictionary<string, RuntimeInfo> Runtimes { get; init; }
    public required string DefaultRuntime { get; init; }
    public required PluginsInfo Plugins { get; init; }
    public required bool Debug { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    /// <summary>Always "inactive": MiniContainer has no swarm mode.</summary>
    public SwarmInfo Swarm { get; init; } = new();
    public bool ExperimentalBuild { get; init; }
}

/// <summary>/info's Swarm as a dockerd outside any swarm reports it.</summary>
public sealed record SwarmInfo
{
    public string NodeID { get; init; } = "";
    public string NodeAddr { get; init; } = "";
    public string LocalNodeState { get; init; } = "inactive";
    public bool ControlAvailable { get; init; }
    public string Error { get; init; } = "";
    public IReadOnlyList<string>? RemoteManagers { get; init; }
}

/// <summary>An OCI runtime the daemon can use; Docker writes "path" in lowercase.</summary>
public sealed record RuntimeInfo([property: JsonPropertyName("path")] string Path);

/// <summary>The plugins of each kind that are built in.</summary>
public sealed record PluginsInfo(IReadOnlyList<string> Volume, IReadOnlyList<string> Network, IReadOnlyList<string> Log);
