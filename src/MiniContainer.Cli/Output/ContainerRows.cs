using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Output;

/// <summary>What `ps` shows for each container of GET /containers/json: the fields a --format can name, already formatted.</summary>
internal static class ContainerRows
{
    public const string DefaultFormat = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
    public const string QuietFormat = "{{.ID}}";

    public static readonly JsonObject Headers = new()
    {
        ["ID"] = "CONTAINER ID", ["Image"] = "IMAGE", ["Command"] = "COMMAND", ["CreatedAt"] = "CREATED AT",
        ["RunningFor"] = "CREATED", ["Ports"] = "PORTS", ["State"] = "STATE", ["Status"] = "STATUS", ["Size"] = "SIZE",
        ["Names"] = "NAMES", ["Labels"] = "LABELS", ["Mounts"] = "MOUNTS", ["Networks"] = "NETWORKS", ["LocalVolumes"] = "LOCAL VOLUMES",
    };

    public static JsonObject Row(JsonObject c, bool truncate, DateTimeOffset now)
    {
        string id = Str(c, "Id");
        string command = Str(c, "Command");
        long created = Long(c, "Created");
        string image = Str(c, "Image");
        if (truncate)
        {
            if (image.StartsWith("sha256:", StringComparison.Ordinal)) image = GoStrings.ShortId(image);
            else if (image.IndexOf('@') is int at and > 0) image = image[..at];
        }

        return new JsonObject
        {
            ["ID"] = truncate ? GoStrings.ShortId(id) : id,
            ["Image"] = image,
            ["Command"] = GoStrings.Quote(truncate ? GoStrings.Ellipsis(command, 20) : command),
            ["CreatedAt"] = GoTime(DateTimeOffset.FromUnixTimeSeconds(created)),
            ["RunningFor"] = HumanUnits.Ago(created, now),
            ["Ports"] = PortFormat.PsColumn(c["Ports"] as JsonArray),
            ["State"] = Str(c, "State"),
            ["Status"] = Status(c),
            ["Size"] = Size(c),
            ["Names"] = Names(c["Names"] as JsonArray),
            ["Labels"] = c["Labels"] is JsonObject labels ? string.Join(",", labels.Select(p => $"{p.Key}={Print(p.Value)}")) : "",
            ["Mounts"] = c["Mounts"] is JsonArray mounts
                ? string.Join(",", mounts.OfType<JsonObject>().Select(m => GoStrings.Ellipsis(Str(m, "Name") is { Length: > 0 } n ? n : Str(m, "Source"), truncate ? 15 : int.MaxValue)))
                : "",
            ["Networks"] = (c["NetworkSettings"] as JsonObject)?["Networks"] is JsonObject nets ? string.Join(",", nets.Select(p => p.Key)) : "",
            ["LocalVolumes"] = c["Mounts"] is JsonArray all ? all.OfType<JsonObject>().Count(m => Str(m, "Driver") == "local").ToString(CultureInfo.InvariantCulture) : "0",
        };
    }

    /// <summary>The daemon's Status ("Up 3 seconds", "Exited (0) 5 seconds ago"); a plain State when it sent none.</summary>
    static string Status(JsonObject c)
    {
        string status = Str(c, "Status");
        if (status.Length > 0) return status;
        string state = Str(c, "State");
        return state.Length == 0 ? "" : char.ToUpperInvariant(state[0]) + state[1..];
    }

    static string Size(JsonObject c)
    {
        if (c["SizeRw"] is null && c["SizeRootFs"] is null) return "";
        string rw = HumanUnits.Size(Long(c, "SizeRw"));
        return c["SizeRootFs"] is null ? rw : $"{rw} (virtual {HumanUnits.Size(Long(c, "SizeRootFs"))})";
    }

    /// <summary>["/web", "/other/link"] → "web": names without their leading slash, links left out.</summary>
    public static string Names(JsonArray? names)
        => names is null ? "" : string.Join(",", names.Select(n => Print(n).TrimStart('/')).Where(n => !n.Contains('/')));


    /// <summary>Go's time.String(): "2024-05-01 12:00:00 +0000 UTC".</summary>
    public static string GoTime(DateTimeOffset t)
    {
        var local = t.ToLocalTime();
        string offset = local.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "");
        return local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " " + offset + (local.Offset == TimeSpan.Zero ? " UTC" : "");
    }

    internal static string Str(JsonObject o, string key)
        => o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";

    internal static long Long(JsonObject o, string key)
        => o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? (long)v.GetValue<double>() : 0;

    static string Print(JsonNode? n) => GoTemplate.Print(n);
}
