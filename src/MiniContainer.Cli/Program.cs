using System.CommandLine;
using System.CommandLine.Help;
using MiniContainer.Cli;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Commands;
using MiniContainer.Cli.Terminal;

// minicontainer: docker's CLI for MiniContainer. A pure client of the daemon's Engine API;
// see CliApp for how a command line becomes a command, and Commands/ for what each command does.
return await CliApp.RunAsync(args);

namespace MiniContainer.Cli
{
    internal static class CliApp
    {
        /// <param name="only">build just this top-level command (see <see cref="SoleCommand"/>); null: all of them.</param>
        public static RootCommand BuildRoot(CliContext context, string? only = null)
        {
            var root = new RootCommand("A self-sufficient runtime for containers (a Docker-compatible client of minicontainerd)");
            // docker's help flag is --help only: -h means --hostname to run and create.
            root.Options.Clear();
            root.Directives.Clear();
            root.Options.Add(new HelpOption("--help") { Recursive = true });
            root.Options.Add(context.Host);
            root.Options.Add(context.NoAutostart);
            var version = new Option<bool>("--version", "-v") { Description = "Print version information and quit" };
            root.Options.Add(version);

            switch (only)
            {
                case "run": root.Subcommands.Add(RunCommand.CreateRun(context)); return WithRootAction(root, version);
                case "create": root.Subcommands.Add(RunCommand.CreateCreate(context)); return WithRootAction(root, version);
                case "exec": root.Subcommands.Add(ExecCommand.Create(context)); return WithRootAction(root, version);
            }
            root.Subcommands.Add(RunCommand.CreateRun(context));
            root.Subcommands.Add(RunCommand.CreateCreate(context));
            root.Subcommands.Add(ExecCommand.Create(context));
            root.Subcommands.Add(ExplainCommand.Create(context));
            root.Subcommands.Add(Dashboard.DashboardCommand.Create(context));
            foreach (var c in ContainerCommands.Create(context)) root.Subcommands.Add(c);
            foreach (var c in ImageCommands.Create(context)) root.Subcommands.Add(c);
            root.Subcommands.Add(BuildCommand.Create(context));
            foreach (var c in HistoryCommands.Create(context)) root.Subcommands.Add(c);
            foreach (var c in RegistryCommands.Create(context)) root.Subcommands.Add(c);
            foreach (var c in SystemCommands.Create(context)) root.Subcommands.Add(c);
            foreach (var c in VolumeCommands.Create(context)) root.Subcommands.Add(c);
            root.Subcommands.Add(CopyCommand.Create(context));
            root.Subcommands.Add(RenameCommand.Create(context));
            foreach (var c in LiveCommands.Create(context)) root.Subcommands.Add(c);
            root.Subcommands.Add(EventsCommand.Create(context));
            foreach (var c in NetworkCommands.Create(context)) root.Subcommands.Add(c);
            foreach (var c in PruneCommands.Create(context)) root.Subcommands.Add(c);
            root.Subcommands.Add(Compose.ComposeCommand.Create(context));
            CommandGroups.Add(root, context);   // after every command: `image ls`, `container rm`… reuse them
            return WithRootAction(root, version);
        }

        /// <summary>`minicontainer` alone prints the help; `minicontainer --version` the version.</summary>
        static RootCommand WithRootAction(RootCommand root, Option<bool> version)
        {
            root.SetAction(parse =>
            {
                if (parse.GetValue(version))
                {
                    Stdio.Out.WriteLine($"MiniContainer version {CliInfo.Version}, API {DockerClient.ApiVersion}");
                    return ExitCodes.Ok;
                }
                return new HelpAction().Invoke(parse);
            });
            return root;
        }

        /// <summary>
        /// The top-level command of a command line when it is run, create or exec, the commands whose start-up time
        /// matters most: only that one is built then (all ~90 commands and their options cost about a millisecond of
        /// a short command's CPU). Anything else — another command, --help or --version before the command, a flag we
        /// do not know — builds the whole tree, so help and errors are the same either way.
        /// </summary>
        internal static string? SoleCommand(IReadOnlyList<string> args)
        {
            for (int i = 0; i < args.Count; i++)
            {
                string a = args[i];
                if (a is "-H" or "--host") { i++; continue; }
                if (a == "--no-autostart" || a.StartsWith("--host=", StringComparison.Ordinal) || (a.StartsWith("-H", StringComparison.Ordinal) && a.Length > 2)) continue;
                return a is "run" or "create" or "exec" ? a : null;
            }
            return null;
        }

        public static async Task<int> RunAsync(string[] args)
        {
            using var context = new CliContext();
            var root = BuildRoot(context, SoleCommand(args));
            Command? command = root;
            try
            {
                var prepared = ArgumentPreparer.Prepare(root, args);
                var parse = root.Parse(prepared, new ParserConfiguration { ResponseFileTokenReplacer = null });
                command = parse.CommandResult.Command;
                if (parse.Errors.Count > 0) throw TranslateParseError(parse);
                return await parse.InvokeAsync(new InvocationConfiguration
                {
                    Output = Stdio.Out,
                    Error = Stdio.Err,
                    EnableDefaultExceptionHandler = false,
                    ProcessTerminationTimeout = null,
                });
            }
            catch (UsageException e)
            {
                command = e.Command ?? command;
                string name = command is RootCommand || command is null ? "minicontainer"
                    : "minicontainer " + (command is CliCommand named ? named.FullName : command.Name);
                Stdio.Err.WriteLine(e.Message);
                Stdio.Err.WriteLine($"See '{name} --help'.");
                if (e.ShowUsage && command is CliCommand cli)
                {
                    Stdio.Err.WriteLine();
                    Stdio.Err.WriteLine($"Usage:  {cli.Usage}");
                    Stdio.Err.WriteLine();
                    Stdio.Err.WriteLine(cli.Description);
                }
                return ExitCodes.RunFailed;
            }
            catch (ExitException e)
            {
                if (e.HasMessage) Stdio.Err.WriteLine(e.Message);
                return e.ExitCode;
            }
            catch (ApiException e)
            {
                Stdio.Err.WriteLine("Error response from daemon: " + e.Message);
                return ExitCodes.Error;
            }
            catch (DaemonUnavailableException e)
            {
                Stdio.Err.WriteLine(e.Message);
                return ExitCodes.Error;
            }
            catch (IOException e) when (e.HResult == 32 || e.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase))
            {
                return ExitCodes.Error;   // our output was closed (e.g. `| head`): nothing left to say
            }
            catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException)
            {
                // The daemon went away or answered nonsense in the middle of a command.
                Stdio.Err.WriteLine($"error during communication with the daemon: {e.Message}");
                return ExitCodes.Error;
            }
        }

        /// <summary>System.CommandLine's errors in docker's words.</summary>
        static UsageException TranslateParseError(ParseResult parse)
        {
            var error = parse.Errors[0];
            string message = error.Message;
            if (parse.UnmatchedTokens.Count > 0 && parse.CommandResult.Command is RootCommand)
                return new UsageException($"minicontainer: '{parse.UnmatchedTokens[0]}' is not a minicontainer command.");
            if (message.StartsWith("Required argument missing for option: ", StringComparison.Ordinal))
                return new UsageException("flag needs an argument: " + message["Required argument missing for option: ".Length..].Trim('\'', '.', ' '));
            if (parse.UnmatchedTokens.Count > 0 && parse.CommandResult.Command is CliCommand { Subcommands.Count: > 0 } group)
                return new UsageException($"minicontainer: '{group.FullName} {parse.UnmatchedTokens[0]}' is not a minicontainer command.");
            if (parse.UnmatchedTokens.Count > 0 && parse.CommandResult.Command is CliCommand c)
                return new UsageException($"\"minicontainer {c.FullName}\" accepts no arguments.", showUsage: true);
            return new UsageException(message);
        }
    }
}
