using System.CommandLine;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Commands;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Compose;

/// <summary>The verbs that work on one service's container or image: exec, run, build, pull, top, images, port; and ls over all projects.</summary>
internal static partial class ComposeCommand
{
    static IEnumerable<Command> ToolCommands(CliContext context, ProjectFlags flags)
    {
        yield return Exec(context, flags);
        yield return Run(context, flags);
        yield return Build(context, flags);
        yield return Pull(context, flags);
        yield return Top(context, flags);
        yield return Images(context, flags);
        yield return Port(context, flags);
        yield return Ls(context);
    }

    /// <summary>The running (or, with <paramref name="any"/>, any) container of a service, by --index.</summary>
    static async Task<ProjectContainer> ServiceContainerAsync(DockerClient client, ComposeProject project, string service, int index = 1, bool any = false)
    {
        var c = (await ProjectState.ContainersAsync(client, project.Name))
            .FirstOrDefault(c => c.Service == service && c.Number == index && (any || c.Running));
        return c ?? throw new ComposeUpException($"service \"{service}\" is not running");
    }

    // ───────────── exec ─────────────

    static Command Exec(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("exec", "Execute a command in a running container", "[OPTIONS] SERVICE COMMAND [ARGS...]", Group) { ForeignArgumentsAfter = 1 };
        var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: Run command in the background" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables" };
        var noTty = new Option<bool>("--no-TTY", "-T") { Description = "Disable pseudo-TTY allocation. By default `compose exec` allocates a TTY when its output is a terminal" };
        var user = new Option<string?>("--user", "-u") { Description = "Run the command as this user" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Path to workdir directory for this command" };
        var index = new Option<string?>("--index") { Description = "Index of the container if service has multiple replicas" };
        var privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to the process" };
        var service = new Argument<string?>("SERVICE") { Arity = ArgumentArity.ZeroOrOne };
        var args = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { detach, env, noTty, user, workdir, index, privileged }) command.Options.Add(o);
        command.Arguments.Add(service);
        command.Arguments.Add(args);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            string? name = parse.GetValue(service);
            string[] cmd = parse.GetValue(args) ?? [];
            if (name is null || cmd.Length == 0) throw command.RequiresAtLeast(2);
            var project = flags.Load(parse);
            Services(project, [name]);
            var client = await context.ConnectAsync(parse);
            var container = await ServiceContainerAsync(client, project, name, FlagValues.Int(parse, index) ?? 1);
            var forwarded = new List<string> { "exec" };
            if (parse.GetValue(detach)) forwarded.Add("-d");
            else
            {
                forwarded.Add("-i");
                if (!parse.GetValue(noTty) && Stdio.OutIsTerminal && Stdio.InIsTerminal) forwarded.Add("-t");
            }
            foreach (string e in parse.GetValue(env) ?? []) forwarded.AddRange(["-e", e]);
            if (parse.GetValue(user) is { } u) forwarded.AddRange(["-u", u]);
            if (parse.GetValue(workdir) is { } w) forwarded.AddRange(["-w", w]);
            if (parse.GetValue(privileged)) forwarded.Add("--privileged");
            forwarded.Add(container.Name);
            forwarded.AddRange(cmd);
            return await CliDelegation.RunAsync(parse, context, [.. forwarded]);
        }));
        return command;
    }

    // ───────────── run ─────────────

    static Command Run(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("run", "Run a one-off command on a service", "[OPTIONS] SERVICE [COMMAND] [ARGS...]", Group) { ForeignArgumentsAfter = 1 };
        var detach = new Option<bool>("--detach", "-d") { Description = "Run container in background and print container ID" };
        var rm = new Option<bool>("--rm") { Description = "Automatically remove the container when it exits" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables" };
        var name = new Option<string?>("--name") { Description = "Assign a name to the container" };
        var noTty = new Option<bool>("--no-TTY", "-T") { Description = "Disable pseudo-TTY allocation (default: auto-detected)" };
        var noDeps = new Option<bool>("--no-deps") { Description = "Don't start linked services" };
        var user = new Option<string?>("--user", "-u") { Description = "Run as specified username or uid" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
        var entrypoint = new Option<string?>("--entrypoint") { Description = "Override the entrypoint of the image" };
        var service = new Argument<string?>("SERVICE") { Arity = ArgumentArity.ZeroOrOne };
        var args = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { detach, rm, env, name, noTty, noDeps, user, workdir, entrypoint }) command.Options.Add(o);
        command.Arguments.Add(service);
        command.Arguments.Add(args);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            string? serviceName = parse.GetValue(service);
            if (serviceName is null) throw command.RequiresAtLeast(1);
            var project = flags.Load(parse);
            Services(project, [serviceName]);
            var s = project.Services[serviceName];
            var client = await context.ConnectAsync(parse);

            // Its dependencies come up first (unless --no-deps), as `up` would bring them.
            var deps = s.DependsOn.Select(d => d.Key).Where(project.Services.ContainsKey).ToList();
            if (!parse.GetValue(noDeps) && deps.Count > 0)
                await new ComposeUp(client, project).RunAsync(new UpOptions(deps, ForceRecreate: false, NoDeps: false, RemoveOrphans: false, NoRecreate: false));
            var missing = s.Build is not null && await ProjectState.InspectAsync(client, ApiPaths.Image(s.ImageFor(project.Name)) + "/json") is null;
            if (missing) await ComposeBuilder.BuildAsync(parse, context, project, [s], noCache: false);
            await new ComposeUp(client, project).RunAsync(new UpOptions([serviceName], false, NoDeps: true, false, false) { InfrastructureOnly = true });

            string[] cmd = parse.GetValue(args) ?? [];
            var extraEnv = (parse.GetValue(env) ?? []).Select(e => Flags.EnvFile.ParseFlag(e, Environment.GetEnvironmentVariable)).ToList();
            s = s with
            {
                Command = cmd.Length > 0 ? cmd : s.Command,
                Entrypoint = parse.GetValue(entrypoint) is { } ep ? ShellWords.Split(ep) : s.Entrypoint,
                User = parse.GetValue(user) ?? s.User,
                WorkingDir = parse.GetValue(workdir) ?? s.WorkingDir,
                Ports = [],   // compose run publishes no ports unless --service-ports
                Environment = [.. s.Environment, .. extraEnv.Select(e => e.Split('=', 2)).Where(p => p.Length == 2).Select(p => new KeyValuePair<string, string>(p[0], p[1]))],
            };
            var body = ContainerSpec.Body(project, s);
            var config = ContainerSpec.ForContainer(project, s, body, ContainerSpec.Hash(body), 1, oneOff: true);
            bool tty = !parse.GetValue(noTty) && !parse.GetValue(detach) && Stdio.OutIsTerminal && Stdio.InIsTerminal;
            config["Tty"] = tty;
            bool attached = !parse.GetValue(detach);
            config["OpenStdin"] = attached;
            config["AttachStdin"] = attached;
            config["StdinOnce"] = attached;
            ((JsonObject)config["HostConfig"]!)["AutoRemove"] = parse.GetValue(rm);
            string containerName = parse.GetValue(name) ?? $"{project.Name}-{serviceName}-run-{Guid.NewGuid().ToString("N")[..12]}";
            var created = await client.PostJsonAsync("/containers/create?name=" + ApiPaths.Query(containerName), config);
            string id = (string?)created?["Id"] ?? throw new IOException("the daemon's create answer has no Id");
            if (parse.GetValue(detach))
            {
                await client.PostJsonAsync($"{ApiPaths.Container(id)}/start");
                Stdio.Out.WriteLine(containerName);
                return ExitCodes.Ok;
            }
            return await RunCommand.RunAttachedAsync(client, id, command, tty, interactive: true, autoRemove: parse.GetValue(rm), sigProxy: true);
        }));
        return command;
    }

    // ───────────── build, pull ─────────────

    static Command Build(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("build", "Build or rebuild services", "[OPTIONS] [SERVICE...]", Group);
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use cache when building the image" };
        var services = ServicesArgument();
        command.Options.Add(noCache);
        command.Arguments.Add(services);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var project = flags.Load(parse);
            var selected = Services(project, parse.GetValue(services));
            await ComposeBuilder.BuildAsync(parse, context, project,
                DependencyOrder.Sort(project.Services).Where(s => selected.Length == 0 || selected.Contains(s.Name)), parse.GetValue(noCache));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Pull(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("pull", "Pull service images", "[OPTIONS] [SERVICE...]", Group);
        var ignoreBuildable = new Option<bool>("--ignore-buildable") { Description = "Ignore images that can be built" };
        var services = ServicesArgument();
        command.Options.Add(ignoreBuildable);
        command.Arguments.Add(services);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var project = flags.Load(parse);
            var selected = Services(project, parse.GetValue(services));
            foreach (var s in DependencyOrder.Sort(project.Services).Where(s => selected.Length == 0 || selected.Contains(s.Name)))
            {
                if (s.Image is null || (s.Build is not null && parse.GetValue(ignoreBuildable))) continue;
                int code = await CliDelegation.RunAsync(parse, context, "pull", s.Image);
                if (code != 0) return code;
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ───────────── top, images, port ─────────────

    static Command Top(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("top", "Display the running processes", "[SERVICES...]", Group);
        var services = ServicesArgument();
        command.Arguments.Add(services);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var project = flags.Load(parse);
            var selected = Services(project, parse.GetValue(services));
            var client = await context.ConnectAsync(parse);
            foreach (var c in (await ProjectState.ContainersAsync(client, project.Name)).Where(c => c.Running && (selected.Length == 0 || selected.Contains(c.Service))))
            {
                var top = await client.GetJsonAsync($"{ApiPaths.Container(c.Id)}/top") as JsonObject;
                var table = new TableWriter();
                table.AddRow([.. ((top?["Titles"] as JsonArray) ?? []).Select(t => (string?)t ?? "")]);
                foreach (var row in (top?["Processes"] as JsonArray) ?? []) table.AddRow([.. ((row as JsonArray) ?? []).Select(x => (string?)x ?? "")]);
                Stdio.Out.WriteLine(c.Name);
                Stdio.Out.Write(table.Render());
                Stdio.Out.WriteLine();
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Images(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("images", "List images used by the created containers", "[OPTIONS] [SERVICE...]", Group);
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display IDs" };
        var services = ServicesArgument();
        command.Options.Add(quiet);
        command.Arguments.Add(services);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var project = flags.Load(parse);
            var selected = Services(project, parse.GetValue(services));
            var client = await context.ConnectAsync(parse);
            var table = new TableWriter();
            table.AddRow("CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE");
            foreach (var c in (await ProjectState.ContainersAsync(client, project.Name)).Where(c => selected.Length == 0 || selected.Contains(c.Service)))
            {
                string imageId = (string?)c.Raw["ImageID"] ?? "";
                var image = await ProjectState.InspectAsync(client, ApiPaths.Image(imageId) + "/json");
                if (parse.GetValue(quiet)) { Stdio.Out.WriteLine(imageId); continue; }
                string reference = (image?["RepoTags"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? "<none>:<none>";
                int colon = reference.LastIndexOf(':');
                table.AddRow(c.Name, reference[..colon], reference[(colon + 1)..], GoStrings.ShortId(imageId),
                             HumanUnits.Size((long?)image?["Size"] ?? 0));
            }
            if (!parse.GetValue(quiet)) Stdio.Out.Write(table.Render());
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Port(CliContext context, ProjectFlags flags)
    {
        var command = new CliCommand("port", "Print the public port for a port binding", "[OPTIONS] SERVICE PRIVATE_PORT", Group);
        var protocol = new Option<string?>("--protocol") { Description = "tcp or udp", DefaultValueFactory = _ => "tcp" };
        var index = new Option<string?>("--index") { Description = "Index of the container if service has multiple replicas" };
        var service = new Argument<string?>("SERVICE") { Arity = ArgumentArity.ZeroOrOne };
        var port = new Argument<string?>("PRIVATE_PORT") { Arity = ArgumentArity.ZeroOrOne };
        command.Options.Add(protocol);
        command.Options.Add(index);
        command.Arguments.Add(service);
        command.Arguments.Add(port);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            if (parse.GetValue(service) is not { } name || parse.GetValue(port) is not { } privatePort) throw command.RequiresExactly(2);
            var project = flags.Load(parse);
            Services(project, [name]);
            var client = await context.ConnectAsync(parse);
            var c = await ServiceContainerAsync(client, project, name, FlagValues.Int(parse, index) ?? 1);
            var inspect = await client.GetJsonAsync($"{ApiPaths.Container(c.Id)}/json");
            var bindings = inspect?["NetworkSettings"]?["Ports"]?[$"{privatePort}/{parse.GetValue(protocol)}"] as JsonArray;
            var first = bindings?.OfType<JsonObject>().FirstOrDefault()
                ?? throw new ComposeUpException($"no port {privatePort}/{parse.GetValue(protocol)} for container {c.Name}");
            string ip = (string?)first["HostIp"] ?? "";
            Stdio.Out.WriteLine($"{(ip.Length == 0 ? "0.0.0.0" : ip)}:{(string?)first["HostPort"]}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    // ───────────── ls ─────────────

    static Command Ls(CliContext context)
    {
        var command = new CliCommand("ls", "List running compose projects", "[OPTIONS]", Group);
        var all = new Option<bool>("--all", "-a") { Description = "Show all stopped Compose projects" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display project names" };
        command.Options.Add(all);
        command.Options.Add(quiet);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var client = await context.ConnectAsync(parse);
            var list = await client.GetJsonAsync($"/containers/json?all=1&filters={Uri.EscapeDataString("""{"label":["com.docker.compose.project"]}""")}") as JsonArray ?? [];
            var projects = list.OfType<JsonObject>()
                .Select(c => (Labels: c["Labels"] as JsonObject, State: (string?)c["State"] ?? ""))
                .Where(c => c.Labels?[ComposeLabels.Project] is not null)
                .GroupBy(c => (string)c.Labels![ComposeLabels.Project]!)
                .OrderBy(g => g.Key, StringComparer.Ordinal);
            var table = new TableWriter();
            table.AddRow("NAME", "STATUS", "CONFIG FILES");
            foreach (var g in projects)
            {
                if (!parse.GetValue(all) && !g.Any(c => c.State == "running")) continue;
                if (parse.GetValue(quiet)) { Stdio.Out.WriteLine(g.Key); continue; }
                string status = string.Join(", ", g.GroupBy(c => c.State).OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}({s.Count()})"));
                table.AddRow(g.Key, status, (string?)g.First().Labels![ComposeLabels.ConfigFiles] ?? "");
            }
            if (!parse.GetValue(quiet)) Stdio.Out.Write(table.Render());
            return ExitCodes.Ok;
        }));
        return command;
    }
}
