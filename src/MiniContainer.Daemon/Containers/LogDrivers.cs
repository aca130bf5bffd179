using System.Text.Json.Nodes;
using MiniContainer.Api;

namespace MiniContainer.Containers;

/// <summary>
/// --log-driver and --log-opt. Two drivers exist: "json-file" (the default: the shim writes Docker's json-file
/// records to containers/ID/ID-json.log, which `logs` reads) and "none" (nothing is kept; `logs` is dockerd's 501).
/// json-file's options are dockerd's names; of them only max-file is accepted: without max-size (not implemented
/// here: no rotation) dockerd's max-file changes nothing either, so it is honoured by being echoed.
/// </summary>
public static class LogDrivers
{
    public const string JsonFile = "json-file";
    public const string None = "none";

    /// <summary>json-file's options in dockerd; those not honoured here are refused by name.</summary>
    private static readonly HashSet<string> JsonFileOptions = new(StringComparer.Ordinal)
    {
        "max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag",
    };

    public static LogConfig Parse(JsonObject? node)
    {
        string type = node?["Type"] is JsonValue t && t.TryGetValue<string>(out var s) && s.Length > 0 ? s : JsonFile;
        var config = node?["Config"] is JsonObject o ? o.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "") : new Dictionary<string, string>();
        var logConfig = new LogConfig { Type = type, Config = config };
        Validate(logConfig);
        return logConfig;
    }

    private static void Validate(LogConfig log)
    {
        if (log.Type == None)
        {
            if (log.Config.Count > 0)
                throw new BadRequestException($"--log-opt {log.Config.Keys.First()} is not supported by MiniContainer with the none log driver, which keeps nothing");
            return;
        }
        if (log.Type != JsonFile) throw new BadRequestException($"logger: no log driver named '{log.Type}' is registered");
        foreach (var (key, value) in log.Config)
        {
            if (!JsonFileOptions.Contains(key)) throw new BadRequestException($"unknown log opt '{key}' for json-file log driver");
            if (key != "max-file")
                throw new BadRequestException($"--log-opt {key} is not supported by MiniContainer (its json-file log is never rotated); leave it out, or run this container with Docker");
            if (!int.TryParse(value, out int files)) throw new BadRequestException($"strconv.Atoi: parsing \"{value}\": invalid syntax");
            if (files < 1) throw new BadRequestException("max-file cannot be less than 1");
        }
    }

    /// <summary>`logs` of a container whose driver keeps nothing: dockerd's answer.</summary>
    public static void CheckReadable(ContainerRecord r)
    {
        if (r.HostConfig.LogConfig.Type == None)
            throw new ApiException(501, "configured logging driver does not support reading");
    }

    /// <summary>Where the shim writes the container's output: nowhere for "none".</summary>
    public static string? LogFileFor(ContainerRecord r) => r.HostConfig.LogConfig.Type == None ? null : r.LogPath;
}
