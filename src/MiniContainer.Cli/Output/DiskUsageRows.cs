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
        long cacheBytes = CacheBytes(cache);
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

    /// <summary>
    /// `system df -v`: a table per kind, as the docker CLI prints it. Images show their first name only, their size,
    /// the part shared with other images and the rest; containers their writable layer; volumes how many containers
    /// mount them; then the build cache's total and its (here always empty) table.
    /// </summary>
    public static string Verbose(JsonObject df, DateTimeOffset now)
    {
        var images = Objects(df["Images"]).Select(i =>
        {
            string repo = "<none>", tag = "<none>";
            if ((i["RepoTags"] as JsonArray)?.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t is { Length: > 0 } && t != "<none>:<none>") is { } first)
                (repo, tag) = MiniContainer.Images.ImageReference.SplitTag(first);
            long size = Long(i, "Size"), shared = Long(i, "SharedSize");
            return new JsonObject
            {
                ["Repository"] = repo, ["Tag"] = tag.Length == 0 ? "<none>" : tag, ["ID"] = GoStrings.ShortId(Str(i, "Id")),
                ["CreatedSince"] = HumanUnits.Ago(Long(i, "Created"), now), ["VirtualSize"] = HumanUnits.Size(size),
                ["SharedSize"] = shared == -1 ? "N/A" : HumanUnits.SizeFine(shared),
                ["UniqueSize"] = shared == -1 ? "N/A" : HumanUnits.SizeFine(size - shared),
                ["Containers"] = Count((int)Long(i, "Containers")),
            };
        });
        var containers = Objects(df["Containers"]).Select(c =>
        {
            var row = ContainerRows.Row(c, truncate: true, now);
            row["Size"] = HumanUnits.Size(Long(c, "SizeRw"));
            return row;
        });
        var volumes = Objects(df["Volumes"]).Select(v => v["UsageData"] as JsonObject is var u && u is not null
            ? new JsonObject { ["Name"] = Str(v, "Name"), ["Links"] = Count((int)Long(u, "RefCount")), ["Size"] = Long(u, "Size") == -1 ? "N/A" : HumanUnits.SizeFine(Long(u, "Size")) }
            : new JsonObject { ["Name"] = Str(v, "Name"), ["Links"] = "N/A", ["Size"] = "N/A" });
        long cacheBytes = CacheBytes(Objects(df["BuildCache"]));

        return "Images space usage:\n\n" +
               ListFormat.Render("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.VirtualSize}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", images, VerboseHeaders) +
               "\nContainers space usage:\n\n" +
               ListFormat.Render("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", containers, ContainerRows.Headers) +
               "\nLocal Volumes space usage:\n\n" +
               ListFormat.Render("table {{.Name}}\t{{.Links}}\t{{.Size}}", volumes, VerboseHeaders) +
               $"\nBuild cache usage: {HumanUnits.SizeFine(cacheBytes)}\n\n" +
               ListFormat.Render("table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}", [], BuildCacheHeaders);
    }

    private static readonly JsonObject VerboseHeaders = new()
    {
        ["Repository"] = "REPOSITORY", ["Tag"] = "TAG", ["ID"] = "IMAGE ID", ["CreatedSince"] = "CREATED", ["VirtualSize"] = "SIZE",
        ["SharedSize"] = "SHARED SIZE", ["UniqueSize"] = "UNIQUE SIZE", ["Containers"] = "CONTAINERS",
        ["Name"] = "VOLUME NAME", ["Links"] = "LINKS", ["Size"] = "SIZE",
    };

    private static readonly JsonObject BuildCacheHeaders = new()
    {
        ["ID"] = "CACHE ID", ["CacheType"] = "CACHE TYPE", ["Size"] = "SIZE", ["CreatedSince"] = "CREATED",
        ["LastUsedSince"] = "LAST USED", ["UsageCount"] = "USAGE", ["Shared"] = "SHARED",
    };

    private static JsonObject Row(string type, int total, int active, long size, long reclaimable) => new()
    {
        ["Type"] = type,
        ["TotalCount"] = Count(total),
        ["Active"] = Count(active),
        ["Size"] = HumanUnits.SizeFine(size),
        ["Reclaimable"] = size > 0 ? $"{HumanUnits.SizeFine(reclaimable)} ({reclaimable * 100 / size}%)" : HumanUnits.SizeFine(reclaimable),
    };

    /// <summary>Bytes the build cache holds, leaving out records marked Shared, as the docker CLI counts them.</summary>
    private static long CacheBytes(List<JsonObject> cache) =>
        cache.Where(b => b["Shared"]?.GetValue<bool>() != true).Sum(b => Long(b, "Size"));

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static List<JsonObject> Objects(JsonNode? array) => (array as JsonArray ?? []).OfType<JsonObject>().ToList();
}
