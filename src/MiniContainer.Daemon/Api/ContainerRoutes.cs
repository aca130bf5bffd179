using MiniContainer.Cgroups;
using System.Text.Json.Nodes;
using MiniContainer.Containers;
using MiniContainer.Images;
using MiniContainer.Storage;

namespace MiniContainer.Api;

/// <summary>/containers/* and /exec/* of the Docker Engine API.</summary>
public static class ContainerRoutes
{
    public static void Map(Router r, ContainerService containers, ExecService execs, ImageStore images)
    {
        r.Map("POST", "/containers/create", async ctx =>
        {
            var body = await ctx.ReadJsonObjectAsync(JsonBody.ContainerCreate);
            // ?explain=1 (our extension): record this container's kernel steps; create's come back in the answer.
            var explained = ExplainRoutes.Requested(ctx);
            var c = containers.Create(ctx.Q("name"), body);
            await ExplainRoutes.WriteJsonWithStepsAsync(ctx, 201, new ContainerCreateResponse(c.Record.Id, Warnings: c.Record.CreateWarnings),
                DaemonJson.Default.ContainerCreateResponse, explained);
        });

        r.Map("GET", "/containers/json", ctx =>
        {
            var all = containers.All.ToList();
            var filter = new ContainerFilter(FilterArgs.Parse(ctx.Q("filters")), all, reference => ImageAndDescendants(images, reference));
            int limit = ctx.QInt("limit") is int l && l > 0 ? l : 0;
            // dockerd lists stopped containers too with --all, a status filter, or a limit (`ps -n 3`).
            bool showStopped = ctx.QBool("all") || filter.ImpliesAll || limit > 0;
            var list = all
                .Where(c => showStopped || c.Record.State.Running || c.Record.State.Restarting)
                .Where(filter.Includes)
                .OrderByDescending(c => c.Record.Created)
                .Select(c => Summary(c, images, ctx.QBool("size"), containers.LinkNamesOf(c.Record)))
                .ToList();
            if (limit > 0) list = list.Take(limit).ToList();
            return ctx.WriteJsonAsync(200, list, DaemonJson.Default.ListContainerSummary);
        });

        r.Map("GET", "/containers/{id}/json", ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            bool restarting = c.Record.State.Restarting;
            bool oldAliases = ctx.RequestApiVersion < new Version(1, 45);
            if (!ctx.QBool("size") && !restarting && !oldAliases) return ctx.WriteJsonAsync(200, c.Record, DaemonJson.Default.ContainerRecord);
            var inspected = System.Text.Json.JsonSerializer.SerializeToNode(c.Record, DaemonJson.Default.ContainerRecord)!.AsObject();
            if (oldAliases) MiniContainer.Networking.EndpointAliases.AddShortId(inspected, c.Record);
            // dockerd counts a restarting container as running (State.Running and State.Restarting both true).
            if (restarting) inspected["State"]!["Running"] = true;
            if (ctx.QBool("size"))
            {
                // inspect --size: dockerd adds the writable layer's bytes, and those plus the image's.
                var sized = Summary(c, images, size: true);
                inspected["SizeRw"] = sized.SizeRw;
                inspected["SizeRootFs"] = sized.SizeRootFs;
            }
            return ctx.WriteJsonNodeAsync(200, inspected);
        });

        r.Map("POST", "/containers/{id}/start", async ctx =>
        {
            var explained = ExplainRoutes.Requested(ctx);
            await containers.StartAsync(containers.Get(ctx.R("id")));
            await ExplainRoutes.WriteStepsOrEmptyAsync(ctx, explained);
        });

        r.Map("POST", "/containers/{id}/stop", async ctx =>
        {
            await containers.StopAsync(containers.Get(ctx.R("id")), ctx.QInt("t") ?? ctx.QInt("timeout"));
            await ctx.WriteEmptyAsync(204);
        });

        r.Map("POST", "/containers/{id}/restart", async ctx =>
        {
            await containers.RestartAsync(containers.Get(ctx.R("id")), ctx.QInt("t") ?? ctx.QInt("timeout"));
            await ctx.WriteEmptyAsync(204);
        });

        r.Map("POST", "/containers/{id}/kill", async ctx =>
        {
            await containers.KillAsync(containers.Get(ctx.R("id")), ctx.Q("signal"));
            await ctx.WriteEmptyAsync(204);
        });

        r.Map("POST", "/containers/{id}/rename", async ctx =>
        {
            await containers.RenameAsync(containers.Get(ctx.R("id")), ctx.Q("name") ?? "");
            await ctx.WriteEmptyAsync(204);
        });

        r.Map("POST", "/containers/prune", async ctx =>
        {
            var filters = FilterArgs.Parse(ctx.Q("filters"));
            PruneFilters.Validate(filters);
            var (deleted, reclaimed) = await containers.PruneAsync(c => PruneFilters.Matches(filters, c.Config.Labels, c.Created));
            await ctx.WriteJsonAsync(200, new ContainerPruneResponse { ContainersDeleted = deleted, SpaceReclaimed = reclaimed }, DaemonJson.Default.ContainerPruneResponse);
        });

        // ?link=1 with a link's name (LINKER/ALIAS, so two segments): only that link goes.
        r.Map("DELETE", "/containers/{linker}/{alias}", async ctx =>
        {
            if (!ctx.QBool("link")) throw new NotFoundException($"No such container: {ctx.R("linker")}/{ctx.R("alias")}");
            containers.RemoveLink($"{ctx.R("linker")}/{ctx.R("alias")}");
            await ctx.WriteEmptyAsync(204);
        });

        r.Map("DELETE", "/containers/{id}", async ctx =>
        {
            if (ctx.QBool("link")) { containers.RemoveLink(ctx.R("id")); await ctx.WriteEmptyAsync(204); return; }
            var explained = ExplainRoutes.Requested(ctx);
            await containers.RemoveAsync(containers.Get(ctx.R("id")), ctx.QBool("force"), ctx.QBool("v"));
            await ExplainRoutes.WriteStepsOrEmptyAsync(ctx, explained);
        });

        r.Map("POST", "/containers/{id}/wait", async ctx =>
        {
            // As dockerd: the condition is checked before the container is looked up; empty means not-running.
            string condition = ctx.Q("condition") is { Length: > 0 } q ? q : "not-running";
            if (condition is not ("not-running" or "next-exit" or "removed"))
                throw new BadRequestException($"invalid condition: \"{condition}\"");
            var c = containers.Get(ctx.R("id"));
            // Headers go out at once (the docker CLI waits for them before it starts the container), the body at exit.
            var waiting = containers.WaitAsync(c, condition, CancellationToken.None);
            var stream = await ctx.StartStreamAsync(200, "application/json");
            var state = await waiting;
            // Docker's Error field is for a failure of the wait itself, never the container's own error.
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(
                new JsonObject { ["StatusCode"] = state.ExitCode, ["Error"] = null }.ToJsonString() + "\n"));
        });

        r.Map("POST", "/containers/{id}/attach", async ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            bool stdin = ctx.QBool("stdin"), stdout = ctx.QBool("stdout"), stderr = ctx.QBool("stderr");
            string? keys = ctx.Q("detachKeys");
            DetachKeys detachKeys;
            try { detachKeys = DetachKeys.Parse(keys); }
            catch (FormatException) { throw new BadRequestException($"Invalid detach keys ({keys}) provided"); }
            string streams = (stdout ? "stdout " : "") + (stderr ? "stderr" : "");
            var shimTask = ctx.QBool("stream") ? containers.AttachAsync(c, streams) : Task.FromResult<System.Net.Sockets.NetworkStream?>(null);
            var client = await ctx.HijackAsync(multiplexed: !c.Record.Config.Tty);
            // logs=1: what the log holds so far comes first (with stream=0 it is all there is), as dockerd replays it.
            if (ctx.QBool("logs") && (stdout || stderr))
                await LogReader.WriteAsync(c, new LogReader.Options(stdout, stderr, Follow: false, Tail: null, Timestamps: false, Since: null, Until: null),
                    client, CancellationToken.None);
            var shim = await shimTask;
            if (shim == null)
            {
                if (client is HijackedStream h) h.ShutdownWrite();
                client.Dispose();
                return;
            }
            bool tty = c.Record.Config.Tty;
            await StreamRelay.RunAsync(client, shim, tty, forwardStdin: stdin && c.Record.Config.OpenStdin, closeStdinOnEof: c.Record.Config.StdinOnce,
                detachKeys: tty ? detachKeys : null);
            client.Dispose();
        });

        r.Map("GET", "/containers/{id}/logs", async ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            bool stdout = ctx.QBool("stdout"), stderr = ctx.QBool("stderr");
            if (!stdout && !stderr) throw new BadRequestException("Bad parameters: you must choose at least one stream");
            LogDrivers.CheckReadable(c.Record);
            int? tail = ctx.Q("tail") is { } t && t != "all" && int.TryParse(t, out int n) ? n : null;
            var options = new LogReader.Options(stdout, stderr, ctx.QBool("follow"), tail, ctx.QBool("timestamps"),
                LogReader.ParseTime(ctx.Q("since")), LogReader.ParseTime(ctx.Q("until")));
            var output = await ctx.StartStreamAsync(200, c.Record.Config.Tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
            await LogReader.WriteAsync(c, options, output, CancellationToken.None);
        });

        r.Map("GET", "/containers/{id}/top", ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            if (!c.Record.State.Running) throw new ConflictException($"Container {c.Record.Id} is not running");
            var cgroup = CgroupManager.Open("minicontainer/" + c.Record.Id);
            var (titles, rows) = ctx.Q("ps_args") is { Length: > 0 } psArgs
                ? ProcessTable.ReadWithPs(psArgs, cgroup.Processes())
                : ProcessTable.Read(cgroup.Processes());
            return ctx.WriteJsonAsync(200, new ContainerTopResponse(titles, rows), DaemonJson.Default.ContainerTopResponse);
        });

        // MiniContainer's own extension (not in Docker's API): the container's kernel state, read live (inspect --kernel).
        r.Map("GET", "/containers/{id}/kernel", ctx =>
            ctx.WriteJsonAsync(200, containers.InspectKernel(containers.Get(ctx.R("id"))), Inspection.KernelViewJson.Default.KernelView));

        r.Map("GET", "/containers/{id}/export", async ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            var stream = await ctx.StartStreamAsync(200, "application/x-tar");
            var buffered = new BufferedStream(stream, 1 << 20);
            await ContainerExport.WriteAsync(c, containers.ScratchDir, buffered);
            await buffered.FlushAsync();
        });

        ArchiveRoutes.Map(r, containers);
        ExplainRoutes.Map(r, containers);
        ContainerLiveRoutes.Map(r, containers);

        r.Map("GET", "/containers/{id}/changes", ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            var data = c.Record.GraphDriver.Data;
            var changes = ContainerChanges.Read(data["UpperDir"], data["LowerDir"].Split(':'), c.Record.Mounts.Select(m => m.Destination));
            return ctx.WriteJsonAsync(200, changes, DaemonJson.Default.ListChange);
        });

        r.Map("POST", "/containers/{id}/resize", async ctx =>
        {
            await containers.ResizeAsync(containers.Get(ctx.R("id")), ctx.QInt("h") ?? 0, ctx.QInt("w") ?? 0);
            await ctx.WriteEmptyAsync(200);
        });

        // ------------------------------------------------------------ exec

        r.Map("POST", "/containers/{id}/exec", async ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            var exec = execs.Create(c, await ctx.ReadJsonObjectAsync(JsonBody.ExecCreate));
            exec.Process.Explain = ctx.QBool("explain");   // our extension: record this exec's kernel steps
            await ctx.WriteJsonAsync(201, new IdResponse(exec.Id), DaemonJson.Default.IdResponse);
        });

        r.Map("POST", "/exec/{id}/start", async ctx =>
        {
            var exec = execs.Get(ctx.R("id"));
            var body = await ctx.ReadJsonObjectAsync();
            bool detach = (bool?)body["Detach"] ?? false;
            // The framing follows this request's Tty (docker-py sends it here, not only at create).
            bool tty = (bool?)body["Tty"] ?? exec.Process.Terminal;
            if (detach)
            {
                await execs.StartAsync(exec, detach: true, tty);
                await ctx.WriteEmptyAsync(200);
                return;
            }
            // The 101 goes out before the process starts, as dockerd does: output that followed the header in the
            // same read was lost by clients that take the socket over from a buffering HTTP reader (docker-py).
            execs.CheckStartable(exec);
            var client = await ctx.HijackAsync(multiplexed: !tty);
            System.Net.Sockets.NetworkStream? shim;
            try { shim = await execs.StartAsync(exec, detach: false, tty); }
            catch (ApiException e)
            {
                // Too late for a status code: the error is the stream's content, and the exit code (126, 127) is
                // the exec's, which the client asks for next, as with dockerd.
                byte[] message = System.Text.Encoding.UTF8.GetBytes(e.Message + "\r\n");
                await client.WriteAsync(tty ? message : StreamRelay.DockerFrame(1, message));
                if (client is HijackedStream h) h.ShutdownWrite();
                client.Dispose();
                return;
            }
            await StreamRelay.RunAsync(client, shim!, tty, forwardStdin: exec.AttachStdin, closeStdinOnEof: true, exitRecorded: exec.Ended.Task,
                detachKeys: tty ? exec.DetachKeys : null);
            client.Dispose();
        });

        r.Map("POST", "/exec/{id}/resize", async ctx =>
        {
            await execs.ResizeAsync(execs.Get(ctx.R("id")), ctx.QInt("h") ?? 0, ctx.QInt("w") ?? 0);
            await ctx.WriteEmptyAsync(200);
        });

        r.Map("GET", "/exec/{id}/json", ctx => ctx.WriteJsonAsync(200, execs.Inspect(execs.Get(ctx.R("id"))), DaemonJson.Default.ExecInspect));
    }

    /// <summary>One row of GET /containers/json, Docker's shape; with <paramref name="size"/> the disk it uses.</summary>
    internal static ContainerSummary Summary(Container c, ImageStore images, bool size = false, IEnumerable<string>? linkNames = null)
    {
        var r = c.Record;
        long? sizeRw = size ? DiskUsage.Bytes(c.UpperDir) : null;
        var argv = new[] { r.Path }.Concat(r.Args);
        return new ContainerSummary
        {
            Id = r.Id,
            Names = [r.Name, .. linkNames ?? []],   // and the names legacy links give it ("/web/db")
            Image = string.IsNullOrEmpty(r.Config.Image) ? r.Image : r.Config.Image,
            ImageID = r.Image,
            Command = string.Join(' ', argv),
            Created = r.Created.ToUnixTimeSeconds(),
            Ports = MiniContainer.Networking.NetworkService.PortSummary(r),
            Labels = r.Config.Labels,
            State = r.State.Status,
            Status = StatusText.For(r.State),
            HostConfig = new ContainerSummaryHostConfig(r.HostConfig.NetworkMode),
            NetworkSettings = new NetworkSettingsSummary(r.NetworkSettings.Networks),
            Mounts = r.Mounts,
            SizeRw = sizeRw,
            SizeRootFs = size ? sizeRw + (images.Find(r.Image)?.Size ?? 0) : null,
        };
    }

    /// <summary>The `ancestor` filter's images: <paramref name="reference"/>'s image and every image built on it
    /// (through the build parents the store records), or null when no image has that name.</summary>
    internal static HashSet<string>? ImageAndDescendants(ImageStore images, string reference)
    {
        if (images.Find(reference) is not { } root) return null;
        var ids = new HashSet<string>(StringComparer.Ordinal) { root.Id };
        var rest = images.List().Where(i => i.Id != root.Id).ToList();
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var i in rest)
                if (!ids.Contains(i.Id) && images.ParentOf(i.Id) is { } parent && ids.Contains(parent)) grew |= ids.Add(i.Id);
        }
        return ids;
    }
}

/// <summary>Docker's human status: "Up 3 seconds (healthy)", "Exited (0) 5 minutes ago", "Created".</summary>
public static class StatusText
{
    public static string For(ContainerState s)
    {
        if (s.Restarting) return $"Restarting ({s.ExitCode}) {HumanDuration(DateTimeOffset.UtcNow - Parse(s.FinishedAt))} ago";
        if (s.Running && s.Paused) return "Up " + HumanDuration(DateTimeOffset.UtcNow - Parse(s.StartedAt)) + " (Paused)";
        if (s.Running) return "Up " + HumanDuration(DateTimeOffset.UtcNow - Parse(s.StartedAt)) + HealthSuffix(s.Health);
        if (s.Status == "created") return "Created";
        if (s.Status == "removing") return "Removal In Progress";
        if (s.FinishedAt == ContainerState.ZeroTime) return "Exited (" + s.ExitCode + ")";
        return $"Exited ({s.ExitCode}) {HumanDuration(DateTimeOffset.UtcNow - Parse(s.FinishedAt))} ago";
    }

    /// <summary>" (healthy)", " (unhealthy)", " (health: starting)"; nothing without a healthcheck.</summary>
    private static string HealthSuffix(ContainerHealth? h) => h is null ? "" : h.Status == HealthRules.Starting ? " (health: starting)" : $" ({h.Status})";

    private static DateTimeOffset Parse(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    public static string HumanDuration(TimeSpan d)
    {
        double seconds = d.TotalSeconds;
        if (seconds < 1) return "Less than a second";
        if (seconds < 2) return "1 second";
        if (seconds < 60) return $"{(int)seconds} seconds";
        double minutes = d.TotalMinutes;
        if ((int)minutes == 1) return "About a minute";
        if (minutes < 60) return $"{(int)minutes} minutes";
        double hours = Math.Round(d.TotalHours);
        if ((int)hours == 1) return "About an hour";
        if (hours < 48) return $"{(int)hours} hours";
        if (hours < 24 * 7 * 2) return $"{(int)(hours / 24)} days";
        if (hours < 24 * 30 * 2) return $"{(int)(hours / 24 / 7)} weeks";
        if (hours < 24 * 365 * 2) return $"{(int)(hours / 24 / 30)} months";
        return $"{(int)(hours / 24 / 365)} years";
    }
}
