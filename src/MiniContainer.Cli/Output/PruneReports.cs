using System.Text;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Output;

/// <summary>
/// What the prune commands print, as the docker CLI prints it: per kind, "Deleted X:" and one line per item, then the
/// blank line of its Println — nothing at all when none went — and at the end "Total reclaimed space: …".
/// `system prune` prints the same sections one after another and one total.
/// </summary>
public static class PruneReports
{
    public readonly record struct Section(string Text, long Reclaimed);

    public static Section Containers(JsonNode? report) =>
        Make("Deleted Containers", Names(report, "ContainersDeleted"), Reclaimed(report));

    public static Section Networks(JsonNode? report) =>
        Make("Deleted Networks", Names(report, "NetworksDeleted"), 0);

    public static Section Volumes(JsonNode? report) =>
        Make("Deleted Volumes", Names(report, "VolumesDeleted"), Reclaimed(report));

    public static Section Images(JsonNode? report)
    {
        var lines = ((report as JsonObject)?["ImagesDeleted"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(item => item["Untagged"] is { } u ? "untagged: " + GoTemplate.Print(u) : "deleted: " + GoTemplate.Print(item["Deleted"]));
        return Make("Deleted Images", lines.ToList(), Reclaimed(report));
    }

    public static Section BuildCache(JsonNode? report) =>
        Make("Deleted build cache objects", Names(report, "CachesDeleted"), Reclaimed(report));

    public static string Total(long reclaimed) => "Total reclaimed space: " + HumanUnits.SizeFine(reclaimed) + "\n";

    /// <summary>One prune command's whole output: its section, then the total.</summary>
    public static string Alone(Section section) => section.Text + Total(section.Reclaimed);

    private static Section Make(string title, List<string> lines, long reclaimed)
    {
        if (lines.Count == 0) return new Section("", 0);   // dockerd's count only goes with a list
        var sb = new StringBuilder(title).Append(":\n");
        foreach (string line in lines) sb.Append(line).Append('\n');
        return new Section(sb.Append('\n').ToString(), reclaimed);
    }

    private static List<string> Names(JsonNode? report, string key) =>
        ((report as JsonObject)?[key] as JsonArray ?? []).Select(n => GoTemplate.Print(n)).ToList();

    private static long Reclaimed(JsonNode? report) =>
        (report as JsonObject)?["SpaceReclaimed"] is JsonValue v && v.TryGetValue<long>(out long n) ? n : 0;
}
