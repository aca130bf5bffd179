using System.Text.Json.Serialization;

namespace MiniContainer.Runtime;

/// <summary>
/// Everything the shim and the init stage need to start one container, written by the daemon to
/// containers/&lt;id&gt;/spec.json before it starts the shim. Like an OCI runtime bundle's config.json,
/// but only what MiniContainer uses. The daemon's API-facing record (inspect) is separate.
/// </summary>
public sealed class ContainerSpec
{
    public string Id { get; set; } = "";
    public RootfsSpec Rootfs { get; set; } = new();
    public ProcessSpec Process { get; set; } = new();
    public string Hostname { get; set; } = "";
    /// <summary>Host files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf.</summary>
    public string? HostnamePath { get; set; }
    public string? HostsPath { get; set; }
    public string? ResolvConfPath { get; set; }
    /// <summary>"none" (own netns, loopback only; the daemon plugs bridge networks into it before start) or "host" (share the host's).</summary>
    public string NetworkMode { get; set; } = "none";
    /// <summary>--network container:X: the shim joins this network namespace (/proc/PID/ns/net) instead of making one.</summary>
    public string? JoinNetworkNamespace { get; set; }
    /// <summary>--pid: "" (a new PID namespace, the container's PID 1), "host" (the host's), or the path of a
    /// running container's /proc/PID/ns/pid, joined (--pid container:X).</summary>
    public string PidNamespace { get; set; } = "";
    /// <summary>--uts=host: no UTS namespace of its own, so the hostname is the host's.</summary>
    public bool HostUts { get; set; }
    /// <summary>--cgroupns=host: no cgroup namespace of its own (/proc/self/cgroup shows the host's path).</summary>
    public bool HostCgroupNamespace { get; set; }
    public List<IdMapping>? UidMappings { get; set; }
    public List<IdMapping>? GidMappings { get; set; }
    public string CgroupName { get; set; } = "";
    public ResourceLimitsSpec Resources { get; set; } = new();
    public List<MountSpec> Mounts { get; set; } = new();
    /// <summary>Device nodes created in the container (--device, and the host's devices for --privileged).</summary>
    public List<DeviceNodeSpec>? Devices { get; set; }
    /// <summary>--privileged: /sys and the cgroup view writable (capabilities, devices and seccomp are set elsewhere).</summary>
    public bool Privileged { get; set; }
    /// <summary>Paths the init stage hides (files under /dev/null, directories under an empty read-only tmpfs), and
    /// paths it makes read-only: Docker's defaults (see SystemPaths), or none.</summary>
    public List<string> MaskedPaths { get; set; } = new();
    public List<string> ReadonlyPaths { get; set; } = new();
    /// <summary>--shm-size in bytes (default 64 MiB).</summary>
    public long ShmSizeBytes { get; set; } = 64 * 1024 * 1024;
    /// <summary>json-file log of the container's stdout/stderr; null with --log-driver none (nothing is kept).</summary>
    public string? LogPath { get; set; }
    /// <summary>Unix socket the shim listens on for attach, stdin, resize.</summary>
    public string ControlSocket { get; set; } = "";
    /// <summary>Where the shim records how the process ended (written atomically).</summary>
    public string ExitFile { get; set; } = "";

    /// <summary>The namespaces a warm shim (one started ahead of time) clones its init stage into before it knows its
    /// container: new PID, UTS, IPC and network namespaces. Not the mount namespace: a copy of the host's mounts made
    /// then would miss every mount the host makes until the container starts (a volume's, say) unless the host's mounts
    /// are shared, and they often are not; the init stage makes its own when it learns its container.</summary>
    public const Linux.Namespace WarmNamespaces = Linux.Namespace.Pid | Linux.Namespace.Uts | Linux.Namespace.Ipc | Linux.Namespace.Net;

    /// <summary>
    /// Whether a warm shim (minicontainer-shim warm) can run this container: only when it wants
    /// exactly <see cref="WarmNamespaces"/> of its own (no --network host or container:X, --pid host or container:X,
    /// --uts host, user namespace), and no --explain, whose narration shows the clone as it happens.
    /// </summary>
    [JsonIgnore]
    public bool SuitsWarmShim =>
        NetworkMode != "host" && JoinNetworkNamespace is null && PidNamespace.Length == 0 && !HostUts &&
        UidMappings is not { Count: > 0 } && GidMappings is not { Count: > 0 } && !Process.Explain;
}

public sealed class RootfsSpec
{
    /// <summary>Image layer dirs, top first (overlayfs lowerdir order).</summary>
    public List<string> LowerDirs { get; set; } = new();
    public string UpperDir { get; set; } = "";
    public string WorkDir { get; set; } = "";
    public string MergedDir { get; set; } = "";
    public bool ReadOnly { get; set; }
    /// <summary>Mount the overlay with "volatile": no sync of the upper filesystem, not even at unmount. Only for a --rm
    /// container, whose upper dir goes with it (see OverlayVolatile).</summary>
    public bool Volatile { get; set; }
}

public sealed class ProcessSpec
{
    public List<string> Args { get; set; } = new();
    public List<string> Env { get; set; } = new();
    public string Cwd { get; set; } = "/";
    /// <summary>As Docker's --user: "", "name", "uid", "uid:gid", "name:group".</summary>
    public string User { get; set; } = "";
    /// <summary>--group-add: more supplementary groups, names in the container's /etc/group or numbers.</summary>
    public List<string>? GroupAdd { get; set; }
    public bool Terminal { get; set; }
    public bool OpenStdin { get; set; }
    /// <summary>--init: a small reaper runs as PID 1 and the command as its child.</summary>
    public bool Init { get; set; }
    /// <summary>--cap-add / --cap-drop: names like "NET_ADMIN" or "ALL", applied to Docker's default set.</summary>
    public List<string>? CapAdd { get; set; }
    public List<string>? CapDrop { get; set; }
    public ushort ConsoleRows { get; set; }
    public ushort ConsoleCols { get; set; }
    /// <summary>--security-opt no-new-privileges: prctl(PR_SET_NO_NEW_PRIVS) before execve.</summary>
    public bool NoNewPrivileges { get; set; }
    /// <summary>The seccomp filter (struct sock_filter[], compiled by the daemon for this container's capabilities)
    /// installed as the last step before execve; null: none (--security-opt seccomp=unconfined, --privileged).</summary>
    public byte[]? SeccompFilter { get; set; }
    /// <summary>--explain: the shim and the init stage record each kernel step (see Explaining.Explain).</summary>
    public bool Explain { get; set; }
    /// <summary>An OCI bundle's explicit capability sets (minicontainer-runc); null: Docker's rules (CapAdd/CapDrop).</summary>
    public CapabilitySets? Capabilities { get; set; }
    /// <summary>setrlimit(2) before the switch to the user (an OCI bundle's process.rlimits); null: inherited.</summary>
    public List<ResourceLimitSetting>? Rlimits { get; set; }
    /// <summary>With an explicit uid/gid (an OCI bundle's process.user): exactly these supplementary groups, no
    /// /etc/group lookup (null: Docker's rules for User).</summary>
    public List<uint>? ExactGroups { get; set; }
}

/// <summary>The five capability sets of a process, by number (see CapabilitySet.Names), as an OCI bundle gives them.</summary>
public sealed class CapabilitySets
{
    public List<int> Bounding { get; set; } = new();
    public List<int> Effective { get; set; } = new();
    public List<int> Permitted { get; set; } = new();
    public List<int> Inheritable { get; set; } = new();
    public List<int> Ambient { get; set; } = new();
}

/// <summary>One setrlimit(2): the resource's number (RLIMIT_NOFILE = 7 …) and its soft and hard limits.</summary>
public sealed class ResourceLimitSetting
{
    public int Resource { get; set; }
    public ulong Soft { get; set; }
    public ulong Hard { get; set; }
}

public sealed class IdMapping
{
    public uint ContainerId { get; set; }
    public uint HostId { get; set; }
    public uint Size { get; set; }
}

public sealed class ResourceLimitsSpec
{
    public long? MemoryBytes { get; set; }
    public long? MemorySwapBytes { get; set; }
    public long? CpuQuotaMicros { get; set; }
    public long CpuPeriodMicros { get; set; } = 100_000;
    public long? CpuShares { get; set; }
    public long? PidsLimit { get; set; }
    public long? MemoryReservationBytes { get; set; }
    public long? MemorySwappiness { get; set; }
    public string? CpusetCpus { get; set; }
    public string? CpusetMems { get; set; }
    /// <summary>Device cgroup rules in order, as "allow c 1:3 rwm" / "deny a *:* rwm" (DeviceRule.ToString); null = no device confinement.</summary>
    public List<string>? DeviceRules { get; set; }
}

public sealed class MountSpec
{
    public string Source { get; set; } = "";
    public string Destination { get; set; } = "";
    /// <summary>"bind" or "tmpfs".</summary>
    public string Type { get; set; } = "bind";
    public bool ReadOnly { get; set; }
    public string? Options { get; set; }
    /// <summary>A bind's propagation: null (rprivate), "private", "shared", "rshared", "slave", "rslave" (see MountPropagation).</summary>
    public string? Propagation { get; set; }
}

/// <summary>One exec session (docker exec), written to containers/&lt;id&gt;/exec/&lt;exec-id&gt;/spec.json.</summary>
public sealed class ExecSpec
{
    public string Id { get; set; } = "";
    public string ContainerId { get; set; } = "";
    /// <summary>Host pid of the container's PID 1, whose namespaces we join.</summary>
    public int TargetPid { get; set; }
    public ProcessSpec Process { get; set; } = new();
    public string CgroupName { get; set; } = "";
    public string ControlSocket { get; set; } = "";
    public string ExitFile { get; set; } = "";
}

/// <summary>What the shim writes when the process has ended.</summary>
public sealed class ExitRecord
{
    public int ExitCode { get; set; }
    public int Signal { get; set; }
    public bool OomKilled { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset FinishedAt { get; set; }
}

/// <summary>The one line the shim prints on stdout to the daemon once the process started (or failed to).</summary>
public sealed class StartReport
{
    public int Pid { get; set; }
    public string? Error { get; set; }
    /// <summary>126 (cannot invoke), 127 (not found), 125 (runtime error) when Error is set.</summary>
    public int ExitCode { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerSpec))]
[JsonSerializable(typeof(ExecSpec))]
[JsonSerializable(typeof(ExitRecord))]
[JsonSerializable(typeof(StartReport))]
[JsonSerializable(typeof(ProcessSpec))]
public sealed partial class RuntimeJson : JsonSerializerContext;
