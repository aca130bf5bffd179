using System.Text.Json.Serialization;

namespace MiniContainer.Containers;

/// <summary>
/// One container as the daemon keeps it (containers/&lt;id&gt;/config.v2.json) and as `inspect` shows it:
/// the field names and shapes are Docker's, so `docker inspect --format '{{.State.ExitCode}}'` works.
/// </summary>
public sealed class ContainerRecord
{
    public string Id { get; set; } = "";
    public DateTimeOffset Created { get; set; }
    public string Path { get; set; } = "";
    public List<string> Args { get; set; } = new();
    public ContainerState State { get; set; } = new();
    /// <summary>The image ID ("sha256:…").</summary>
    public string Image { get; set; } = "";
    public string ResolvConfPath { get; set; } = "";
    public string HostnamePath { get; set; } = "";
    public string HostsPath { get; set; } = "";
    public string LogPath { get; set; } = "";
    /// <summary>"/name", with the leading slash as Docker has it.</summary>
    public string Name { get; set; } = "";
    public int RestartCount { get; set; }
    public string Driver { get; set; } = "overlay2";
    public string Platform { get; set; } = "linux";
    public HostConfig HostConfig { get; set; } = new();
    public GraphDriverData GraphDriver { get; set; } = new();
    public List<MountPoint> Mounts { get; set; } = new();
    public ContainerConfig Config { get; set; } = new();
    public NetworkSettings NetworkSettings { get; set; } = new();
    public List<string> ExecIDs { get; set; } = new();
    /// <summary>Stopped or killed by a user: restart policies leave it alone (dockerd's HasBeenManuallyStopped; see RestartRules).</summary>
    public bool HasBeenManuallyStopped { get; set; }

    /// <summary>What create could not honour as asked (dockerd's Warnings of the create answer); not stored.</summary>
    [JsonIgnore] public List<string> CreateWarnings { get; set; } = new();
    [JsonIgnore] public string ShortId => Id[..12];
    [JsonIgnore] public string PlainName => Name.TrimStart('/');
}

public sealed class ContainerState
{
    /// <summary>created | running | paused | restarting | removing | exited | dead</summary>
    public string Status { get; set; } = "created";
    /// <summary>The container's process is alive. Unlike dockerd's, false while "restarting" (between an exit and the
    /// restart policy's start, when there is no process to signal or join); inspect still shows dockerd's true then.</summary>
    public bool Running { get; set; }
    public bool Paused { get; set; }
    public bool Restarting { get; set; }
    public bool OOMKilled { get; set; }
    public bool Dead { get; set; }
    public int Pid { get; set; }
    public int ExitCode { get; set; }
    public string Error { get; set; } = "";
    public string StartedAt { get; set; } = ZeroTime;
    public string FinishedAt { get; set; } = ZeroTime;
    /// <summary>Only for a container with a healthcheck (omitted otherwise, as Docker omits it). Replaced, never
    /// changed in place, by the health monitor (see HealthMonitor).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ContainerHealth? Health { get; set; }

    public const string ZeroTime = "0001-01-01T00:00:00Z";
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff00Z");
}

public sealed class ContainerConfig
{
    public string Hostname { get; set; } = "";
    public string Domainname { get; set; } = "";
    public string User { get; set; } = "";
    public bool AttachStdin { get; set; }
    public bool AttachStdout { get; set; }
    public bool AttachStderr { get; set; }
    public Dictionary<string, object>? ExposedPorts { get; set; }
    public bool Tty { get; set; }
    public bool OpenStdin { get; set; }
    public bool StdinOnce { get; set; }
    public List<string> Env { get; set; } = new();
    public List<string>? Cmd { get; set; }
    /// <summary>The image reference the user asked for ("busybox").</summary>
    public string Image { get; set; } = "";
    public Dictionary<string, object>? Volumes { get; set; }
    public string WorkingDir { get; set; } = "";
    public List<string>? Entrypoint { get; set; }
    public Dictionary<string, string> Labels { get; set; } = new();
    public string? StopSignal { get; set; }
    public int? StopTimeout { get; set; }
    /// <summary>The request's healthcheck merged with the image's (null: none, and omitted as Docker omits it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public HealthConfig? Healthcheck { get; set; }
    /// <summary>The image's SHELL: what a CMD-SHELL healthcheck runs with (omitted when the image has none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<string>? Shell { get; set; }
}

public sealed class HostConfig
{
    public List<string>? Binds { get; set; }
    public List<string>? VolumesFrom { get; set; }
    public string NetworkMode { get; set; } = "none";
    /// <summary>-p: "80/tcp" → the host addresses and ports it is published on.</summary>
    public Dictionary<string, List<MiniContainer.Networking.PortBinding>>? PortBindings { get; set; }
    /// <summary>-P: publish every exposed port on an ephemeral host port.</summary>
    public bool PublishAllPorts { get; set; }
    public RestartPolicy RestartPolicy { get; set; } = new();
    public bool AutoRemove { get; set; }
    public bool Privileged { get; set; }
    public bool ReadonlyRootfs { get; set; }
    public bool? Init { get; set; }
    public long Memory { get; set; }
    public long MemorySwap { get; set; }
    public long NanoCpus { get; set; }
    public long CpuShares { get; set; }
    public long CpuPeriod { get; set; }
    public long CpuQuota { get; set; }
    public long? PidsLimit { get; set; }
    /// <summary>--memory-reservation (bytes; 0 = none), --memory-swappiness (null = the kernel's; always null on cgroup v2,
    /// which has no such setting), --cpuset-cpus and --cpuset-mems ("" = all): see ContainerResources.</summary>
    public long MemoryReservation { get; set; }
    public long? MemorySwappiness { get; set; }
    public string CpusetCpus { get; set; } = "";
    public string CpusetMems { get; set; } = "";
    public string UsernsMode { get; set; } = "";
    public Dictionary<string, string>? Tmpfs { get; set; }
    public List<string>? CapAdd { get; set; }
    /// <summary>What of /proc and /sys the container cannot see, and cannot change (see SystemPaths).</summary>
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }
    public List<string>? CapDrop { get; set; }
    /// <summary>--device: host device nodes (or directories of them) created in the container, with their cgroup permissions.</summary>
    public List<DeviceMapping> Devices { get; set; } = new();
    /// <summary>--device-cgroup-rule: "c 1:3 rwm"-style rules added to the container's device allow list.</summary>
    public List<string>? DeviceCgroupRules { get; set; }
    /// <summary>--security-opt, as given (see SecurityOptions).</summary>
    public List<string>? SecurityOpt { get; set; }
    public List<string>? Dns { get; set; }
    public List<string>? ExtraHosts { get; set; }
    /// <summary>--link NAME[:ALIAS], kept as "NAME:ALIAS". On a user-defined network a link is a DNS alias that only
    /// this container resolves (as in Docker); legacy links on the default bridge are refused.</summary>
    public List<string>? Links { get; set; }
    public long ShmSize { get; set; }
    public List<int> ConsoleSize { get; set; } = new() { 0, 0 };
    public LogConfig LogConfig { get; set; } = new();
    /// <summary>--pid: "" (own PID namespace), "host", or "container:ID" (that container's); see NamespaceModes.</summary>
    public string PidMode { get; set; } = "";
    /// <summary>--uts: "" (own hostname) or "host".</summary>
    public string UTSMode { get; set; } = "";
    /// <summary>--cgroupns: "private" (the default: a cgroup namespace rooted at the container's cgroup) or "host".</summary>
    public string CgroupnsMode { get; set; } = "private";
    /// <summary>Only "" and "default" exist on Linux.</summary>
    public string Isolation { get; set; } = "";
    /// <summary>The runtime's name as /info lists it: the one runtime, "runc" (see RuntimeName).</summary>
    public string Runtime { get; set; } = RuntimeName.Default;
    /// <summary>--volume-driver: the driver of volumes this container creates; only "local" exists.</summary>
    public string VolumeDriver { get; set; } = "";
    /// <summary>--group-add: supplementary groups (names in the container's /etc/group, or numbers), as given.</summary>
    public List<string>? GroupAdd { get; set; }
}

public sealed class RestartPolicy
{
    public string Name { get; set; } = "no";
    public int MaximumRetryCount { get; set; }
}

public sealed class LogConfig
{
    public string Type { get; set; } = "json-file";
    public Dictionary<string, string> Config { get; set; } = new();
}

public sealed class GraphDriverData
{
    public string Name { get; set; } = "overlay2";
    public Dictionary<string, string> Data { get; set; } = new();
}

public sealed class NetworkSettings
{
    public string SandboxKey { get; set; } = "";
    /// <summary>"80/tcp" → host bindings (null for an exposed port that is not published), while running.</summary>
    public Dictionary<string, List<MiniContainer.Networking.PortBinding>?> Ports { get; set; } = new();
    /// <summary>The default bridge's endpoint (Docker keeps these top-level fields for it).</summary>
    public string EndpointID { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string IPAddress { get; set; } = "";
    public int IPPrefixLen { get; set; }
    public string MacAddress { get; set; } = "";
    /// <summary>Network name → this container's endpoint on it.</summary>
    public Dictionary<string, MiniContainer.Networking.EndpointSettings> Networks { get; set; } = new();
}
