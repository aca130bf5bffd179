using System.CommandLine;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// `exec`: POST /containers/{id}/exec creates the exec, POST /exec/{id}/start runs it (hijacked like attach,
/// unless -d), and GET /exec/{id}/json gives its exit code once the output has ended.
/// </summary>
internal static class ExecCommand
{
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("exec", "Execute a command in a running container", "[OPTIONS] CONTAINER COMMAND [ARG...]")
        {
            ForeignArgumentsAfter = 1,
        };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: run command in the background" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables" };
        var envFile = new Option<string[]>("--env-file") { Description = "Read in a file of environment variables" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
        var user = new Option<string?>("--user", "-u") { Description = "Username or UID (format: \"<name|uid>[:<group|gid>]\")" };
        var privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to the command" };
        var container = new Argument<string?>("CONTAINER") { Arity = ArgumentArity.ZeroOrOne };
        var args = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.ZeroOrMore };
        var explain = ExplainCommand.Option();
        foreach (var o in new Option[] { detach, env, envFile, explain, interactive, privileged, tty, user, workdir }) command.Options.Add(o);
        command.Arguments.Add(container);
        command.Arguments.Add(args);

        command.SetAction(async (parse, cancellation) =>
        {
            string? name = parse.GetValue(container);
            string[] cmd = parse.GetValue(args) ?? [];
            if (string.IsNullOrEmpty(name) || cmd.Length == 0) throw command.RequiresAtLeast(2);
            bool i = parse.GetValue(interactive), t = parse.GetValue(tty), d = parse.GetValue(detach);
            if (!d && i && t && !Stdio.InIsTerminal) throw new ExitException(ExitCodes.Error, "the input device is not a TTY");

            var environment = new List<string>();
            foreach (string file in parse.GetValue(envFile) ?? [])
            {
                try { environment.AddRange(Flags.EnvFile.ReadFile(file, Environment.GetEnvironmentVariable)); }
                catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException) { throw FlagValues.Invalid(envFile, file, e.Message); }
            }
            foreach (string value in parse.GetValue(env) ?? [])
            {
                try { environment.Add(Flags.EnvFile.ParseFlag(value, Environment.GetEnvironmentVariable)); }
                catch (FormatException e) { throw FlagValues.Invalid(env, value, e.Message); }
            }

            var size = t ? TerminalSession.Size() : null;
            var config = new JsonObject
            {
                ["AttachStdin"] = i && !d,
                ["AttachStdout"] = !d,
                ["AttachStderr"] = !d,
                ["Tty"] = t,
                ["Privileged"] = parse.GetValue(privileged),
                ["User"] = parse.GetValue(user) ?? "",
                ["WorkingDir"] = parse.GetValue(workdir) ?? "",
                ["Env"] = new JsonArray([.. environment.Select(e => (JsonNode?)JsonValue.Create(e))]),
                ["Cmd"] = new JsonArray([.. cmd.Select(c => (JsonNode?)JsonValue.Create(c))]),
            };
            if (size is { } s) config["ConsoleSize"] = new JsonArray(s.Rows, s.Cols);

            var client = await context.ConnectAsync(parse);
            var explained = ExplainCommand.Get(parse, explain);
            var created = await client.PostJsonAsync($"{ApiPaths.Container(name)}/exec{(explained is null ? "" : "?explain=1")}", config);
            string execId = created?["Id"]?.GetValue<string>() ?? throw new IOException("the daemon's exec answer has no Id");
            // --explain: the exec's steps are in the container's explain log once it has started.
            async Task PrintExplained()
            {
                if (explained is { } mode)
                    ExplainCommand.Print((await ExplainCommand.LogAsync(client, name)).Where(s => s.Action == "exec " + execId[..12]).ToList(), mode);
            }

            var start = new JsonObject { ["Detach"] = d, ["Tty"] = t };
            if (size is { } s2) start["ConsoleSize"] = new JsonArray(s2.Rows, s2.Cols);
            if (d)
            {
                await client.PostJsonAsync($"/exec/{ApiPaths.Segment(execId)}/start", start);
                await PrintExplained();
                return ExitCodes.Ok;
            }

            HijackedConnection hijacked;
            try
            {
                hijacked = await client.HijackAsync($"/exec/{ApiPaths.Segment(execId)}/start", start);
            }
            catch (ApiException e)
            {
                // The command could not be started: 127 when it was not found, 126 when it cannot run, as docker.
                Stdio.Err.WriteLine("Error response from daemon: " + e.Message);
                int code = RunCommand.StartFailureExitCode(e.Message);
                return code == ExitCodes.RunFailed ? ExitCodes.Error : code;
            }
            using (var connection = hijacked)
            using (var terminal = TerminalSession.Begin(t, i))
            {
                if (t) _ = terminal.FollowWindowSizeAsync((h, w) => client.PostJsonAsync($"/exec/{ApiPaths.Segment(execId)}/resize?h={h}&w={w}"));
                await AttachedStreams.PumpAsync(connection, t, sendStdin: i);
            }
            await PrintExplained();
            return await ExitCodeAsync(client, execId);
        });
        return command;
    }

    /// <summary>The exec's ExitCode; the output can end a moment before the daemon has recorded the exit, so poll briefly.</summary>
    static async Task<int> ExitCodeAsync(DockerClient client, string execId)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var info = await client.GetJsonAsync($"/exec/{ApiPaths.Segment(execId)}/json");
            bool running = info?["Running"]?.GetValue<bool>() ?? false;
            if (!running && info?["ExitCode"] is JsonValue code) return (int)code.GetValue<long>();
            await Task.Delay(20 + attempt * 10);
        }
        return ExitCodes.Ok;
    }
}
