using System.CommandLine;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// run/create flags that choose namespaces, groups, runtime and logging: sent as typed, into HostConfig, for the
/// daemon to judge (as docker's client does: the daemon's HostConfigModes and LogDrivers give dockerd's errors).
/// </summary>
internal sealed class ContainerModeFlags
{
    public readonly Option<string?> Pid = new("--pid") { Description = "PID namespace to use (host, or container:<name|id>)" };
    public readonly Option<string?> Uts = new("--uts") { Description = "UTS namespace to use (host)" };
    public readonly Option<string?> Cgroupns = new("--cgroupns") { Description = "Cgroup namespace to use (host|private)" };
    public readonly Option<string[]> GroupAdd = new("--group-add") { Description = "Add additional groups to join" };
    public readonly Option<string?> LogDriver = new("--log-driver") { Description = "Logging driver for the container (json-file, none)" };
    public readonly Option<string[]> LogOpt = new("--log-opt") { Description = "Log driver options" };
    public readonly Option<string?> Runtime = new("--runtime") { Description = "Runtime to use for this container" };
    public readonly Option<string?> Isolation = new("--isolation") { Description = "Container isolation technology" };
    public readonly Option<string?> VolumeDriver = new("--volume-driver") { Description = "Optional volume driver for the container" };

    public IEnumerable<Option> All => [Pid, Uts, Cgroupns, GroupAdd, LogDriver, LogOpt, Runtime, Isolation, VolumeDriver];

    public void AddTo(JsonObject hostConfig, ParseResult parse)
    {
        if (parse.GetValue(Pid) is { } pid) hostConfig["PidMode"] = pid;
        if (parse.GetValue(Uts) is { } uts) hostConfig["UTSMode"] = uts;
        if (parse.GetValue(Cgroupns) is { } cgroupns) hostConfig["CgroupnsMode"] = cgroupns;
        if (parse.GetValue(GroupAdd) is { Length: > 0 } groups) hostConfig["GroupAdd"] = new JsonArray([.. groups.Select(g => (JsonNode?)g)]);
        if (parse.GetValue(Runtime) is { } runtime) hostConfig["Runtime"] = runtime;
        if (parse.GetValue(Isolation) is { } isolation) hostConfig["Isolation"] = isolation;
        if (parse.GetValue(VolumeDriver) is { } volumeDriver) hostConfig["VolumeDriver"] = volumeDriver;
        string[] logOpts = parse.GetValue(LogOpt) ?? [];
        if (parse.GetValue(LogDriver) is null && logOpts.Length == 0) return;
        foreach (string opt in logOpts)
            if (opt.IndexOf('=') <= 0) throw FlagValues.Invalid(LogOpt, opt, $"invalid key value pair format: {opt}");
        hostConfig["LogConfig"] = new JsonObject
        {
            ["Type"] = parse.GetValue(LogDriver) ?? "",
            ["Config"] = ContainerFlags.KeyValues(logOpts, LogOpt),
        };
    }
}
