using System.Text.Json.Nodes;
using MiniContainer.Containers;
using MiniContainer.Explaining;
using MiniContainer.Networking;

namespace MiniContainer.Api;

/// <summary>/networks/* of the Docker Engine API: list, inspect, create, remove, prune, connect, disconnect.</summary>
public static class NetworkRoutes
{
    public static void Map(Router r, NetworkService networks, ContainerService containers)
    {
        r.Map("GET", "/networks", ctx =>
        {
            var list = AllInspected(networks).Where(ListFilter(FilterArgs.Parse(ctx.Q("filters")))).ToList();
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
            var body = await ctx.ReadJsonObjectAsync(JsonBody.NetworkCreate);
            var explained = ExplainRoutes.Requested(ctx);   // ?explain=1 (our extension): the bridge, its address, nft
            NetworkState n;
            using (ExplainSession.ListenForRequest("network create")) n = networks.Create(body);
            await ExplainRoutes.WriteJsonWithStepsAsync(ctx, 201, new NetworkCreateResponse { Id = n.Id }, DaemonJson.Default.NetworkCreateResponse, explained);
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
            var filters = FilterArgs.Parse(ctx.Q("filters"));
            PruneFilters.Validate(filters);
            var deleted = networks.Prune(n => PruneFilters.Matches(filters, n.Labels, n.Created));
            return ctx.WriteJsonAsync(200, new NetworkPruneResponse { NetworksDeleted = deleted }, DaemonJson.Default.NetworkPruneResponse);
        });

        r.Map("POST", "/networks/{id}/connect", async ctx =>
        {
            var n = BridgeNetwork(networks, ctx.R("id"));
            var body = await ctx.ReadJsonObjectAsync();
            var c = containers.Get((string?)body["Container"] ?? "");
            var request = EndpointRequest.Parse(body["EndpointConfig"] as JsonObject);
            var explained = ExplainRoutes.Requested(ctx);   // ?explain=1: the veth pair, addresses, routes, DNS names
            await c.Gate.WaitAsync();
            try { Recorded(c, "network connect", () => networks.Connect(n, c, request)); }
            finally { c.Gate.Release(); }
            await ExplainRoutes.WriteStepsOrEmptyAsync(ctx, explained, emptyStatus: 200);
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
            var explained = ExplainRoutes.Requested(ctx);
            await c.Gate.WaitAsync();
            try { Recorded(c, "network disconnect", () => networks.Disconnect(n, c, force)); }
            finally { c.Gate.Release(); }
            await ExplainRoutes.WriteStepsOrEmptyAsync(ctx, explained, emptyStatus: 200);
        });
    }

    /// <summary>Connect and disconnect change a container: when it is recorded (--explain at create, --explain-all) or
    /// the request asks, the steps join its explain log too, so `minicontainer explain` replays them.</summary>
    private static void Recorded(Container c, string action, Action change)
    {
        using var session = ExplainSession.BeginFor(c, action);
        change();
        session?.Finish(c);
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

    /// <summary>GET /networks filters, as dockerd applies them: driver, scope and type exact; name and id regular
    /// expressions (an ID prefix matches); each ORed within its key; label values all required; dangling = no container.</summary>
    internal static Func<NetworkInspect, bool> ListFilter(FilterArgs filters)
    {
        filters.Validate("driver", "id", "label", "name", "scope", "type", "dangling");
        bool? dangling = filters.Contains("dangling") ? filters.GetBool("dangling", false) : null;
        foreach (string t in filters.Get("type"))
            if (t is not ("custom" or "builtin")) throw new BadRequestException($"invalid filter: 'type'='{t}'");
        return n =>
        {
            bool builtin = NetworkService.PredefinedNetworks.Contains(n.Name);
            return filters.ExactMatch("driver", n.Driver)
                && filters.Match("name", n.Name)
                && filters.Match("id", n.Id)
                && filters.MatchLabels("label", n.Labels)
                && filters.ExactMatch("scope", n.Scope)
                && (dangling is not { } d || d == (!builtin && n.Containers.Count == 0))
                && filters.ExactMatch("type", builtin ? "builtin" : "custom");
        };
    }
}
