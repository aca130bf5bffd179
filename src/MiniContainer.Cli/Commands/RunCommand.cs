using System.CommandLine;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Flags;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// `run` and `create`. run reads like docker's recipe:
///   create the container → attach to it (before it starts, so no output is lost) → register the wait
///   (before it starts, so its exit cannot be missed) → start it → pump stdin/stdout/stderr → exit with its status.
/// Failures before the container runs exit 125; a command that cannot be found or run exits 127 or 126.
/// </summary>
internal static class RunCommand
{
    public static Command CreateRun(CliContext context) => Build(context, run: true);
    public static Command CreateCreate(CliContext context) => Build(context, run: false);

    static CliCommand Build(CliContext context, bool run)
    {
        var command = new CliCommand(run ? "run" : "create",
            run ? "Create and run a new container from an image" : "Create a new container",
            "[OPTIONS] IMAGE [COMMAND] [ARG...]") { ForeignArgumentsAfter = 1 };

        var flags = new ContainerFlags();
        var detach = new Option<bool>("--detach", "-d") { Description = "Run container in background and print container ID" };
        var sigProxy = new Option<bool>("--sig-proxy") { Description = "Proxy received signals to the process", DefaultValueFactory = _ => true };
        var image = new Argument<string?>("IMAGE") { Arity = ArgumentArity.ZeroOrOne };
        var args = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.ZeroOrMore, Description = "The command and its arguments" };
        if (run)
        {
            command.Options.Add(detach);
            command.Options.Add(sigProxy);
        }
        flags.AddTo(command);
        var explain = ExplainCommand.Option();
        command.Options.Add(explain);
        command.Arguments.Add(image);
        command.Arguments.Add(args);

        command.SetAction(async (parse, cancellation) =>
        {
            string? imageName = parse.GetValue(image);
            if (string.IsNullOrEmpty(imageName)) throw command.RequiresAtLeast(1);
            string[] cmd = parse.GetValue(args) ?? [];
            bool detached = !run || parse.GetValue(detach);
            var explained = ExplainCommand.Get(parse, explain);
            bool tty = parse.GetValue(flags.Tty), interactive = parse.GetValue(flags.Interactive);

            if (run && !detached && tty && interactive && !Stdio.InIsTerminal)
                throw new ExitException(ExitCodes.Error, "the input device is not a TTY");

            // create has no -d: docker fills its config as for an attached run (-i gives AttachStdin and StdinOnce),
            // so a later `start -a -i` sees the container's stdin close when ours does.
            var config = flags.BuildConfig(parse, imageName, cmd, detached: run && detached, Environment.GetEnvironmentVariable, tty ? TerminalSession.Size() : null);
            try
            {
                var client = await context.ConnectAsync(parse);
                var (id, answer) = await CreateAsync(client, config, parse.GetValue(flags.Name), imageName, explained is not null);
                await ExplainCommand.PrintCreateAsync(client, answer, id, explained);
                if (!run) { Stdio.Out.WriteLine(id); return ExitCodes.Ok; }
                if (detached)
                {
                    await StartOrReportAsync(client, id, command, explained);
                    Stdio.Out.WriteLine(id);
                    return ExitCodes.Ok;
                }
                return await RunAttachedAsync(client, id, command, tty, interactive,
                    autoRemove: parse.GetValue(flags.Rm), sigProxy: parse.GetValue(sigProxy), explained);
            }
            catch (ApiException e) { return Fail(command, "Error response from daemon: " + e.Message, ExitCodes.RunFailed); }
            catch (DaemonUnavailableException e) { return Fail(command, e.Message, ExitCodes.RunFailed); }
        });
        return command;
    }

    /// <summary>POST /containers/create; when the image is missing, says "Unable to find image 'x:latest' locally", pulls it (progress on stderr) and creates again, as docker run does.</summary>
    static async Task<(string Id, JsonNode? Answer)> CreateAsync(DockerClient client, JsonObject config, string? name, string image, bool explain)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(name)) query.Add("name=" + ApiPaths.Query(name));
        if (explain) query.Add("explain=1");   // our extension: record the container's kernel steps
        string path = "/containers/create" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        JsonNode? response;
        try
        {
            response = await client.PostJsonAsync(path, config);
        }
        catch (ApiException e) when (e.IsNotFound && e.Message.Contains("image", StringComparison.OrdinalIgnoreCase))
        {
            // As docker: the name in its familiar form with the default tag ("busybox:latest").
            Stdio.Err.WriteLine($"Unable to find image '{(MiniContainer.Images.ImageReference.TryParse(image, out var named) ? named.WithDefaultTag() : image)}' locally");
            await RegistryCommands.PullForRunAsync(client, image);
            response = await client.PostJsonAsync(path, config);
        }
        if (response?["Warnings"] is JsonArray warnings)
            foreach (var w in warnings)
                if (w?.GetValue<string>() is { Length: > 0 } text) Stdio.Err.WriteLine("WARNING: " + text);
        return (response?["Id"]?.GetValue<string>() ?? throw new IOException("the daemon's create answer has no Id"), response);
    }

    static async Task StartOrReportAsync(DockerClient client, string id, CliCommand command, ExplainCommand.Mode? explain)
    {
        try { await ExplainCommand.StartAsync(client, id, explain); }
        catch (ApiException e) { throw new ExitException(Fail(command, "Error response from daemon: " + e.Message, StartFailureExitCode(e.Message))); }
    }

    internal static async Task<int> RunAttachedAsync(DockerClient client, string id, CliCommand command, bool tty, bool interactive, bool autoRemove, bool sigProxy,
        ExplainCommand.Mode? explain = null)
    {
        string attachQuery = "stream=1&stdout=1&stderr=1" + (interactive ? "&stdin=1" : "");
        using var connection = await client.HijackAsync($"{ApiPaths.Container(id)}/attach?{attachQuery}", null);
        var exit = await ContainerWait.BeginAsync(client, id, autoRemove ? "removed" : "next-exit");

        using var terminal = TerminalSession.Begin(tty, interactive);
        try
        {
            await ExplainCommand.StartAsync(client, id, explain);
        }
        catch (ApiException e)
        {
            terminal.Dispose();
            connection.Dispose();
            int code = Fail(command, "Error response from daemon: " + e.Message, StartFailureExitCode(e.Message));
            // With --rm the daemon removes the container that failed to start; let it finish before we return.
            if (autoRemove)
            {
                using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await exit.ResultAsync(patience.Token); }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or ApiException or System.Text.Json.JsonException) { }
            }
            return code;
        }

        using var proxy = !tty && sigProxy ? new SignalProxy(client, id) : null;
        if (tty) _ = terminal.FollowWindowSizeAsync((h, w) => client.PostJsonAsync($"{ApiPaths.Container(id)}/resize?h={h}&w={w}"));

        await AttachedStreams.PumpAsync(connection, tty, sendStdin: interactive);
        var result = await exit.ResultAsync();
        terminal.Dispose();
        if (result.Error is not null) Stdio.Err.WriteLine("minicontainer: " + result.Error);
        return (int)result.StatusCode;
    }

    /// <summary>
    /// docker's rule for a container that could not start: its command was not found → 127,
    /// could not be executed → 126, anything else → 125.
    /// </summary>
    internal static int StartFailureExitCode(string message)
    {
        if (message.Contains("executable file not found", StringComparison.Ordinal)
            || message.Contains("no such file or directory", StringComparison.OrdinalIgnoreCase)
            || message.Contains("not found", StringComparison.OrdinalIgnoreCase) && message.Contains("exec", StringComparison.OrdinalIgnoreCase))
            return ExitCodes.NotFound;
        if (message.Contains("permission denied", StringComparison.OrdinalIgnoreCase) || message.Contains("is a directory", StringComparison.OrdinalIgnoreCase))
            return ExitCodes.CannotInvoke;
        return ExitCodes.RunFailed;
    }

    /// <summary>Prints "minicontainer: MESSAGE" and "See 'minicontainer run --help'." as docker does for run; returns <paramref name="code"/>.</summary>
    static int Fail(CliCommand command, string message, int code)
    {
        Stdio.Err.WriteLine("minicontainer: " + message);
        Stdio.Err.WriteLine($"See 'minicontainer {command.Name} --help'.");
        return code;
    }
}
