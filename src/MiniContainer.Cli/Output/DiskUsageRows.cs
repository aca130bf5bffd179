using System.Globalization;
using System.Text.Json.Nodes;
using static MiniContainer.Cli.Output.ContainerRows;

namespace MiniContainer.Cli.Output;

/// <summary>
/// `system df`: one row per kind (images, containers, local volumes, build cache) from GET /system/df, counted as the
/// docker CLI counts them. Active: images some container uses, running containers, volumes some container mounts.
/// Reclaimable: what removing the inactive ones would free, with its share of the total.
/// </summary>
internal static class DiskUsageRows
{
    public const string DefaultFormat = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";

    public static readonly JsonObject Headers = new()
    {
        ["Type"] = "TYPE", ["TotalCount"] = "TOTAL", ["Active"] = "ACTIVE", ["Size"] = "SIZE", ["Reclaimable"] = "RECLAIMABLE",
    };

    public static IEnumerable<JsonObject> Rows(JsonObject df)
    {
        var images = Objects(df["Images"]);
        long layers = Long(df, "LayersSize");
        var used = images.Where(i => Long(i, "Containers") > 0).ToList();
        long usedBytes = used.Where(i => Long(i, "Size") != -1 && Long(i, "SharedSize") != -1).Sum(i => Long(i, "Size") - Long(i, "SharedSize"));
        yield return Row("Images", images.Count, used.Count, layers, layers - usedBytes);

        var containers = Objects(df["Containers"]);
        var running = containers.Where(c => Str(c, "State") is "running" or "paused" or "restarting").ToList();
        long rw = containers.Sum(c => Long(c, "SizeRw"));
        yield return Row("Containers", containers.Count, running.Count, rw, rw - running.Sum(c => Long(c, "SizeRw")));

        var volumes = Objects(df["Volumes"]);
        var usage = volumes.Select(v => v["UsageData"] as JsonObject).OfType<JsonObject>().Where(u => Long(u, "Size") != -1).ToList();
        long volumeBytes = usage.Sum(u => Long(u, "Size"));
        yield return Row("Local Volumes", volumes.Count, volumes.Count(v => v["UsageData"] is JsonObject u && Long(u, "RefCount") > 0),
            volumeBytes, usage.Where(u => Long(u, "RefCount") == 0).Sum(u => Long(u, "Size")));

        var cache = Objects(df["BuildCache"]);
        long cacheBytes = cache.Where(b => b["Shared"]?.GetValue<bool>() != true).Sum(b => Long(b, "Size"));
        long inUse = cache.Where(b => b["InUse"]?.GetValue<bool>() == true && b["Shared"]?.GetValue<bool>() != true).Sum(b => Long(b, "Size"));
        yield return new JsonObject
        {
            ["Type"] = "Build Cache",
            ["TotalCount"] = Count(cache.Count),
            ["Active"] = Count(cache.Count(b => b["InUse"]?.GetValue<bool>() == true)),
            ["Size"] = HumanUnits.SizeFine(cacheBytes),
            ["Reclaimable"] = HumanUnits.SizeFine(cacheBytes - inUse),
        };
    }

    private static JsonObject Row(string type, int total, int active, long size, long reclaimable) => new()
    {
        ["Type"] = type,
        ["TotalCount"] = Count(total),
        ["Active"] = Count(active),
        ["Size"] = HumanUnits.SizeFine(size),
        ["Reclaimable"] = size > 0 ? $"{HumanUnits.SizeFine(reclaimable)} ({reclaimable * 100 / size}%)" : HumanUnits.SizeFine(reclaimable),
    };

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static List<JsonObject> Objects(JsonNode? array) => (array as JsonArray ?? []).OfType<JsonObject>().ToList();
}
