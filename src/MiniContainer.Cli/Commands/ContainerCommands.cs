using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Flags;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// The container verbs other than run/create/exec: start, stop, restart, kill, rm, ps, logs, inspect, wait, top, attach.
/// Each is one small function from flags to API calls, like docker's.
/// </summary>
internal static class ContainerCommands
{
    public static IEnumerable<Command> Create(CliContext context) =>
    [
        Start(context), Stop(context), Restart(context), Kill(context), Rm(context), Ps(context),
        Logs(context), Inspect(context), Wait(context), Top(context), Diff(context), Export(context), Commit(context), Attach(context),
        PortCommand.Create(context),
    ];

    static Argument<string[]> Containers() => new("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };

    static string[] Require(ParseResult parse, Argument<string[]> argument, CliCommand command, int min = 1)
    {
        string[] values = parse.GetValue(argument) ?? [];
        if (values.Length < min) throw command.RequiresAtLeast(min);
        return values;
    }

    // ───────────── start ─────────────

    static Command Start(CliContext context)
    {
        var command = new CliCommand("start", "Start one or more stopped containers", "[OPTIONS] CONTAINER [CONTAINER...]");
        var attach = new Option<bool>("--attach", "-a") { Description = "Attach STDOUT/STDERR and forward signals" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Attach container's STDIN" };
        var explain = ExplainCommand.Option();
        var names = Containers();
        command.Options.Add(attach);
        command.Options.Add(interactive);
        command.Options.Add(explain);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] containers = Require(parse, names, command);
            var client = await context.ConnectAsync(parse);
            bool a = parse.GetValue(attach), i = parse.GetValue(interactive);
            var explained = ExplainCommand.Get(parse, explain);
            if (!a && !i)
            {
                return await Targets.ForEachAsync(containers,
                    name => ExplainCommand.StartAsync(client, name, explained),
                    failed => "Error: failed to start containers: " + string.Join(", ", failed));
            }
            if (containers.Length > 1) throw new ExitException(ExitCodes.Error, "Error: you cannot start and attach multiple containers at once");
            return await StartAttachedAsync(client, containers[0], stdin: i, explained);
        });
        return command;
    }

    /// <summary>start -a [-i]: attach, register the wait, start, pump, exit with the container's status.</summary>
    static async Task<int> StartAttachedAsync(DockerClient client, string name, bool stdin, ExplainCommand.Mode? explain)
    {
        var info = await client.GetJsonAsync($"{ApiPaths.Container(name)}/json") as JsonObject
                   ?? throw new IOException("empty inspect answer");
        string id = info["Id"]?.GetValue<string>() ?? name;
        var config = info["Config"] as JsonObject;
        bool tty = config?["Tty"]?.GetValue<bool>() ?? false;
        bool sendStdin = stdin && (config?["OpenStdin"]?.GetValue<bool>() ?? false);
        bool autoRemove = (info["HostConfig"] as JsonObject)?["AutoRemove"]?.GetValue<bool>() ?? false;

        using var connection = await client.HijackAsync($"{ApiPaths.Container(id)}/attach?stream=1&stdout=1&stderr=1{(sendStdin ? "&stdin=1" : "")}", null);
        var exit = await ContainerWait.BeginAsync(client, id, autoRemove ? "removed" : "next-exit");
        using var terminal = TerminalSession.Begin(tty, sendStdin);
        await ExplainCommand.StartAsync(client, id, explain);
        using var proxy = tty ? null : new SignalProxy(client, id);
        if (tty) _ = terminal.FollowWindowSizeAsync((h, w) => client.PostJsonAsync($"{ApiPaths.Container(id)}/resize?h={h}&w={w}"));
        await AttachedStreams.PumpAsync(connection, tty, sendStdin);
        var result = await exit.ResultAsync();
        terminal.Dispose();
        if (result.Error is not null) Stdio.Err.WriteLine(result.Error);
        return (int)result.StatusCode;
    }

    // ───────────── stop, restart, kill ─────────────

    static Command Stop(CliContext context) => StopLike(context, "stop", "Stop one or more running containers");
    static Command Restart(CliContext context) => StopLike(context, "restart", "Restart one or more containers");

    static Command StopLike(CliContext context, string verb, string description)
    {
        var command = new CliCommand(verb, description, "[OPTIONS] CONTAINER [CONTAINER...]");
        var time = new Option<string?>("--time", "-t") { Description = "Seconds to wait before killing the container" };
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container" };
        var names = Containers();
        command.Options.Add(signal);
        command.Options.Add(time);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] containers = Require(parse, names, command);
            var query = new List<string>();
            if (FlagValues.Int(parse, time) is { } t) query.Add($"t={t}");
            if (parse.GetValue(signal) is { } s) query.Add("signal=" + ApiPaths.Query(s));
            string suffix = query.Count > 0 ? "?" + string.Join('&', query) : "";
            var client = await context.ConnectAsync(parse);
            return await Targets.ForEachAsync(containers, name => client.PostJsonAsync($"{ApiPaths.Container(name)}/{verb}{suffix}"));
        });
        return command;
    }

    static Command Kill(CliContext context)
    {
        var command = new CliCommand("kill", "Kill one or more running containers", "[OPTIONS] CONTAINER [CONTAINER...]");
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container (default KILL)" };
        var names = Containers();
        command.Options.Add(signal);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] containers = Require(parse, names, command);
            string suffix = parse.GetValue(signal) is { Length: > 0 } s ? "?signal=" + ApiPaths.Query(s) : "";
            var client = await context.ConnectAsync(parse);
            return await Targets.ForEachAsync(containers, name => client.PostJsonAsync($"{ApiPaths.Container(name)}/kill{suffix}"));
        });
        return command;
    }

    // ───────────── rm ─────────────

    static Command Rm(CliContext context)
    {
        var command = new CliCommand("rm", "Remove one or more containers", "[OPTIONS] CONTAINER [CONTAINER...]");
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of a running container (uses SIGKILL)" };
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove anonymous volumes associated with the container" };
        var explain = ExplainCommand.Option();
        var names = Containers();
        command.Options.Add(force);
        command.Options.Add(volumes);
        command.Options.Add(explain);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] containers = Require(parse, names, command);
            var explained = ExplainCommand.Get(parse, explain);
            string query = $"?force={(parse.GetValue(force) ? 1 : 0)}&v={(parse.GetValue(volumes) ? 1 : 0)}{(explained is null ? "" : "&explain=1")}";
            var client = await context.ConnectAsync(parse);
            if (explained is { } mode)
                return await Targets.ForEachAsync(containers, async name =>
                    ExplainCommand.Print(ExplainCommand.Parse(await ExplainCommand.SendForTextAsync(client, HttpMethod.Delete, ApiPaths.Container(name) + query)), mode));
            return await Targets.ForEachAsync(containers, name => client.DeleteAsync(ApiPaths.Container(name) + query));
        });
        return command;
    }

    // ───────────── ps ─────────────

    static Command Ps(CliContext context)
    {
        var command = new CliCommand("ps", "List containers", "[OPTIONS]");
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display container IDs" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Filter output based on conditions provided (name=…, status=…, id=…, label=…)" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" };
        var last = new Option<string?>("--last", "-n") { Description = "Show n last created containers (includes all states)" };
        var latest = new Option<bool>("--latest", "-l") { Description = "Show the latest created container (includes all states)" };
        var size = new Option<bool>("--size", "-s") { Description = "Display total file sizes" };
        foreach (var o in new Option[] { all, filter, format, last, latest, noTrunc, quiet, size }) command.Options.Add(o);

        command.SetAction(async (parse, cancellation) =>
        {
            var query = new List<string>();
            int limit = parse.GetValue(latest) ? 1 : FlagValues.Int(parse, last) ?? -1;
            if (parse.GetValue(all) || limit > 0) query.Add("all=1");
            if (limit > 0) query.Add($"limit={limit}");
            if (parse.GetValue(size)) query.Add("size=1");
            if (BuildFilters(parse.GetValue(filter) ?? [], filter) is { } filters) query.Add("filters=" + ApiPaths.Query(filters));

            var client = await context.ConnectAsync(parse);
            var list = await client.GetJsonAsync("/containers/json" + (query.Count > 0 ? "?" + string.Join('&', query) : "")) as JsonArray ?? [];

            string template = parse.GetValue(format) is { Length: > 0 } f && f != "table" ? f
                : parse.GetValue(quiet) ? ContainerRows.QuietFormat
                : parse.GetValue(size) ? ContainerRows.DefaultFormat + "\t{{.Size}}"
                : ContainerRows.DefaultFormat;

            var now = DateTimeOffset.UtcNow;
            bool truncate = !parse.GetValue(noTrunc);
            var rows = list.OfType<JsonObject>().Select(c => ContainerRows.Row(c, truncate, now));
            Stdio.Out.Write(RenderOrFail(template, rows, ContainerRows.Headers));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>"?filters={…}" for a request whose only query is the --filter values, or "" when there are none.</summary>
    internal static string FiltersQuery(IEnumerable<string>? specs, Option option) =>
        BuildFilters(specs ?? [], option) is { } filters ? "?filters=" + ApiPaths.Query(filters) : "";

    /// <summary>--filter k=v (repeated) → {"k":["v",…]}, the documented map[string][]string form.</summary>
    internal static string? BuildFilters(IEnumerable<string> specs, Option option)
    {
        var filters = new JsonObject();
        foreach (string spec in specs)
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0) throw FlagValues.Invalid(option, spec, $"bad format of filter (expected name=value)");
            string key = spec[..eq].Trim().ToLowerInvariant(), value = spec[(eq + 1)..];
            if (filters[key] is not JsonArray values) filters[key] = values = [];
            values.Add((JsonNode?)JsonValue.Create(value));
        }
        return filters.Count == 0 ? null : filters.ToJsonString();
    }

    internal static string RenderOrFail(string template, IEnumerable<JsonObject> rows, JsonObject headers)
    {
        try { return ListFormat.Render(template, rows, headers); }
        catch (TemplateException e) { throw new ExitException(ExitCodes.Error, "template parsing error: " + e.Message); }
    }

    // ───────────── logs ─────────────

    static Command Logs(CliContext context)
    {
        var command = new CliCommand("logs", "Fetch the logs of a container", "[OPTIONS] CONTAINER");
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow log output" };
        var tail = new Option<string?>("--tail", "-n") { Description = "Number of lines to show from the end of the logs (default \"all\")" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Show timestamps" };
        var since = new Option<string?>("--since") { Description = "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)" };
        var until = new Option<string?>("--until") { Description = "Show logs before a timestamp or relative time" };
        var names = Containers();
        foreach (var o in new Option[] { follow, since, tail, timestamps, until }) command.Options.Add(o);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] containers = parse.GetValue(names) ?? [];
            if (containers.Length != 1) throw command.RequiresExactly(1);
            var query = new List<string> { "stdout=1", "stderr=1" };
            if (parse.GetValue(follow)) query.Add("follow=1");
            if (parse.GetValue(timestamps)) query.Add("timestamps=1");
            query.Add("tail=" + ApiPaths.Query(parse.GetValue(tail) ?? "all"));
            if (parse.GetValue(since) is { } s) query.Add("since=" + ApiPaths.Query(TimeArgument.ToUnix(s, DateTimeOffset.UtcNow, since)));
            if (parse.GetValue(until) is { } u) query.Add("until=" + ApiPaths.Query(TimeArgument.ToUnix(u, DateTimeOffset.UtcNow, until)));

            var client = await context.ConnectAsync(parse);
            using var response = await client.SendAsync(HttpMethod.Get, $"{ApiPaths.Container(containers[0])}/logs?{string.Join('&', query)}");
            // Since API 1.42 the content type says whether the stream is framed; older daemons: ask whether the container has a TTY.
            string? type = response.Content.Headers.ContentType?.MediaType;
            bool raw = type == "application/vnd.docker.raw-stream"
                || (type != "application/vnd.docker.multiplexed-stream"
                    && ((await client.GetJsonAsync($"{ApiPaths.Container(containers[0])}/json"))?["Config"]?["Tty"]?.GetValue<bool>() ?? false));
            await using var body = await response.Content.ReadAsStreamAsync();
            if (raw) await body.CopyToAsync(Stdio.OutStream);
            else await StreamFrames.DemultiplexAsync(body, Stdio.OutStream, Stdio.ErrStream);
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── inspect ─────────────

    /// <summary>`inspect` (containers, then images; --type to choose) or, given <paramref name="kind"/>,
    /// `container inspect` / `image inspect`: the same command with the type fixed.</summary>
    internal static Command Inspect(CliContext context, string? kind = null)
    {
        string what = kind?.ToUpperInvariant() ?? "NAME|ID";
        var command = kind is null
            ? new CliCommand("inspect", "Return low-level information on containers and images", $"[OPTIONS] {what} [{what}...]")
            : new CliCommand("inspect", $"Display detailed information on one or more {kind}s", $"[OPTIONS] {what} [{what}...]", kind);
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template: 'json' or a Go template" };
        var type = new Option<string?>("--type") { Description = "Only inspect objects of the given type (container or image)" };
        var size = new Option<bool>("--size", "-s") { Description = kind is null ? "Display total file sizes if the type is container" : "Display total file sizes" };
        var names = new Argument<string[]>(kind is null ? "NAME" : what) { Arity = ArgumentArity.ZeroOrMore };
        var kernel = new Option<bool>("--kernel") { Description = "Show what the kernel holds for a running container, read live (MiniContainer only)" };
        command.Options.Add(format);
        if (kind != "image") command.Options.Add(size);
        if (kind != "image") command.Options.Add(kernel);
        if (kind is null) command.Options.Add(type);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] objects = Require(parse, names, command);
            string? typed = kind ?? parse.GetValue(type);
            if (typed is not (null or "container" or "image"))
                throw new UsageException($"\"{typed}\" is not a valid value for --type");
            bool kernelView = kind != "image" && parse.GetValue(kernel);
            if (kernelView && typed == "image") throw new UsageException("--kernel shows containers only");
            if (kernelView && parse.GetValue(size)) throw new UsageException("--size cannot be used with --kernel");
            var client = await context.ConnectAsync(parse);
            if (kernelView) return await KernelInspect.RunAsync(client, objects, parse.GetValue(format));
            return await InspectAsync(client, objects, typed, parse.GetValue(format), kind != "image" && parse.GetValue(size));
        });
        return command;
    }

    internal static async Task<int> InspectAsync(DockerClient client, string[] objects, string? kind, string? format, bool size)
    {
        var template = InspectTemplate(format);

        var found = new List<string>();
        var errors = new List<string>();
        foreach (string name in objects)
        {
            string? raw = null;
            if (kind is null or "container")
                raw = await TryGetAsync(client, $"{ApiPaths.Container(name)}/json{(size ? "?size=1" : "")}");
            if (raw is null && kind is null or "image")
                raw = await TryGetAsync(client, $"{ApiPaths.Image(name)}/json");
            if (raw is null) { errors.Add($"Error: No such {kind ?? "object"}: {name}"); continue; }
            found.Add(raw);
        }

        Stdio.Out.Write(FormatInspected(found, template));
        foreach (string e in errors) Stdio.Err.WriteLine(e);
        return errors.Count == 0 ? ExitCodes.Ok : ExitCodes.Error;
    }

    /// <summary>inspect's -f: null for the default JSON ("" or "json"), else the parsed Go template.</summary>
    internal static GoTemplate? InspectTemplate(string? format)
    {
        if (string.IsNullOrEmpty(format) || format == "json") return null;
        try { return GoTemplate.Parse(format.Replace("\\t", "\t").Replace("\\n", "\n")); }
        catch (TemplateException e) { throw new ExitException(ExitCodes.Error, "template parsing error: " + e.Message); }
    }

    /// <summary>
    /// What inspect prints for the daemon's answers: without a template, a JSON array of them re-indented
    /// (never re-encoded) with four spaces; with one, a line per object.
    /// </summary>
    internal static string FormatInspected(IReadOnlyList<string> found, GoTemplate? template)
    {
        if (template is null) return JsonIndent.Indent("[" + string.Join(",", found) + "]") + "\n";
        var sb = new StringBuilder();
        foreach (string raw in found)
        {
            try { sb.Append(template.Execute(JsonNode.Parse(raw))).Append('\n'); }
            catch (TemplateException e) { throw new ExitException(ExitCodes.Error, "template parsing error: " + e.Message); }
        }
        return sb.ToString();
    }

    static async Task<string?> TryGetAsync(DockerClient client, string path)
    {
        try { return await client.GetStringAsync(path); }
        catch (ApiException e) when (e.IsNotFound) { return null; }
    }

    // ───────────── wait, top ─────────────

    static Command Wait(CliContext context)
    {
        var command = new CliCommand("wait", "Block until one or more containers stop, then print their exit codes", "[OPTIONS] CONTAINER [CONTAINER...]");
        // Not in the docker CLI (it always waits for not-running): the API's condition, for scripts that need the others.
        var condition = new Option<string>("--condition")
        {
            Description = "Wait for this condition: not-running, next-exit or removed", DefaultValueFactory = _ => "not-running",
        };
        var names = Containers();
        command.Options.Add(condition);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] containers = Require(parse, names, command);
            string wanted = parse.GetValue(condition) ?? "not-running";
            var client = await context.ConnectAsync(parse);
            return await Targets.ForEachAsync(containers, async name =>
            {
                var result = await ContainerWait.WaitAsync(client, name, ApiPaths.Query(wanted));
                Stdio.Out.WriteLine(result.StatusCode);
            }, echoName: false);
        });
        return command;
    }

    static Command Top(CliContext context)
    {
        var command = new CliCommand("top", "Display the running processes of a container", "CONTAINER [ps OPTIONS]") { ForeignArgumentsAfter = 1 };
        var container = new Argument<string?>("CONTAINER") { Arity = ArgumentArity.ZeroOrOne };
        var psArgs = new Argument<string[]>("ps OPTIONS") { Arity = ArgumentArity.ZeroOrMore };
        command.Arguments.Add(container);
        command.Arguments.Add(psArgs);
        command.SetAction(async (parse, cancellation) =>
        {
            string name = parse.GetValue(container) ?? throw command.RequiresAtLeast(1);
            string[] args = parse.GetValue(psArgs) ?? [];
            var client = await context.ConnectAsync(parse);
            string query = args.Length > 0 ? "?ps_args=" + ApiPaths.Query(string.Join(' ', args)) : "";
            var top = await client.GetJsonAsync($"{ApiPaths.Container(name)}/top{query}") as JsonObject;
            var table = new TableWriter(minWidth: 20);
            table.AddRow([.. (top?["Titles"] as JsonArray ?? []).Select(t => GoTemplate.Print(t))]);
            foreach (var process in (top?["Processes"] as JsonArray ?? []).OfType<JsonArray>())
                table.AddRow([.. process.Select(p => GoTemplate.Print(p))]);
            Stdio.Out.Write(table.Render());
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── diff ─────────────

    static Command Diff(CliContext context)
    {
        var command = new CliCommand("diff", "Inspect changes to files or directories on a container's filesystem", "CONTAINER");
        var container = new Argument<string?>("CONTAINER") { Arity = ArgumentArity.ZeroOrOne };
        command.Arguments.Add(container);
        command.SetAction(async (parse, cancellation) =>
        {
            string name = parse.GetValue(container) ?? throw command.RequiresAtLeast(1);
            var client = await context.ConnectAsync(parse);
            var changes = await client.GetJsonAsync($"{ApiPaths.Container(name)}/changes") as JsonArray ?? [];
            foreach (var change in changes.OfType<JsonObject>())
            {
                string kind = (int?)change["Kind"] switch { 0 => "C", 1 => "A", 2 => "D", _ => "?" };
                Stdio.Out.WriteLine($"{kind} {(string?)change["Path"]}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── export ─────────────

    static Command Export(CliContext context)
    {
        var command = new CliCommand("export", "Export a container's filesystem as a tar archive", "[OPTIONS] CONTAINER");
        var outputFile = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
        var container = new Argument<string?>("CONTAINER") { Arity = ArgumentArity.ZeroOrOne };
        command.Options.Add(outputFile);
        command.Arguments.Add(container);
        command.SetAction(async (parse, cancellation) =>
        {
            string name = parse.GetValue(container) ?? throw command.RequiresAtLeast(1);
            string? file = parse.GetValue(outputFile);
            if (file is null && Stdio.OutIsTerminal)
                throw new ExitException(ExitCodes.Error, "cowardly refusing to save to a terminal. Use the -o flag or redirect");
            var client = await context.ConnectAsync(parse);
            using var response = await client.SendAsync(HttpMethod.Get, $"{ApiPaths.Container(name)}/export");
            await using var body = await response.Content.ReadAsStreamAsync(cancellation);
            await TarOutput.WriteAsync(body, file);
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── commit ─────────────

    static Command Commit(CliContext context)
    {
        var command = new CliCommand("commit", "Create a new image from a container's changes", "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]");
        var author = new Option<string?>("--author", "-a") { Description = "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")" };
        var message = new Option<string?>("--message", "-m") { Description = "Commit message" };
        var change = new Option<string[]>("--change", "-c") { Description = "Apply Dockerfile instruction to the created image" };
        var pause = new Option<bool>("--pause", "-p") { Description = "Pause container during commit", DefaultValueFactory = _ => true };
        var container = new Argument<string?>("CONTAINER") { Arity = ArgumentArity.ZeroOrOne };
        var reference = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        command.Options.Add(author);
        command.Options.Add(message);
        command.Options.Add(change);
        command.Options.Add(pause);
        command.Arguments.Add(container);
        command.Arguments.Add(reference);
        command.SetAction(async (parse, cancellation) =>
        {
            string name = parse.GetValue(container) ?? throw command.RequiresAtLeast(1);
            var query = new List<string> { "container=" + ApiPaths.Query(name) };
            if (parse.GetValue(reference) is { Length: > 0 } target)
            {
                // "repo:tag", but not the ":" of a registry port ("localhost:5000/app").
                int colon = target.LastIndexOf(':');
                bool hasTag = colon > target.LastIndexOf('/');
                query.Add("repo=" + ApiPaths.Query(hasTag ? target[..colon] : target));
                if (hasTag) query.Add("tag=" + ApiPaths.Query(target[(colon + 1)..]));
            }
            if (parse.GetValue(author) is { } a) query.Add("author=" + ApiPaths.Query(a));
            if (parse.GetValue(message) is { } m) query.Add("comment=" + ApiPaths.Query(m));
            foreach (string c in parse.GetValue(change) ?? []) query.Add("changes=" + ApiPaths.Query(c));
            if (!parse.GetValue(pause)) query.Add("pause=0");
            var client = await context.ConnectAsync(parse);
            var result = await client.PostJsonAsync("/commit?" + string.Join('&', query)) as JsonObject;
            Stdio.Out.WriteLine((string?)result?["Id"]);
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── attach ─────────────

    static Command Attach(CliContext context)
    {
        var command = new CliCommand("attach", "Attach local standard input, output, and error streams to a running container", "[OPTIONS] CONTAINER");
        var noStdin = new Option<bool>("--no-stdin") { Description = "Do not attach STDIN" };
        var sigProxy = new Option<bool>("--sig-proxy") { Description = "Proxy all received signals to the process", DefaultValueFactory = _ => true };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container" };
        var names = Containers();
        command.Options.Add(detachKeys);
        command.Options.Add(noStdin);
        command.Options.Add(sigProxy);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] containers = parse.GetValue(names) ?? [];
            if (containers.Length != 1) throw command.RequiresExactly(1);
            var client = await context.ConnectAsync(parse);
            var info = await client.GetJsonAsync($"{ApiPaths.Container(containers[0])}/json") as JsonObject ?? [];
            if (!(info["State"]?["Running"]?.GetValue<bool>() ?? false))
                throw new ExitException(ExitCodes.Error, "You cannot attach to a stopped container, start it first");
            string id = info["Id"]?.GetValue<string>() ?? containers[0];
            bool tty = info["Config"]?["Tty"]?.GetValue<bool>() ?? false;
            bool stdin = !parse.GetValue(noStdin) && (info["Config"]?["OpenStdin"]?.GetValue<bool>() ?? false);

            // The daemon watches a TTY's input for the detach keys (the flag's, else config.json's detachKeys, else
            // ctrl-p ctrl-q) and ends the stream when it sees them; the container runs on.
            string? keys = parse.GetValue(detachKeys) ?? DockerConfigFile.DetachKeys();
            string keysQuery = string.IsNullOrEmpty(keys) ? "" : "&detachKeys=" + ApiPaths.Query(keys);
            using var connection = await client.HijackAsync($"{ApiPaths.Container(id)}/attach?stream=1&stdout=1&stderr=1{(stdin ? "&stdin=1" : "")}{keysQuery}", null);
            using var terminal = TerminalSession.Begin(tty, stdin);
            using var proxy = !tty && parse.GetValue(sigProxy) ? new SignalProxy(client, id) : null;
            if (tty) _ = terminal.FollowWindowSizeAsync((h, w) => client.PostJsonAsync($"{ApiPaths.Container(id)}/resize?h={h}&w={w}"));
            await AttachedStreams.PumpAsync(connection, tty, stdin);
            terminal.Dispose();
            // Detached: the container still runs, and attach ends at once with 0, as docker's does.
            var after = await client.GetJsonAsync($"{ApiPaths.Container(id)}/json") as JsonObject;
            if (tty && stdin && (after?["State"]?["Running"]?.GetValue<bool>() ?? false)) return ExitCodes.Ok;
            var result = await ContainerWait.WaitAsync(client, id);
            return (int)result.StatusCode;
        });
        return command;
    }
}
