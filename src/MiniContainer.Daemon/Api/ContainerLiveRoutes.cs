using System.Text.Json;
using MiniContainer.Containers;

namespace MiniContainer.Api;

/// <summary>The live cgroup operations on a container: stats, pause, unpause, update.</summary>
public static class ContainerLiveRoutes
{
    /// <summary>dockerd samples (and `docker stats` redraws) once a second.</summary>
    private static readonly TimeSpan StatsInterval = TimeSpan.FromSeconds(1);

    public static void Map(Router r, ContainerService containers)
    {
        r.Map("POST", "/containers/{id}/pause", async ctx =>
        {
            await containers.PauseAsync(containers.Get(ctx.R("id")));
            await ctx.WriteEmptyAsync(204);
        });

        r.Map("POST", "/containers/{id}/unpause", async ctx =>
        {
            await containers.UnpauseAsync(containers.Get(ctx.R("id")));
            await ctx.WriteEmptyAsync(204);
        });

        r.Map("POST", "/containers/{id}/update", async ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            var update = ContainerUpdateRequest.Parse(await ctx.ReadJsonObjectAsync(ContainerUpdateRequest.Schema));
            var warnings = await containers.UpdateAsync(c, update);
            await ctx.WriteJsonAsync(200, new ContainerUpdateResponse(warnings), DaemonJson.Default.ContainerUpdateResponse);
        });

        r.Map("GET", "/containers/{id}/stats", async ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            bool stream = ctx.Q("stream") is not ("0" or "false" or "False");
            bool oneShot = ctx.QBool("one-shot");
            if (oneShot && stream) throw new BadRequestException("cannot have stream=true and one-shot=true");
            if (!stream)
            {
                // stream=false takes two samples a second apart, so precpu_stats is filled and the CPU % computable;
                // one-shot=true answers with the first at once (precpu_stats empty), as dockerd does.
                var sample = Sample(c, null);
                if (!oneShot && c.Record.State.Running)
                {
                    await Task.Delay(StatsInterval);
                    sample = Sample(c, sample);
                }
                await ctx.WriteJsonAsync(200, sample, DaemonJson.Default.ContainerStatsSample);
                return;
            }
            var output = await ctx.StartStreamAsync(200, "application/json");
            using var closed = new CancellationTokenSource();
            _ = ctx.ClientClosedAsync(CancellationToken.None).ContinueWith(_ => closed.Cancel(), TaskScheduler.Default);
            ContainerStatsSample? previous = null;
            try
            {
                while (!closed.IsCancellationRequested && !c.Removed)
                {
                    previous = Sample(c, previous);
                    await output.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(previous, DaemonJson.Default.ContainerStatsSample), closed.Token);
                    await output.WriteAsync("\n"u8.ToArray(), closed.Token);
                    await output.FlushAsync(closed.Token);
                    await Task.Delay(StatsInterval, closed.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException) { }
        });
    }

    /// <summary>A running (or paused) container's counters; a stopped one's zeros with its name and ID, as dockerd.</summary>
    private static ContainerStatsSample Sample(Container c, ContainerStatsSample? previous)
    {
        if (!c.Record.State.Running) return ContainerStatsReader.Empty(c.Record);
        try { return ContainerStatsReader.Sample(c.Record, previous); }
        catch (Exception e) when (e is Cgroups.CgroupException or IOException) { return ContainerStatsReader.Empty(c.Record); }
    }
}
