using System.Text.Json.Nodes;
using static MiniContainer.Cli.Output.ContainerRows;

namespace MiniContainer.Cli.Output;

/// <summary>What `network ls` shows for each network of GET /networks, and `network prune`'s report.</summary>
internal static class NetworkRows
{
    public const string DefaultFormat = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
    public const string QuietFormat = "{{.ID}}";

    public static readonly JsonObject Headers = new()
    {
        ["ID"] = "NETWORK ID", ["Name"] = "NAME", ["Driver"] = "DRIVER", ["Scope"] = "SCOPE", ["IPv6"] = "IPV6",
        ["Internal"] = "INTERNAL", ["Labels"] = "LABELS", ["CreatedAt"] = "CREATED AT",
    };

    public static JsonObject Row(JsonObject n, bool noTrunc = false)
    {
        string id = Str(n, "Id");
        return new JsonObject
        {
            ["ID"] = noTrunc || id.Length <= 12 ? id : id[..12],
            ["Name"] = Str(n, "Name"),
            ["Driver"] = Str(n, "Driver"),
            ["Scope"] = Str(n, "Scope"),
            ["IPv6"] = (bool?)n["EnableIPv6"] == true ? "true" : "false",
            ["Internal"] = (bool?)n["Internal"] == true ? "true" : "false",
            ["Labels"] = n["Labels"] is JsonObject labels ? string.Join(",", labels.Select(p => $"{p.Key}={GoTemplate.Print(p.Value)}")) : "",
            ["CreatedAt"] = Str(n, "Created"),
        };
    }

    /// <summary>The networks of a GET /networks answer as rows, sorted by name as docker sorts them.</summary>
    public static IEnumerable<JsonObject> Rows(JsonNode? list, bool noTrunc = false) =>
        (list as JsonArray ?? []).OfType<JsonObject>().Select(n => Row(n, noTrunc))
            .OrderBy(r => Str(r, "Name"), StringComparer.Ordinal);
}
