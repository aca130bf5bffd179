using System.Text.Json.Nodes;
using MiniContainer.Containers;

namespace MiniContainer.Networking;

/// <summary>
/// Inspect for clients of API &lt; 1.45 (docker-py 7.1 speaks 1.44): dockerd listed the container's short ID among
/// the Aliases of each user-defined network's endpoint (it always answers to it in DNS; since 1.45 DNSNames says so
/// and Aliases holds only what the user asked for). Applied to the inspect JSON only; the record keeps the user's.
/// </summary>
public static class EndpointAliases
{
    public static void AddShortId(JsonObject inspected, ContainerRecord r)
    {
        if (inspected["NetworkSettings"]?["Networks"] is not JsonObject networks) return;
        foreach (var (name, endpoint) in networks)
        {
            if (NetworkService.PredefinedNetworks.Contains(name) || endpoint is not JsonObject ep) continue;
            var aliases = ep["Aliases"] as JsonArray ?? new JsonArray();
            if (!aliases.Any(a => (string?)a == r.ShortId)) aliases.Add((JsonNode)JsonValue.Create(r.ShortId));
            ep["Aliases"] = aliases;
        }
    }
}
