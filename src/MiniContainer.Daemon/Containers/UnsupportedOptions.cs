using System.Text.Json.Nodes;
using MiniContainer.Api;

namespace MiniContainer.Containers;

/// <summary>
/// Docker's create body has about a hundred fields; clients send most of them with zero values whatever the user
/// asked for. A field MiniContainer does not honour is refused here when it carries anything but its zero value,
/// with the flag's name in the message, so a limit or a sandbox setting is never accepted and then silently
/// dropped. A field is listed here until the code that honours it exists; then it moves to <see cref="Honoured"/>.
/// </summary>
public static class UnsupportedOptions
{
    /// <summary>Fields of HostConfig that CreateRequest, ContainerMounts or the network service read and honour.</summary>
    private static readonly HashSet<string> Honoured = new(StringComparer.Ordinal)
    {
        "Binds", "VolumesFrom", "Tmpfs", "Mounts", "NetworkMode", "PortBindings", "PublishAllPorts", "RestartPolicy",
        "AutoRemove", "Privileged", "ReadonlyRootfs", "Init", "Memory", "MemorySwap", "NanoCpus", "NanoCPUs",
        "CpuShares", "CpuPeriod", "CpuQuota", "PidsLimit", "UsernsMode", "CapAdd", "CapDrop", "Dns", "ExtraHosts",
        "ShmSize", "ConsoleSize", "MemoryReservation", "MaskedPaths", "ReadonlyPaths", "SecurityOpt", "Devices", "DeviceCgroupRules", "Links",
        "MemorySwappiness", "CpusetCpus", "CpusetMems",
        // read and checked by HostConfigModes and LogDrivers
        "PidMode", "UTSMode", "CgroupnsMode", "Isolation", "Runtime", "VolumeDriver", "GroupAdd", "LogConfig",
    };

    /// <summary>Fields whose only honoured values are the defaults MiniContainer gives every container.</summary>
    private static readonly Dictionary<string, string[]> AllowedValues = new(StringComparer.Ordinal)
    {
        ["IpcMode"] = new[] { "", "private", "shareable" },   // every container has its own IPC namespace
    };

    /// <summary>The docker flag each refused field comes from, for a message the user recognises.</summary>
    private static readonly Dictionary<string, string> FlagNames = new(StringComparer.Ordinal)
    {
        ["Links"] = "--link", ["GroupAdd"] = "--group-add", ["OomScoreAdj"] = "--oom-score-adj", ["PidMode"] = "--pid",
        ["UTSMode"] = "--uts", ["IpcMode"] = "--ipc", ["CgroupnsMode"] = "--cgroupns", ["Cgroup"] = "--cgroup",
        ["CgroupParent"] = "--cgroup-parent", ["Sysctls"] = "--sysctl", ["Ulimits"] = "--ulimit", ["DnsOptions"] = "--dns-option",
        ["DnsSearch"] = "--dns-search", ["SecurityOpt"] = "--security-opt",
        ["DeviceRequests"] = "--gpus", ["StorageOpt"] = "--storage-opt",
        ["VolumeDriver"] = "--volume-driver", ["Runtime"] = "--runtime", ["Isolation"] = "--isolation",
        ["OomKillDisable"] = "--oom-kill-disable", ["MemorySwappiness"] = "--memory-swappiness", ["KernelMemory"] = "--kernel-memory",
        ["KernelMemoryTCP"] = "--kernel-memory-tcp", ["CpusetCpus"] = "--cpuset-cpus", ["CpusetMems"] = "--cpuset-mems",
        ["CpuRealtimePeriod"] = "--cpu-rt-period", ["CpuRealtimeRuntime"] = "--cpu-rt-runtime", ["BlkioWeight"] = "--blkio-weight",
        ["BlkioWeightDevice"] = "--blkio-weight-device", ["BlkioDeviceReadBps"] = "--device-read-bps",
        ["BlkioDeviceWriteBps"] = "--device-write-bps", ["BlkioDeviceReadIOps"] = "--device-read-iops",
        ["BlkioDeviceWriteIOps"] = "--device-write-iops", ["CpuCount"] = "--cpu-count", ["CpuPercent"] = "--cpu-percent",
        ["IOMaximumIOps"] = "--io-maxiops", ["IOMaximumBandwidth"] = "--io-maxbandwidth", ["Annotations"] = "--annotation",
        ["LogConfig"] = "--log-driver/--log-opt", ["Domainname"] = "--domainname",
        ["NetworkDisabled"] = "--network-disabled", ["Shell"] = "SHELL",
        ["OnBuild"] = "ONBUILD",
    };

    /// <summary>Fields of the top-level Config that are read elsewhere (CreateRequest, the network service) or that
    /// only a client uses.</summary>
    private static readonly HashSet<string> HonouredConfig = new(StringComparer.Ordinal)
    {
        "Hostname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "ExposedPorts", "Tty", "OpenStdin", "StdinOnce",
        "Env", "Cmd", "Image", "Volumes", "WorkingDir", "Entrypoint", "Labels", "StopSignal", "StopTimeout", "Healthcheck", "HostConfig",
        "NetworkingConfig", "ArgsEscaped", "name", "platform",
        "Runtime",   // docker-py puts HostConfig's Runtime here too; HostConfigModes reads it
        "MacAddress",   // --mac-address: the network service puts it on the endpoint of --network
    };

    /// <summary>Throws a 400 naming the first field (and its flag) that asks for something not honoured.</summary>
    public static void Refuse(JsonObject body)
    {
        foreach (var (key, value) in body)
            if (!HonouredConfig.Contains(key) && !IsZero(value))
                throw Unsupported(key);
        if (body["HostConfig"] is not JsonObject host) return;
        foreach (var (key, value) in host)
        {
            if (Honoured.Contains(key) || key == "ContainerIDFile") continue;   // ContainerIDFile: the client writes it
            if (AllowedValues.TryGetValue(key, out var allowed) ? allowed.Contains(Scalar(value)) || IsZero(value) : IsZero(value)) continue;
            throw Unsupported(key);
        }
    }

    private static BadRequestException Unsupported(string key) =>
        new($"{(FlagNames.TryGetValue(key, out var flag) ? flag : key)} ({key}) is not supported by MiniContainer; " +
            "leave it out, or run this container with Docker");

    private static string Scalar(JsonNode? node) => node is JsonValue v ? v.ToString() : "";

    /// <summary>null, false, 0, "", [] and {} (and objects of only such values) are what clients send for "not set".</summary>
    public static bool IsZero(JsonNode? node) => node switch
    {
        null => true,
        JsonArray a => a.Count == 0,
        JsonObject o => o.All(kv => IsZero(kv.Value)),
        JsonValue v when v.TryGetValue<bool>(out bool b) => !b,
        JsonValue v when v.TryGetValue<string>(out string? s) => s.Length == 0,
        JsonValue v when v.TryGetValue<double>(out double d) => d == 0,
        _ => false,
    };
}
