using System.Text.Json;
using System.Text.Json.Serialization;
using MiniContainer.Security.Seccomp;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// An OCI bundle's config.json (opencontainers/runtime-spec config.md, config-linux.md): the fields
/// minicontainer-runc reads. Fields it does not know stay in <see cref="Unknown"/> maps and are refused by
/// <see cref="OciBundle"/> when they carry a value, so nothing a bundle asks for is dropped silently.
/// </summary>
public sealed class OciConfig
{
    public string OciVersion { get; set; } = "";
    public OciProcess? Process { get; set; }
    public OciRoot? Root { get; set; }
    public string? Hostname { get; set; }
    public string? Domainname { get; set; }
    public List<OciMount>? Mounts { get; set; }
    public OciHooks? Hooks { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public OciLinux? Linux { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; set; }
}

public sealed class OciProcess
{
    public bool Terminal { get; set; }
    public OciConsoleSize? ConsoleSize { get; set; }
    public OciUser User { get; set; } = new();
    public List<string>? Args { get; set; }
    public List<string>? Env { get; set; }
    public string Cwd { get; set; } = "";
    public OciCapabilities? Capabilities { get; set; }
    public List<OciRlimit>? Rlimits { get; set; }
    public bool NoNewPrivileges { get; set; }
    public string? ApparmorProfile { get; set; }
    public int? OomScoreAdj { get; set; }
    public string? SelinuxLabel { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; set; }
}

public sealed class OciConsoleSize { public ushort Height { get; set; } public ushort Width { get; set; } }

public sealed class OciUser
{
    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public uint? Umask { get; set; }
    public List<uint>? AdditionalGids { get; set; }
    public string? Username { get; set; }
}

public sealed class OciCapabilities
{
    public List<string>? Bounding { get; set; }
    public List<string>? Effective { get; set; }
    public List<string>? Inheritable { get; set; }
    public List<string>? Permitted { get; set; }
    public List<string>? Ambient { get; set; }
}

public sealed class OciRlimit
{
    public string Type { get; set; } = "";
    public ulong Soft { get; set; }
    public ulong Hard { get; set; }
}

public sealed class OciRoot
{
    public string Path { get; set; } = "";
    public bool Readonly { get; set; }
}

public sealed class OciMount
{
    public string Destination { get; set; } = "";
    public string? Type { get; set; }
    public string? Source { get; set; }
    public List<string>? Options { get; set; }
    public List<OciIdMapping>? UidMappings { get; set; }
    public List<OciIdMapping>? GidMappings { get; set; }
}

public sealed class OciHooks
{
    public List<OciHook>? Prestart { get; set; }
    public List<OciHook>? CreateRuntime { get; set; }
    public List<OciHook>? CreateContainer { get; set; }
    public List<OciHook>? StartContainer { get; set; }
    public List<OciHook>? Poststart { get; set; }
    public List<OciHook>? Poststop { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; set; }
}

public sealed class OciHook
{
    public string Path { get; set; } = "";
    public List<string>? Args { get; set; }
    public List<string>? Env { get; set; }
    public int? Timeout { get; set; }
}

public sealed class OciLinux
{
    public List<OciNamespace>? Namespaces { get; set; }
    public List<OciIdMapping>? UidMappings { get; set; }
    public List<OciIdMapping>? GidMappings { get; set; }
    public List<OciDevice>? Devices { get; set; }
    public string? CgroupsPath { get; set; }
    public OciResources? Resources { get; set; }
    public string? RootfsPropagation { get; set; }
    public SeccompProfile? Seccomp { get; set; }
    public Dictionary<string, string>? Sysctl { get; set; }
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }
    public string? MountLabel { get; set; }
    public JsonElement? IntelRdt { get; set; }
    public JsonElement? Personality { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; set; }
}

public sealed class OciNamespace
{
    public string Type { get; set; } = "";
    public string? Path { get; set; }
}

public sealed class OciIdMapping
{
    public uint ContainerID { get; set; }
    public uint HostID { get; set; }
    public uint Size { get; set; }
}

public sealed class OciDevice
{
    public string Type { get; set; } = "";
    public string Path { get; set; } = "";
    public long Major { get; set; }
    public long Minor { get; set; }
    public uint? FileMode { get; set; }
    public uint? Uid { get; set; }
    public uint? Gid { get; set; }
}

public sealed class OciResources
{
    public List<OciDeviceRule>? Devices { get; set; }
    public OciMemory? Memory { get; set; }
    public OciCpu? Cpu { get; set; }
    public OciPids? Pids { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; set; }
}

public sealed class OciDeviceRule
{
    public bool Allow { get; set; }
    public string? Type { get; set; }
    public long? Major { get; set; }
    public long? Minor { get; set; }
    public string? Access { get; set; }
}

public sealed class OciMemory
{
    public long? Limit { get; set; }
    public long? Reservation { get; set; }
    public long? Swap { get; set; }
    public long? Kernel { get; set; }
    public long? KernelTCP { get; set; }
    public ulong? Swappiness { get; set; }
    public bool? DisableOOMKiller { get; set; }
    public bool? UseHierarchy { get; set; }
    public bool? CheckBeforeUpdate { get; set; }
}

public sealed class OciCpu
{
    public ulong? Shares { get; set; }
    public long? Quota { get; set; }
    public ulong? Period { get; set; }
    public long? RealtimeRuntime { get; set; }
    public ulong? RealtimePeriod { get; set; }
    public string? Cpus { get; set; }
    public string? Mems { get; set; }
    public long? Idle { get; set; }
}

public sealed class OciPids { public long Limit { get; set; } }

/// <summary>The state of a container (runtime.md "State"), as `state` prints it and hooks read it on stdin.</summary>
public sealed class OciState
{
    public string OciVersion { get; set; } = OciBundle.SpecVersion;
    public string Id { get; set; } = "";
    public int Pid { get; set; }
    public string Status { get; set; } = "";
    public string Bundle { get; set; } = "";
    /// <summary>Beyond the spec's required fields, as runc prints them: the rootfs path, when it was created (RFC 3339,
    /// UTC) and the owner ("" for root).</summary>
    public string? Rootfs { get; set; }
    public string? Created { get; set; }
    public string? Owner { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>What minicontainer-runc keeps about a container in ROOT/ID/state.json between its commands.</summary>
public sealed class OciRecord
{
    public string Id { get; set; } = "";
    public string Bundle { get; set; } = "";
    public int Pid { get; set; }
    /// <summary>The process's start time (field 22 of /proc/PID/stat): a pid reused by another process reads differently.</summary>
    public ulong StartTime { get; set; }
    public string CgroupName { get; set; } = "";
    /// <summary>The default parent minicontainer-runc made for the cgroup, removed with the last container in it.</summary>
    public bool OwnsCgroupParent { get; set; }
    public DateTimeOffset Created { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public string Rootfs { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(OciConfig))]
[JsonSerializable(typeof(OciState))]
[JsonSerializable(typeof(OciRecord))]
[JsonSerializable(typeof(OciProcess))]
public sealed partial class OciJson : JsonSerializerContext;

/// <summary>`state` prints the state indented, as runc does.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(OciState))]
public sealed partial class OciJsonIndented : JsonSerializerContext;
