using System.CommandLine;
using System.CommandLine.Help;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>The volume group: volume create, ls, inspect, rm and prune, over the Engine API's /volumes.</summary>
internal static class VolumeCommands
{
    const string Group = "volume";

    public static IEnumerable<Command> Create(CliContext context)
    {
        var volume = new CliCommand(Group, "Manage volumes", "COMMAND");
        foreach (var c in new[] { CreateVolume(context), Ls(context), Inspect(context), Rm(context), Prune(context) })
            volume.Subcommands.Add(c);
        // `minicontainer volume` alone lists its commands, as `docker volume` does.
        volume.SetAction(parse => new HelpAction().Invoke(parse));
        return [volume];
    }

    static Argument<string[]> Volumes() => new("VOLUME") { Arity = ArgumentArity.ZeroOrMore };

    // ───────────── create ─────────────

    static Command CreateVolume(CliContext context)
    {
        var command = new CliCommand("create", "Create a volume", "[OPTIONS] [VOLUME]", Group);
        var driver = new Option<string?>("--driver", "-d") { Description = "Specify volume driver name (default \"local\")" };
        var label = new Option<string[]>("--label") { Description = "Set metadata for a volume" };
        var opt = new Option<string[]>("--opt", "-o") { Description = "Set driver specific options" };
        var names = Volumes();
        var explain = ExplainCommand.Option();
        foreach (var o in new Option[] { driver, label, opt, explain }) command.Options.Add(o);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] args = parse.GetValue(names) ?? [];
            if (args.Length > 1) throw command.RequiresAtMost(1);
            var body = new JsonObject
            {
                ["Name"] = args.Length == 1 ? args[0] : "",
                ["Driver"] = parse.GetValue(driver) ?? "local",
                ["DriverOpts"] = DriverOpts(parse.GetValue(opt) ?? []),
                ["Labels"] = ContainerFlags.KeyValues(parse.GetValue(label) ?? [], label),
            };
            var client = await context.ConnectAsync(parse);
            var created = await ExplainCommand.PostAsync(client, "/volumes/create", body, ExplainCommand.Get(parse, explain)) as JsonObject;
            Stdio.Out.WriteLine(created is null ? args.FirstOrDefault() ?? "" : ContainerRows.Str(created, "Name"));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>-o type=tmpfs -o device=tmpfs → {"type":"tmpfs","device":"tmpfs"}; "k" alone is an empty value, as docker's MapOpts.</summary>
    internal static JsonObject DriverOpts(IEnumerable<string> pairs)
    {
        var o = new JsonObject();
        foreach (string pair in pairs)
        {
            int eq = pair.IndexOf('=');
            o[eq < 0 ? pair : pair[..eq]] = eq < 0 ? "" : pair[(eq + 1)..];
        }
        return o;
    }

    // ───────────── ls ─────────────

    static Command Ls(CliContext context)
    {
        var command = new CliCommand("ls", "List volumes", "[OPTIONS]", Group);
        command.Aliases.Add("list");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display volume names" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Provide filter values (e.g. \"dangling=true\", \"name=…\", \"label=…\", \"driver=local\")" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" };
        foreach (var o in new Option[] { filter, format, quiet }) command.Options.Add(o);
        command.SetAction(async (parse, cancellation) =>
        {
            string query = ContainerCommands.FiltersQuery(parse.GetValue(filter), filter);
            var client = await context.ConnectAsync(parse);
            var list = await client.GetJsonAsync("/volumes" + query);
            string template = parse.GetValue(format) is { Length: > 0 } f && f != "table" ? f
                : parse.GetValue(quiet) ? VolumeRows.QuietFormat
                : VolumeRows.DefaultFormat;
            Stdio.Out.Write(ContainerCommands.RenderOrFail(template, VolumeRows.Rows(list), VolumeRows.Headers));
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── inspect ─────────────

    static Command Inspect(CliContext context)
    {
        var command = new CliCommand("inspect", "Display detailed information on one or more volumes", "[OPTIONS] VOLUME [VOLUME...]", Group);
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template: 'json' or a Go template" };
        var names = Volumes();
        command.Options.Add(format);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] volumes = parse.GetValue(names) ?? [];
            if (volumes.Length == 0) throw command.RequiresAtLeast(1);
            var template = ContainerCommands.InspectTemplate(parse.GetValue(format));
            var client = await context.ConnectAsync(parse);
            var found = new List<string>();
            var errors = new List<string>();
            foreach (string name in volumes)
            {
                try { found.Add(await client.GetStringAsync(ApiPaths.Volume(name))); }
                catch (ApiException e) { errors.Add("Error response from daemon: " + e.Message); }
            }
            Stdio.Out.Write(ContainerCommands.FormatInspected(found, template));
            foreach (string e in errors) Stdio.Err.WriteLine(e);
            return errors.Count == 0 ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }

    // ───────────── rm ─────────────

    static Command Rm(CliContext context)
    {
        var command = new CliCommand("rm", "Remove one or more volumes", "[OPTIONS] VOLUME [VOLUME...]", Group);
        command.Aliases.Add("remove");
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of one or more volumes" };
        var names = Volumes();
        command.Options.Add(force);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] volumes = parse.GetValue(names) ?? [];
            if (volumes.Length == 0) throw command.RequiresAtLeast(1);
            string query = parse.GetValue(force) ? "?force=1" : "";
            var client = await context.ConnectAsync(parse);
            return await Targets.ForEachAsync(volumes, name => client.DeleteAsync(ApiPaths.Volume(name) + query));
        });
        return command;
    }

    // ───────────── prune ─────────────

    internal const string PruneWarning = "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?";
    internal const string PruneAllWarning = "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?";

    static Command Prune(CliContext context)
    {
        var command = new CliCommand("prune", "Remove unused local volumes", "[OPTIONS]", Group);
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused volumes, not just anonymous ones" };
        var filter = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"label=<label>\")" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        foreach (var o in new Option[] { all, filter, force }) command.Options.Add(o);
        command.SetAction(async (parse, cancellation) =>
        {
            var specs = (parse.GetValue(filter) ?? []).ToList();
            bool pruneAll = parse.GetValue(all);
            if (pruneAll) specs.Add("all=true");
            string query = ContainerCommands.FiltersQuery(specs, filter);
            // docker asks before connecting, and a "no" ends the command quietly with status 0.
            if (!parse.GetValue(force) && !Confirm(pruneAll ? PruneAllWarning : PruneWarning)) return ExitCodes.Ok;
            var client = await context.ConnectAsync(parse);
            var report = await client.PostJsonAsync("/volumes/prune" + query);
            Stdio.Out.Write(PruneReports.Alone(PruneReports.Volumes(report)));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>docker's confirmation prompt: "… [y/N] " on stdout, then a line from stdin; only "y" or "Y" says yes.</summary>
    internal static bool Confirm(string message)
    {
        Stdio.Out.Write(message + " [y/N] ");
        Stdio.Out.Flush();
        return Stdio.In.ReadLine()?.Trim() is "y" or "Y";   // an ended stdin is a no
    }
}
