using MiniContainer.Containers;
using MiniContainer.Explaining;
using MiniContainer.Volumes;

namespace MiniContainer.Api;

public sealed class VolumeListResponse
{
    public required List<Volume> Volumes { get; init; }
    public List<string> Warnings { get; init; } = new();
}

public sealed class VolumePruneResponse
{
    public required List<string> VolumesDeleted { get; init; }
    public required long SpaceReclaimed { get; init; }
}

/// <summary>/volumes/* of the Docker Engine API: create, list, inspect, remove, prune.</summary>
public static class VolumeRoutes
{
    public static void Map(Router r, VolumeStore volumes, ContainerService containers)
    {
        r.Map("POST", "/volumes/create", async ctx =>
        {
            var body = await ctx.ReadJsonObjectAsync(JsonBody.VolumeCreate);
            string driver = (string?)body["Driver"] is { Length: > 0 } d ? d : "local";
            if (driver != "local") throw new NotFoundException($"plugin \"{driver}\" not found");
            if (body["DriverOpts"] is System.Text.Json.Nodes.JsonObject { Count: > 0 })
                throw new BadRequestException("volume options (-o) of the local driver are not supported by this MiniContainer yet");
            var labels = (body["Labels"] as System.Text.Json.Nodes.JsonObject)?.ToDictionary(kv => kv.Key, kv => (string?)kv.Value ?? "");
            var explained = ExplainRoutes.Requested(ctx);   // ?explain=1 (our extension): the directories made, their mode
            Volume volume;
            using (ExplainSession.ListenForRequest("volume create")) volume = volumes.Create((string?)body["Name"], labels);
            await ExplainRoutes.WriteJsonWithStepsAsync(ctx, 201, volume, DaemonJson.Default.Volume, explained);
        });

        r.Map("GET", "/volumes", ctx =>
        {
            var includes = ListFilter(FilterArgs.Parse(ctx.Q("filters")), name => containers.UsersOfVolume(name).Count > 0);
            var list = volumes.List().Where(includes).ToList();
            return ctx.WriteJsonAsync(200, new VolumeListResponse { Volumes = list }, DaemonJson.Default.VolumeListResponse);
        });

        r.Map("GET", "/volumes/{name}", ctx => ctx.WriteJsonAsync(200, volumes.Get(ctx.R("name")), DaemonJson.Default.Volume));

        r.Map("DELETE", "/volumes/{name}", async ctx =>
        {
            string name = ctx.R("name");
            volumes.Remove(name, containers.UsersOfVolume(name));
            await ctx.WriteEmptyAsync(204);
        });

        // Like Docker 23+: prune removes unused anonymous volumes; filter all=true removes unused named ones too.
        r.Map("POST", "/volumes/prune", ctx =>
        {
            var filters = FilterArgs.Parse(ctx.Q("filters"));
            filters.Validate("label", "label!", "all");   // no `until` for volumes in dockerd
            bool all = filters.GetBool("all", false);
            var deleted = new List<string>();
            long reclaimed = 0;
            foreach (var v in volumes.List())
            {
                if (!all && !v.Labels.ContainsKey(VolumeStore.AnonymousLabel)) continue;
                if (containers.UsersOfVolume(v.Name).Count > 0) continue;
                if (!PruneFilters.Matches(filters, v.Labels, v.CreatedAt)) continue;
                reclaimed += VolumeStore.SizeOf(v);
                volumes.Remove(v.Name, Array.Empty<string>());
                deleted.Add(v.Name);
            }
            return ctx.WriteJsonAsync(200, new VolumePruneResponse { VolumesDeleted = deleted, SpaceReclaimed = reclaimed }, DaemonJson.Default.VolumePruneResponse);
        });
    }

    /// <summary>GET /volumes filters, as dockerd applies them: name (substring) and driver ORed within the key, every
    /// label required, dangling = no container uses it (<paramref name="inUse"/>).</summary>
    internal static Func<Volume, bool> ListFilter(FilterArgs filters, Func<string, bool> inUse)
    {
        filters.Validate("dangling", "name", "driver", "label");
        bool? dangling = filters.Contains("dangling") ? filters.GetBool("dangling", false) : null;
        return v => (!filters.Contains("name") || filters.Get("name").Any(n => v.Name.Contains(n, StringComparison.Ordinal)))
            && filters.ExactMatch("driver", v.Driver)
            && filters.MatchLabels("label", v.Labels)
            && (dangling is not { } d || d == !inUse(v.Name));
    }
}
