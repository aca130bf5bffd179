using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using static MiniContainer.Cli.Output.ContainerRows;

namespace MiniContainer.Cli.Output;

/// <summary>What `volume ls` shows for each volume of GET /volumes, and `volume prune`'s report.</summary>
internal static class VolumeRows
{
    public const string DefaultFormat = "table {{.Driver}}\t{{.Name}}";
    public const string QuietFormat = "{{.Name}}";

    public static readonly JsonObject Headers = new()
    {
        ["Name"] = "VOLUME NAME", ["Driver"] = "DRIVER", ["Scope"] = "SCOPE", ["Mountpoint"] = "MOUNTPOINT",
        ["Labels"] = "LABELS", ["Links"] = "LINKS", ["Size"] = "SIZE", ["CreatedAt"] = "CREATED AT",
    };

    public static JsonObject Row(JsonObject v)
    {
        var usage = v["UsageData"] as JsonObject;
        return new JsonObject
        {
            ["Name"] = Str(v, "Name"),
            ["Driver"] = Str(v, "Driver"),
            ["Scope"] = Str(v, "Scope"),
            ["Mountpoint"] = Str(v, "Mountpoint"),
            ["CreatedAt"] = Str(v, "CreatedAt"),
            ["Labels"] = v["Labels"] is JsonObject labels ? string.Join(",", labels.Select(p => $"{p.Key}={GoTemplate.Print(p.Value)}")) : "",
            // UsageData is only filled by /system/df; docker shows N/A without it.
            ["Links"] = usage is null ? "N/A" : Long(usage, "RefCount").ToString(CultureInfo.InvariantCulture),
            ["Size"] = usage is null ? "N/A" : HumanUnits.Size(Long(usage, "Size")),
        };
    }

    /// <summary>The volumes of a GET /volumes answer as rows, in docker's natural order of names (vol2 before vol10).</summary>
    public static IEnumerable<JsonObject> Rows(JsonNode? list)
        => ((list as JsonObject)?["Volumes"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(Row)
            .Order(Comparer<JsonObject>.Create((a, b) => NaturalCompare(Str(a, "Name"), Str(b, "Name"))));

    /// <summary>fvbommel/sortorder's NaturalLess as a comparison: runs of digits compare as numbers, digits before other characters.</summary>
    public static int NaturalCompare(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            bool da = char.IsAsciiDigit(a[i]), db = char.IsAsciiDigit(b[j]);
            if (da != db) return da ? -1 : 1;
            if (!da)
            {
                if (a[i] != b[j]) return a[i] < b[j] ? -1 : 1;
                i++; j++;
                continue;
            }
            while (i < a.Length && a[i] == '0') i++;
            while (j < b.Length && b[j] == '0') j++;
            int startA = i, startB = j;
            while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
            while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
            if (i - startA != j - startB) return i - startA < j - startB ? -1 : 1;
            int digits = string.CompareOrdinal(a, startA, b, startB, i - startA);
            if (digits != 0) return digits < 0 ? -1 : 1;
            if (startA != startB) return startA < startB ? -1 : 1;   // fewer leading zeros first
        }
        return (a.Length - i).CompareTo(b.Length - j);
    }
}
