using System.Globalization;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Output;

/// <summary>
/// What `docker stats` shows for one sample of GET /containers/{id}/stats, with the docker CLI's formulas:
/// CPU % = Δ container CPU time / Δ host CPU time × online CPUs × 100 (between cpu_stats and precpu_stats);
/// memory = usage minus the inactive page cache (total_inactive_file on cgroup v1, inactive_file on v2), of the limit;
/// NET I/O = received / sent bytes over all interfaces; BLOCK I/O = read / written bytes over all devices.
/// </summary>
internal static class StatsRows
{
    public const string DefaultFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

    public static readonly JsonObject Headers = new()
    {
        ["Container"] = "CONTAINER", ["Name"] = "NAME", ["ID"] = "CONTAINER ID", ["CPUPerc"] = "CPU %", ["MemUsage"] = "MEM USAGE / LIMIT",
        ["MemPerc"] = "MEM %", ["NetIO"] = "NET I/O", ["BlockIO"] = "BLOCK I/O", ["PIDs"] = "PIDS",
    };

    /// <param name="container">The name or ID as the user gave it (the CONTAINER column).</param>
    public static JsonObject Row(string container, JsonObject? s, bool truncate)
    {
        string id = Str(s, "id");
        double cpu = CpuPercent(s);
        double memory = MemoryUsage(s);
        double limit = Num(s?["memory_stats"], "limit");
        var (rx, tx) = Network(s);
        var (read, write) = BlockIo(s);
        return new JsonObject
        {
            ["Container"] = container,
            ["Name"] = Str(s, "name").TrimStart('/') is { Length: > 0 } n ? n : "--",
            ["ID"] = truncate && id.Length > 12 ? id[..12] : id,
            ["CPUPerc"] = Percent(cpu),
            ["MemUsage"] = HumanUnits.BinarySize(memory) + " / " + HumanUnits.BinarySize(limit),
            ["MemPerc"] = Percent(limit > 0 ? memory / limit * 100 : 0),
            ["NetIO"] = HumanUnits.Size(rx) + " / " + HumanUnits.Size(tx),
            ["BlockIO"] = HumanUnits.Size(read) + " / " + HumanUnits.Size(write),
            ["PIDs"] = ((long)Num(s?["pids_stats"], "current")).ToString(CultureInfo.InvariantCulture),
        };
    }

    static string Percent(double v) => v.ToString("0.00", CultureInfo.InvariantCulture) + "%";

    public static double CpuPercent(JsonObject? s)
    {
        double cpuDelta = Num(s?["cpu_stats"]?["cpu_usage"], "total_usage") - Num(s?["precpu_stats"]?["cpu_usage"], "total_usage");
        double systemDelta = Num(s?["cpu_stats"], "system_cpu_usage") - Num(s?["precpu_stats"], "system_cpu_usage");
        double online = Num(s?["cpu_stats"], "online_cpus");
        if (online == 0) online = (s?["cpu_stats"]?["cpu_usage"]?["percpu_usage"] as JsonArray)?.Count ?? 0;
        return systemDelta > 0 && cpuDelta > 0 ? cpuDelta / systemDelta * online * 100 : 0;
    }

    public static double MemoryUsage(JsonObject? s)
    {
        var m = s?["memory_stats"];
        double usage = Num(m, "usage");
        var stats = m?["stats"] as JsonObject;
        double inactive = stats?["total_inactive_file"] is not null ? Num(stats, "total_inactive_file") : Num(stats, "inactive_file");
        return inactive < usage ? usage - inactive : usage;
    }

    static (double Rx, double Tx) Network(JsonObject? s)
    {
        double rx = 0, tx = 0;
        foreach (var (_, n) in s?["networks"] as JsonObject ?? [])
        {
            rx += Num(n, "rx_bytes");
            tx += Num(n, "tx_bytes");
        }
        return (rx, tx);
    }

    static (double Read, double Write) BlockIo(JsonObject? s)
    {
        double read = 0, write = 0;
        foreach (var e in s?["blkio_stats"]?["io_service_bytes_recursive"] as JsonArray ?? [])
        {
            string op = Str(e as JsonObject, "op");
            if (op.Equals("read", StringComparison.OrdinalIgnoreCase)) read += Num(e, "value");
            else if (op.Equals("write", StringComparison.OrdinalIgnoreCase)) write += Num(e, "value");
        }
        return (read, write);
    }

    static string Str(JsonObject? o, string key) => o?[key] is JsonValue v && v.TryGetValue<string>(out string? s) ? s : "";

    static double Num(JsonNode? o, string key) => o?[key] is JsonValue v && v.TryGetValue<double>(out double d) ? d : 0;
}
