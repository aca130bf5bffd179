using System.CommandLine;
using System.Runtime.InteropServices;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Commands;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// `minicontainer compose`: docker compose v2's command line over the project model (Compose/ComposeLoader) and the
/// Engine API (ComposeUp, ComposeDown…). The project flags (-f, -p, --project-directory, --env-file, --profile) come
/// before the verb, as in docker compose.
/// </summary>
internal static partial class ComposeCommand
{
    const string Group = "compose";

    sealed class ProjectFlags
    {
        public readonly Option<string[]> Files = new("--file", "-f") { Description = "Compose configuration files", AllowMultipleArgumentsPerToken = false };
        public readonly Option<string?> Name = new("--project-name", "-p") { Description = "Project name" };
        public readonly Option<string?> Directory = new("--project-directory") { Description = "Specify an alternate working directory (default: the path of the first specified Compose file)" };
        public readonly Option<string[]> EnvFiles = new("--env-file") { Description = "Specify an alternate environment file" };
        public readonly Option<string[]> Profiles = new("--profile") { Description = "Specify a profile to enable" };

        public ComposeProject Load(ParseResult parse)
        {
            try
            {
                return ComposeLoader.Load(new ComposeOptions(parse.GetValue(Files) ?? [], parse.GetValue(Name), parse.GetValue(Directory),
                    parse.GetValue(EnvFiles) ?? [], parse.GetValue(Profiles) ?? [], Environment.GetEnvironmentVariable, Environment.CurrentDirectory));
            }
            catch (ComposeFileException e) { throw new ExitException(ExitCodes.Error, e.Message); }
        }
    }

    public static Command Create(CliContext context)
    {
        var flags = new ProjectFlags();
        var compose = CommandGroups.NewGroup(Group, "Define and run multi-container applications (docker compose)");
        foreach (var o in new Option[] { flags.Files, flags.Name, flags.Directory, flags.EnvFiles, flags.Profiles }) compose.Options.Add(o);
        compose.Subcommands.Add(Config(flags));
        compose.Subcommands.Add(Up(context, flags));
        compose.Subcommands.Add(Down(context, flags));
        compose.Subcommands.Add(Ps(context, flags));
        compose.Subcommands.Add(Logs(context, flags));
        foreach (var c in LifecycleCommands(context, flags)) compose.Subcommands.Add(c);
        foreach (var c in ToolCommands(context, flags)) compose.Subcommands.Add(c);
        return compose;
    }

    static Argument<string[]> ServicesArgument() => new("SERVICE") { Arity = ArgumentArity.ZeroOrMore };

    /// <summary>Named services must exist in the project (enabled by its profiles).</summary>
    static string[] Services(ComposeProject project, string[]? names)
    {
        foreach (string n in names ?? [])
            if (!project.Services.ContainsKey(n)) throw new ExitException(ExitCodes.Error, $"no such service: {n}");
        return names ?? [];
    }

    /// <summary>Runs a compose action, turning the model's and the engine side's failures into "message, exit 1".</summary>
    static async Task<int> Guard(Func<Task<int>> action)
    {
        try { return await action(); }
        catch (ComposeFileException e) { throw new ExitException(ExitCodes.Error, e.Message); }
        catch (ComposeUpException e) { throw new ExitException(ExitCodes.Error, e.Message); }
    }

    // ───────────── config ─────────────

    static Command Config(ProjectFlags flags)
    {
        var command = new CliCommand("config", "Parse, resolve and render compose file in canonical format", "[OPTIONS] [SERVICE...]", Group);
        var services = new Option<bool>("--services") { Description = "Print the service names, one per line." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only validate the configuration, don't print anything." };
        command.Options.Add(services);
        command.Options.Add(quiet);
        command.SetAction(parse =>
        {
            var project = flags.Load(parse);
            if (parse.GetValue(quiet)) return ExitCodes.Ok;
            if (parse.GetValue(services))
            {
                foreach (var s in DependencyOrder.Sort(project.Services)) Stdio.Out.WriteLine(s.Name);
                return ExitCodes.Ok;
            }
            Stdio.Out.Write(ComposeConfigWriter.Write(project));
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── up ─────────────

    static Command Up(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("up", "Create and start containers", "[OPTIONS] [SERVICE...]", Group);
        var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: Run containers in the background" };
        var build = new Option<bool>("--build") { Description = "Build images before starting containers" };
        var force = new Option<bool>("--force-recreate") { Description = "Recreate containers even if their configuration and image haven't changed" };
        var noRecreate = new Option<bool>("--no-recreate") { Description = "If containers already exist, don't recreate them" };
        var noDeps = new Option<bool>("--no-deps") { Description = "Don't start linked services" };
        var orphans = new Option<bool>("--remove-orphans") { Description = "Remove containers for services not defined in the Compose file" };
        var wait = new Option<bool>("--wait") { Description = "Wait for services to be running|healthy. Implies detached mode." };
        var waitTimeout = new Option<string?>("--wait-timeout") { Description = "Maximum duration in seconds to wait for the project to be running|healthy" };
        var noColor = new Option<bool>("--no-color") { Description = "Produce monochrome output" };
        var services = ServicesArgument();
        var explain = ExplainCommand.Option();
        foreach (var o in new Option[] { detach, build, force, noRecreate, noDeps, orphans, wait, waitTimeout, noColor, explain }) command.Options.Add(o);
        command.Arguments.Add(services);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var explained = ExplainCommand.Get(parse, explain);
            var project = flags.Load(parse);
            var selected = Services(project, parse.GetValue(services));
            if (parse.GetValue(force) && parse.GetValue(noRecreate)) throw new UsageException("--force-recreate and --no-recreate are incompatible");
            var client = await context.ConnectAsync(parse);
            // Images with a build: section are built when --build says so or when they do not exist yet, as compose does.
            var wanted = DependencyOrder.Closure(project.Services, selected, parse.GetValue(noDeps)).Where(s => s.Build is not null).ToList();
            var toBuild = new List<ComposeService>();
            foreach (var s in wanted)
                if (parse.GetValue(build) || await ProjectState.InspectAsync(client, ApiPaths.Image(s.ImageFor(project.Name)) + "/json") is null) toBuild.Add(s);
            await ComposeBuilder.BuildAsync(parse, context, project, toBuild, noCache: false);
            var up = new ComposeUp(client, project);
            var started = await up.RunAsync(new UpOptions(selected, parse.GetValue(force), parse.GetValue(noDeps), parse.GetValue(orphans), parse.GetValue(noRecreate)) { Explain = explained });
            if (parse.GetValue(wait))
            {
                int? seconds = FlagValues.Int(parse, waitTimeout);
                using var cts = seconds is { } s ? new CancellationTokenSource(TimeSpan.FromSeconds(s)) : new CancellationTokenSource();
                try
                {
                    foreach (var (_, id, name) in started)
                    {
                        ComposeUp.Progress("Container", name, "Waiting");
                        await ServiceWaits.RunningOrHealthyAsync(client, id, name, cts.Token);
                        ComposeUp.Progress("Container", name, "Healthy");
                    }
                }
                catch (OperationCanceledException) { throw new ComposeUpException("timeout waiting for the project to be running or healthy"); }
                return ExitCodes.Ok;
            }
            if (parse.GetValue(detach)) return ExitCodes.Ok;
            return await AttachedAsync(client, started.Select(s => (s.Id, s.Name)).ToList(), color: !parse.GetValue(noColor) && Stdio.OutIsTerminal);
        }));
        return command;
    }

    /// <summary>
    /// up without -d: the containers' merged logs until they have all exited; the first Ctrl+C (or SIGTERM) stops
    /// them gracefully ("Gracefully stopping…"), a second one leaves without waiting.
    /// </summary>
    static async Task<int> AttachedAsync(DockerClient client, List<(string Id, string Name)> containers, bool color)
    {
        var printer = new LogPrinter(containers.Select(c => c.Name), color, prefix: true);
        using var cts = new CancellationTokenSource();
        var stopping = new TaskCompletionSource();
        int signals = 0;
        var registrations = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(sig => PosixSignalRegistration.Create(sig, ctx =>
        {
            ctx.Cancel = true;
            if (Interlocked.Increment(ref signals) == 1)
            {
                Stdio.Err.WriteLine("Gracefully stopping... (press Ctrl+C again to force)");
                stopping.TrySetResult();
            }
            else cts.Cancel();
        })).ToList();
        try
        {
            var followers = containers.Select(async c =>
            {
                await printer.FollowAsync(client, c.Id, c.Name, follow: true, tail: null, timestamps: false, cts.Token);
                if (cts.IsCancellationRequested) return;
                var state = (await client.GetJsonAsync($"{ApiPaths.Container(c.Id)}/json"))?["State"];
                if ((string?)state?["Status"] is "exited" or "dead")
                    Stdio.Out.WriteLine($"{c.Name} exited with code {(long?)state?["ExitCode"] ?? 0}");
            }).ToList();
            var all = Task.WhenAll(followers);
            if (await Task.WhenAny(all, stopping.Task) == stopping.Task)
            {
                var stops = containers.Select(async c =>
                {
                    ComposeUp.Progress("Container", c.Name, "Stopping");
                    try { await client.PostJsonAsync($"{ApiPaths.Container(c.Id)}/stop", null, cts.Token); }
                    catch (ApiException) { }
                    ComposeUp.Progress("Container", c.Name, "Stopped");
                });
                try { await Task.WhenAll(stops); } catch (OperationCanceledException) { }
                cts.Cancel();
                try { await all; } catch (OperationCanceledException) { }
                return 130;
            }
            await all;
            return ExitCodes.Ok;
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
        }
    }

    // ───────────── down ─────────────

    static Command Down(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("down", "Stop and remove containers, networks", "[OPTIONS]", Group);
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes attached to containers" };
        var rmi = new Option<string?>("--rmi") { Description = "Remove images used by services. \"local\" remove only images that don't have a custom tag (\"local\"|\"all\")" };
        var orphans = new Option<bool>("--remove-orphans") { Description = "Remove containers for services not defined in the Compose file" };
        var timeout = new Option<string?>("--timeout", "-t") { Description = "Specify a shutdown timeout in seconds" };
        foreach (var o in new Option[] { volumes, rmi, orphans, timeout }) command.Options.Add(o);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            string? images = parse.GetValue(rmi);
            if (images is not (null or "all" or "local")) throw new UsageException($"invalid value for --rmi: \"{images}\" (all or local)");
            int? t = FlagValues.Int(parse, timeout);
            var project = flags.Load(parse);
            var client = await context.ConnectAsync(parse);
            await new ComposeDown(client, project).RunAsync(parse.GetValue(volumes), images, parse.GetValue(orphans), t);
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ───────────── ps ─────────────

    static Command Ps(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("ps", "List containers", "[OPTIONS] [SERVICE...]", Group);
        var all = new Option<bool>("--all", "-a") { Description = "Show all stopped containers (including those created by the run command)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display IDs" };
        var servicesFlag = new Option<bool>("--services") { Description = "Display services" };
        var services = ServicesArgument();
        foreach (var o in new Option[] { all, quiet, servicesFlag }) command.Options.Add(o);
        command.Arguments.Add(services);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var project = flags.Load(parse);
            var selected = Services(project, parse.GetValue(services));
            var client = await context.ConnectAsync(parse);
            var containers = (await ProjectState.ContainersAsync(client, project.Name))
                .Concat(parse.GetValue(all) ? await ProjectState.ContainersAsync(client, project.Name, oneOff: true) : [])
                .Where(c => selected.Length == 0 || selected.Contains(c.Service))
                .Where(c => parse.GetValue(all) || c.Running)
                .OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            if (parse.GetValue(quiet)) { foreach (var c in containers) Stdio.Out.WriteLine(c.Id); return ExitCodes.Ok; }
            if (parse.GetValue(servicesFlag)) { foreach (var s in containers.Select(c => c.Service).Distinct()) Stdio.Out.WriteLine(s); return ExitCodes.Ok; }
            var table = new TableWriter();
            table.AddRow("NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS");
            var now = DateTimeOffset.UtcNow;
            foreach (var c in containers)
            {
                var row = ContainerRows.Row(c.Raw, truncate: true, now);
                table.AddRow(c.Name, (string?)row["Image"] ?? "", (string?)row["Command"] ?? "", c.Service, (string?)row["RunningFor"] ?? "",
                             (string?)row["Status"] ?? "", (string?)row["Ports"] ?? "");
            }
            Stdio.Out.Write(table.Render());
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ───────────── logs ─────────────

    static Command Logs(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("logs", "View output from containers", "[OPTIONS] [SERVICE...]", Group);
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow log output" };
        var tail = new Option<string?>("--tail", "-n") { Description = "Number of lines to show from the end of the logs for each container (default \"all\")" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Show timestamps" };
        var noColor = new Option<bool>("--no-color") { Description = "Produce monochrome output" };
        var noPrefix = new Option<bool>("--no-log-prefix") { Description = "Don't print prefix in logs" };
        var services = ServicesArgument();
        foreach (var o in new Option[] { follow, tail, timestamps, noColor, noPrefix }) command.Options.Add(o);
        command.Arguments.Add(services);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var project = flags.Load(parse);
            var selected = Services(project, parse.GetValue(services));
            string? tailValue = parse.GetValue(tail);
            if (tailValue is not null && tailValue != "all" && !int.TryParse(tailValue, out _))
                throw new UsageException($"invalid argument \"{tailValue}\" for \"-n, --tail\" flag: a number of lines or \"all\"");
            var client = await context.ConnectAsync(parse);
            var containers = (await ProjectState.ContainersAsync(client, project.Name))
                .Where(c => selected.Length == 0 || selected.Contains(c.Service)).ToList();
            var printer = new LogPrinter(containers.Select(c => c.Name), color: !parse.GetValue(noColor) && Stdio.OutIsTerminal, prefix: !parse.GetValue(noPrefix));
            await Task.WhenAll(containers.Select(c => printer.FollowAsync(client, c.Id, c.Name, parse.GetValue(follow), tailValue, parse.GetValue(timestamps), ct)));
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ───────────── start / stop / restart / rm ─────────────

    static IEnumerable<Command> LifecycleCommands(CliContext context, ProjectFlags flags)
    {
        foreach (var (verb, description, action, ing, ed) in new[]
        {
            ("start", "Start services", "start", "Starting", "Started"),
            ("stop", "Stop services", "stop", "Stopping", "Stopped"),
            ("restart", "Restart service containers", "restart", "Restarting", "Started"),
        })
        {
            var command = new CliCommand(verb, description, "[OPTIONS] [SERVICE...]", Group);
            var services = ServicesArgument();
            command.Arguments.Add(services);
            command.SetAction((parse, ct) => Guard(async () =>
            {
                var project = flags.Load(parse);
                var selected = Services(project, parse.GetValue(services));
                var client = await context.ConnectAsync(parse);
                var order = DependencyOrder.Sort(project.Services).Select(s => s.Name).ToList();
                var containers = (await ProjectState.ContainersAsync(client, project.Name))
                    .Where(c => selected.Length == 0 || selected.Contains(c.Service)).OrderBy(c => order.IndexOf(c.Service)).ToList();
                if (verb == "stop") containers.Reverse();
                foreach (var c in containers)
                {
                    ComposeUp.Progress("Container", c.Name, ing);
                    await client.PostJsonAsync($"{ApiPaths.Container(c.Id)}/{action}");
                    ComposeUp.Progress("Container", c.Name, ed);
                }
                return ExitCodes.Ok;
            }));
            yield return command;
        }

        var rm = new CliCommand("rm", "Removes stopped service containers", "[OPTIONS] [SERVICE...]", Group);
        var force = new Option<bool>("--force", "-f") { Description = "Don't ask to confirm removal" };
        var stop = new Option<bool>("--stop", "-s") { Description = "Stop the containers, if required, before removing" };
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove any anonymous volumes attached to containers" };
        var rmServices = ServicesArgument();
        foreach (var o in new Option[] { force, stop, volumes }) rm.Options.Add(o);
        rm.Arguments.Add(rmServices);
        rm.SetAction((parse, ct) => Guard(async () =>
        {
            var project = flags.Load(parse);
            var selected = Services(project, parse.GetValue(rmServices));
            var client = await context.ConnectAsync(parse);
            var containers = (await ProjectState.ContainersAsync(client, project.Name))
                .Where(c => selected.Length == 0 || selected.Contains(c.Service)).ToList();
            if (parse.GetValue(stop))
                foreach (var c in containers.Where(c => c.Running)) await client.PostJsonAsync($"{ApiPaths.Container(c.Id)}/stop");
            var removable = parse.GetValue(stop) ? containers : containers.Where(c => !c.Running).ToList();
            if (removable.Count == 0) { Stdio.Err.WriteLine("No stopped containers"); return ExitCodes.Ok; }
            if (!parse.GetValue(force))
            {
                Stdio.Err.Write($"Going to remove {string.Join(", ", removable.Select(c => c.Name))}\n? Are you sure you want to continue? [y/N] ");
                if (Stdio.In.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes")) return ExitCodes.Ok;
            }
            foreach (var c in removable)
            {
                ComposeUp.Progress("Container", c.Name, "Removing");
                await client.DeleteAsync($"{ApiPaths.Container(c.Id)}" + (parse.GetValue(volumes) ? "?v=1" : ""));
                ComposeUp.Progress("Container", c.Name, "Removed");
            }
            return ExitCodes.Ok;
        }));
        yield return rm;
    }
}
