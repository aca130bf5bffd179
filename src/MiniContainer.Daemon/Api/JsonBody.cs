using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Api;

/// <summary>What a field of a request body must hold. JSON null is always accepted (it means "not set", as in Go).</summary>
public enum JsonKind { String, Bool, Integer, Object, Array, StringArray, StringOrStringArray, StringMap }

/// <summary>
/// Type checks for request bodies before any handler reads them, so `"Memory": "lots"` or `"Env": 5` answers
/// 400 naming the field (as dockerd's "json: cannot unmarshal string into Go struct field HostConfig.Memory of
/// type int64"), never a 500 from a failed cast deep in a handler. Fields are dotted paths into nested objects.
/// </summary>
public static class JsonBody
{
    public static void Check(JsonObject body, IReadOnlyDictionary<string, JsonKind> schema)
    {
        foreach (var (path, kind) in schema)
        {
            JsonNode? node = body;
            foreach (string part in path.Split('.'))
                node = node is JsonObject o ? o[part] : null;
            if (node is null) continue;
            if (!Matches(node, kind))
                throw new BadRequestException($"invalid JSON: field {path} must be {Describe(kind)}, not {Describe(node)}");
        }
    }

    private static bool Matches(JsonNode node, JsonKind kind) => kind switch
    {
        JsonKind.String => node.GetValueKind() == JsonValueKind.String,
        JsonKind.Bool => node.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        JsonKind.Integer => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out _),
        JsonKind.Object => node is JsonObject,
        JsonKind.Array => node is JsonArray,
        JsonKind.StringArray => node is JsonArray a && a.All(e => e is null || e.GetValueKind() == JsonValueKind.String),
        JsonKind.StringOrStringArray => node.GetValueKind() == JsonValueKind.String || Matches(node, JsonKind.StringArray),
        JsonKind.StringMap => node is JsonObject o && o.All(p => p.Value is null || p.Value.GetValueKind() == JsonValueKind.String),
        _ => false,
    };

    private static string Describe(JsonKind kind) => kind switch
    {
        JsonKind.String => "a string",
        JsonKind.Bool => "true or false",
        JsonKind.Integer => "an integer",
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.StringArray => "an array of strings",
        JsonKind.StringOrStringArray => "a string or an array of strings",
        JsonKind.StringMap => "an object of strings",
        _ => kind.ToString(),
    };

    private static string Describe(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.String => $"the string {node.ToJsonString()}",
        JsonValueKind.Number => $"the number {node.ToJsonString()}",
        JsonValueKind.True or JsonValueKind.False => node.ToJsonString(),
        JsonValueKind.Array => ((node as JsonArray)?.FirstOrDefault(e => e is not null && e.GetValueKind() != JsonValueKind.String)
                                   ?? (node as JsonArray)?.FirstOrDefault(e => e is not null)) is { } first ? "an array holding " + Describe(first) : "an array",
        JsonValueKind.Object => "an object",
        _ => node.GetValueKind().ToString().ToLowerInvariant(),
    };

    /// <summary>POST /containers/create (Config with HostConfig and NetworkingConfig inside).</summary>
    public static readonly IReadOnlyDictionary<string, JsonKind> ContainerCreate = new Dictionary<string, JsonKind>
    {
        ["Hostname"] = JsonKind.String, ["Domainname"] = JsonKind.String, ["User"] = JsonKind.String,
        ["AttachStdin"] = JsonKind.Bool, ["AttachStdout"] = JsonKind.Bool, ["AttachStderr"] = JsonKind.Bool,
        ["Tty"] = JsonKind.Bool, ["OpenStdin"] = JsonKind.Bool, ["StdinOnce"] = JsonKind.Bool,
        ["Env"] = JsonKind.StringArray, ["Cmd"] = JsonKind.StringOrStringArray, ["Entrypoint"] = JsonKind.StringOrStringArray,
        ["Image"] = JsonKind.String, ["Labels"] = JsonKind.StringMap, ["WorkingDir"] = JsonKind.String,
        ["StopSignal"] = JsonKind.String, ["StopTimeout"] = JsonKind.Integer, ["ExposedPorts"] = JsonKind.Object,
        ["Volumes"] = JsonKind.Object, ["Healthcheck"] = JsonKind.Object,
        ["Healthcheck.Test"] = JsonKind.StringOrStringArray, ["Healthcheck.Interval"] = JsonKind.Integer,
        ["Healthcheck.Timeout"] = JsonKind.Integer, ["Healthcheck.StartPeriod"] = JsonKind.Integer,
        ["Healthcheck.StartInterval"] = JsonKind.Integer, ["Healthcheck.Retries"] = JsonKind.Integer, ["NetworkDisabled"] = JsonKind.Bool,
        ["MacAddress"] = JsonKind.String, ["Shell"] = JsonKind.StringArray, ["ArgsEscaped"] = JsonKind.Bool,
        ["HostConfig"] = JsonKind.Object, ["NetworkingConfig"] = JsonKind.Object,
        ["NetworkingConfig.EndpointsConfig"] = JsonKind.Object,
        ["HostConfig.Binds"] = JsonKind.StringArray, ["HostConfig.NetworkMode"] = JsonKind.String,
        ["HostConfig.PortBindings"] = JsonKind.Object, ["HostConfig.RestartPolicy"] = JsonKind.Object,
        ["HostConfig.RestartPolicy.Name"] = JsonKind.String, ["HostConfig.RestartPolicy.MaximumRetryCount"] = JsonKind.Integer,
        ["HostConfig.AutoRemove"] = JsonKind.Bool, ["HostConfig.VolumeDriver"] = JsonKind.String,
        ["HostConfig.VolumesFrom"] = JsonKind.StringArray, ["HostConfig.Mounts"] = JsonKind.Array,
        ["HostConfig.CapAdd"] = JsonKind.StringArray, ["HostConfig.CapDrop"] = JsonKind.StringArray,
        ["HostConfig.Dns"] = JsonKind.StringArray, ["HostConfig.DnsOptions"] = JsonKind.StringArray,
        ["HostConfig.DnsSearch"] = JsonKind.StringArray, ["HostConfig.ExtraHosts"] = JsonKind.StringArray,
        ["HostConfig.GroupAdd"] = JsonKind.StringArray, ["HostConfig.IpcMode"] = JsonKind.String,
        ["HostConfig.Cgroup"] = JsonKind.String, ["HostConfig.Links"] = JsonKind.StringArray,
        ["HostConfig.OomScoreAdj"] = JsonKind.Integer, ["HostConfig.PidMode"] = JsonKind.String,
        ["HostConfig.Privileged"] = JsonKind.Bool, ["HostConfig.PublishAllPorts"] = JsonKind.Bool,
        ["HostConfig.ReadonlyRootfs"] = JsonKind.Bool, ["HostConfig.SecurityOpt"] = JsonKind.StringArray,
        ["HostConfig.Tmpfs"] = JsonKind.StringMap, ["HostConfig.UTSMode"] = JsonKind.String,
        ["HostConfig.UsernsMode"] = JsonKind.String, ["HostConfig.ShmSize"] = JsonKind.Integer,
        ["HostConfig.Sysctls"] = JsonKind.StringMap, ["HostConfig.Runtime"] = JsonKind.String,
        ["HostConfig.ConsoleSize"] = JsonKind.Array, ["HostConfig.Isolation"] = JsonKind.String,
        ["HostConfig.CpuShares"] = JsonKind.Integer, ["HostConfig.Memory"] = JsonKind.Integer,
        ["HostConfig.NanoCpus"] = JsonKind.Integer, ["HostConfig.NanoCPUs"] = JsonKind.Integer,
        ["HostConfig.CgroupParent"] = JsonKind.String, ["HostConfig.BlkioWeight"] = JsonKind.Integer,
        ["HostConfig.CpuPeriod"] = JsonKind.Integer, ["HostConfig.CpuQuota"] = JsonKind.Integer,
        ["HostConfig.CpuRealtimePeriod"] = JsonKind.Integer, ["HostConfig.CpuRealtimeRuntime"] = JsonKind.Integer,
        ["HostConfig.CpusetCpus"] = JsonKind.String, ["HostConfig.CpusetMems"] = JsonKind.String,
        ["HostConfig.Devices"] = JsonKind.Array, ["HostConfig.DeviceCgroupRules"] = JsonKind.StringArray,
        ["HostConfig.MemoryReservation"] = JsonKind.Integer, ["HostConfig.MemorySwap"] = JsonKind.Integer,
        ["HostConfig.MemorySwappiness"] = JsonKind.Integer, ["HostConfig.OomKillDisable"] = JsonKind.Bool,
        ["HostConfig.PidsLimit"] = JsonKind.Integer, ["HostConfig.Ulimits"] = JsonKind.Array,
        ["HostConfig.Init"] = JsonKind.Bool, ["HostConfig.MaskedPaths"] = JsonKind.StringArray,
        ["HostConfig.ReadonlyPaths"] = JsonKind.StringArray, ["HostConfig.LogConfig"] = JsonKind.Object,
    };

    /// <summary>POST /containers/{id}/exec.</summary>
    public static readonly IReadOnlyDictionary<string, JsonKind> ExecCreate = new Dictionary<string, JsonKind>
    {
        ["AttachStdin"] = JsonKind.Bool, ["AttachStdout"] = JsonKind.Bool, ["AttachStderr"] = JsonKind.Bool,
        ["DetachKeys"] = JsonKind.String, ["detachKeys"] = JsonKind.String, ["Tty"] = JsonKind.Bool, ["Env"] = JsonKind.StringArray,
        ["Cmd"] = JsonKind.StringArray, ["Privileged"] = JsonKind.Bool, ["User"] = JsonKind.String,
        ["WorkingDir"] = JsonKind.String, ["ConsoleSize"] = JsonKind.Array,
    };

    /// <summary>POST /networks/create.</summary>
    public static readonly IReadOnlyDictionary<string, JsonKind> NetworkCreate = new Dictionary<string, JsonKind>
    {
        ["Name"] = JsonKind.String, ["Driver"] = JsonKind.String, ["Internal"] = JsonKind.Bool,
        ["Attachable"] = JsonKind.Bool, ["IPAM"] = JsonKind.Object, ["IPAM.Config"] = JsonKind.Array,
        ["Options"] = JsonKind.StringMap, ["Labels"] = JsonKind.StringMap, ["EnableIPv6"] = JsonKind.Bool,
        ["CheckDuplicate"] = JsonKind.Bool,
    };

    /// <summary>POST /volumes/create.</summary>
    public static readonly IReadOnlyDictionary<string, JsonKind> VolumeCreate = new Dictionary<string, JsonKind>
    {
        ["Name"] = JsonKind.String, ["Driver"] = JsonKind.String, ["DriverOpts"] = JsonKind.StringMap, ["Labels"] = JsonKind.StringMap,
    };
}
