using System.Text.Json.Nodes;
using MiniContainer.Api;

namespace MiniContainer.Containers;

/// <summary>
/// The create fields that choose how a container is set up rather than what it runs: --pid, --uts, --cgroupns,
/// --isolation, --runtime, --volume-driver, --group-add and --log-driver/--log-opt. Each is read into HostConfig
/// as sent (so inspect echoes it, as dockerd's does), checked with dockerd's error text, and honoured at start
/// (namespaces: the shim; groups: ProcessStarter; the log: the shim's Supervisor and LogReader).
/// </summary>
public static class HostConfigModes
{
    public static void Parse(JsonObject body, JsonObject hostNode, HostConfig host)
    {
        host.PidMode = Text(hostNode["PidMode"]);
        host.UTSMode = Text(hostNode["UTSMode"]);
        host.CgroupnsMode = Text(hostNode["CgroupnsMode"]) is { Length: > 0 } cgroupns ? cgroupns : "private";
        host.Isolation = Text(hostNode["Isolation"]);
        // docker-py sends Runtime beside Config's fields, the API puts it in HostConfig: either names the runtime.
        host.Runtime = Text(hostNode["Runtime"]) is { Length: > 0 } runtime ? runtime : Text(body["Runtime"]) is { Length: > 0 } top ? top : RuntimeName.Default;
        host.VolumeDriver = Text(hostNode["VolumeDriver"]);
        host.GroupAdd = hostNode["GroupAdd"] is JsonArray groups && groups.Count > 0 ? groups.Select(g => g?.ToString() ?? "").ToList() : null;
        host.LogConfig = LogDrivers.Parse(hostNode["LogConfig"] as JsonObject);
    }

    /// <summary>dockerd's checks (runconfig's validators, then the daemon's), in its words and status.</summary>
    public static void Validate(HostConfig host, string? requestedHostname)
    {
        if (!(host.PidMode is "" or "host" || host.PidMode.StartsWith("container:", StringComparison.Ordinal) && host.PidMode.Length > "container:".Length))
            throw new BadRequestException($"invalid PID mode: {host.PidMode}");
        if (host.UTSMode is not ("" or "host"))
            throw new BadRequestException($"invalid UTS mode: {host.UTSMode}");
        if (host.UTSMode == "host" && !string.IsNullOrEmpty(requestedHostname))
            throw new BadRequestException("conflicting options: hostname and the UTS mode");
        if (host.CgroupnsMode is not ("private" or "host"))
            throw new BadRequestException($"invalid cgroup namespace mode: {host.CgroupnsMode}");
        if (host.Isolation is not ("" or "default"))
            throw new BadRequestException($"invalid isolation '{host.Isolation}' on linux");
        RuntimeName.Check(host.Runtime);
        if (host.GroupAdd?.FirstOrDefault(g => g.Length == 0 || g.Contains(':')) is { } badGroup)
            throw new BadRequestException($"invalid group name \"{badGroup}\" for --group-add");
    }

    /// <summary>--volume-driver names the driver of the volumes this container creates (anonymous ones, and named ones
    /// that do not exist yet). dockerd looks the driver up only then, so a container that creates none is fine with
    /// any name; a volume it would create with a driver other than "local" is dockerd's plugin error.</summary>
    public static void CheckVolumeDriver(HostConfig host, bool createsVolumes)
    {
        if (createsVolumes && host.VolumeDriver is not ("" or "local"))
            throw new ApiException(500, $"error looking up volume plugin {host.VolumeDriver}: plugin \"{host.VolumeDriver}\" not found");
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}

/// <summary>The one container runtime: the shim. It answers to the name dockerd gives its default runtime, "runc", so
/// clients that name the default explicitly (docker-py's runtime='runc') get it; /info lists it under that name with
/// the shim's path, so what the name stands for is visible.</summary>
public static class RuntimeName
{
    public const string Default = "runc";

    public static void Check(string name)
    {
        if (name != Default) throw new BadRequestException($"unknown or invalid runtime name: {name}");
    }
}
