using System.Text.Json.Nodes;
using MiniContainer.Containers;
using MiniContainer.Networking;

namespace MiniContainer.Api;

/// <summary>/networks/* of the Docker Engine API: list, inspect, create, remove, prune, connect, disconnect.</summary>
public static class NetworkRoutes
{
    public static void Map(Router r, NetworkService networks, ContainerService containers)
    {
        r.Map("GET", "/networks", ctx =>
        {
            var filters = Filters.Parse(ctx.Q("filters"));
            var list = AllInspected(networks).Where(n => Matches(n, filters)).ToList();
            return ctx.WriteJsonAsync(200, list, DaemonJson.Default.ListNetworkInspect);
        });

        r.Map("GET", "/networks/{id}", ctx =>
        {
            string id = ctx.R("id");
            var found = AllInspected(networks).Where(n => n.Name == id || n.Id == id).ToList();
            if (found.Count == 0) found = AllInspected(networks).Where(n => n.Id.StartsWith(id, StringComparison.Ordinal)).ToList();
            if (found.Count == 0) throw new NotFoundException($"network {id} not found");
            if (found.Count > 1) throw new BadRequestException($"network {id} is ambiguous ({found.Count} matches found based on ID prefix)");
            return ctx.WriteJsonAsync(200, found[0], DaemonJson.Default.NetworkInspect);
        });

        r.Map("POST", "/networks/create", async ctx =>
        {
            var n = networks.Create(await ctx.ReadJsonObjectAsync(JsonBody.NetworkCreate));
            await ctx.WriteJsonAsync(201, new NetworkCreateResponse { Id = n.Id }, DaemonJson.Default.NetworkCreateResponse);
        });

        r.Map("DELETE", "/networks/{id}", async ctx =>
        {
            string id = ctx.R("id");
            if (id is "host" or "none") throw new ForbiddenException($"{id} is a pre-defined network and cannot be removed");
            networks.Remove(networks.Store.Get(id));
            await ctx.WriteEmptyAsync(204);
        });

        r.Map("POST", "/networks/prune", ctx =>
        {
            var filters = Filters.Parse(ctx.Q("filters"));
            PruneFilters.Validate(filters);
            var deleted = networks.Prune(n => PruneFilters.Matches(filters, n.Labels, n.Created));
            return ctx.WriteJsonAsync(200, new NetworkPruneResponse { NetworksDeleted = deleted }, DaemonJson.Default.NetworkPruneResponse);
        });

        r.Map("POST", "/networks/{id}/connect", async ctx =>
        {
            var n = BridgeNetwork(networks, ctx.R("id"));
            var body = await ctx.ReadJsonObjectAsync();
            var c = containers.Get((string?)body["Container"] ?? "");
            var endpoint = body["EndpointConfig"] as JsonObject;
            var aliases = CreateRequest.StringList(endpoint?["Aliases"]);
            string? ip = (string?)(endpoint?["IPAMConfig"] as JsonObject)?["IPv4Address"];
            await c.Gate.WaitAsync();
            try { networks.Connect(n, c, aliases, string.IsNullOrEmpty(ip) ? null : ip); }
            finally { c.Gate.Release(); }
            await ctx.WriteEmptyAsync(200);
        });

        r.Map("POST", "/networks/{id}/disconnect", async ctx =>
        {
            var n = BridgeNetwork(networks, ctx.R("id"));
            var body = await ctx.ReadJsonObjectAsync();
            string name = (string?)body["Container"] ?? "";
            bool force = (bool?)body["Force"] ?? false;
            var c = containers.Find(name);
            if (c == null)
            {
                if (force) { networks.ForceDisconnect(n, name); await ctx.WriteEmptyAsync(200); return; }
                throw new NotFoundException($"No such container: {name}");
            }
            await c.Gate.WaitAsync();
            try { networks.Disconnect(n, c, force); }
            finally { c.Gate.Release(); }
            await ctx.WriteEmptyAsync(200);
        });
    }

    private static NetworkState BridgeNetwork(NetworkService networks, string id)
    {
        if (id is "host" or "none") throw new ForbiddenException($"container cannot be disconnected from host network or connected to host network");
        return networks.Store.Get(id);
    }

    /// <summary>Docker lists "bridge", "host", "none" and the user's networks.</summary>
    private static List<NetworkInspect> AllInspected(NetworkService networks) =>
        networks.Store.All.Select(networks.Inspect).Concat(new[] { NetworkService.Predefined("host"), NetworkService.Predefined("none") })
            .OrderBy(n => n.Name, StringComparer.Ordinal).ToList();

    /// <summary>GET /networks filters: name (substring), id (prefix), driver, label, type (custom|builtin), dangling.</summary>
    private static bool Matches(NetworkInspect n, Dictionary<string, List<string>> filters)
    {
        bool builtin = NetworkService.PredefinedNetworks.Contains(n.Name);
        foreach (var (key, values) in filters)
        {
            bool ok = key switch
            {
                "name" => values.Any(v => n.Name.Contains(v, StringComparison.Ordinal)),
                "id" => values.Any(v => n.Id.StartsWith(v, StringComparison.Ordinal)),
                "driver" => values.Contains(n.Driver),
                "label" => values.Any(l => Filters.HasLabel(n.Labels, l)),
                "type" => values.All(v => v is "custom" or "builtin" ? true : throw new BadRequestException($"invalid filter: 'type'='{v}'"))
                          && values.Any(v => (v == "builtin") == builtin),
                "dangling" => values.Any(v => (v is "true" or "1") == (!builtin && n.Containers.Count == 0)),
                "scope" => values.Contains(n.Scope),
                _ => throw new BadRequestException($"invalid filter '{key}'"),
            };
            if (!ok) return false;
        }
        return true;
    }
}
