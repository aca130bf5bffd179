using System.CommandLine;
using System.CommandLine.Help;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>The network group: create, ls, inspect, rm, prune, connect, disconnect, over the Engine API's /networks.</summary>
internal static class NetworkCommands
{
    const string Group = "network";

    public static IEnumerable<Command> Create(CliContext context)
    {
        var network = new CliCommand(Group, "Manage networks", "COMMAND");
        foreach (var c in new[] { CreateNetwork(context), Ls(context), Inspect(context), Rm(context), Prune(context), Connect(context), Disconnect(context) })
            network.Subcommands.Add(c);
        network.SetAction(parse => new HelpAction().Invoke(parse));
        return [network];
    }

    static string Path(string idOrName) => "/networks/" + Uri.EscapeDataString(idOrName);

    // ───────────── create ─────────────

    static Command CreateNetwork(CliContext context)
    {
        var command = new CliCommand("create", "Create a network", "[OPTIONS] NETWORK", Group);
        var driver = new Option<string?>("--driver", "-d") { Description = "Driver to manage the Network (default \"bridge\")" };
        var subnet = new Option<string[]>("--subnet") { Description = "Subnet in CIDR format that represents a network segment" };
        var gateway = new Option<string[]>("--gateway") { Description = "IPv4 Gateway for the master subnet" };
        var ipRange = new Option<string[]>("--ip-range") { Description = "Allocate container ip from a sub-range" };
        var auxAddress = new Option<string[]>("--aux-address") { Description = "Auxiliary IPv4 addresses used by Network driver (NAME=IP)" };
        var isInternal = new Option<bool>("--internal") { Description = "Restrict external access to the network" };
        var attachable = new Option<bool>("--attachable") { Description = "Enable manual container attachment" };
        var label = new Option<string[]>("--label") { Description = "Set metadata on a network" };
        var opt = new Option<string[]>("--opt", "-o") { Description = "Set driver specific options" };
        var names = new Argument<string[]>("NETWORK") { Arity = ArgumentArity.ZeroOrMore };
        var explain = ExplainCommand.Option();
        foreach (var o in new Option[] { driver, subnet, gateway, ipRange, auxAddress, isInternal, attachable, label, opt, explain }) command.Options.Add(o);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] args = parse.GetValue(names) ?? [];
            if (args.Length != 1) throw command.RequiresExactly(1);
            var explained = ExplainCommand.Get(parse, explain);
            string[] subnets = parse.GetValue(subnet) ?? [], gateways = parse.GetValue(gateway) ?? [], ranges = parse.GetValue(ipRange) ?? [];
            if (gateways.Length > subnets.Length || ranges.Length > subnets.Length)
                throw new UsageException("every ip-range or gateway must have a corresponding subnet");
            var aux = ContainerFlags.KeyValues(parse.GetValue(auxAddress) ?? [], auxAddress);
            if (aux.Count > 0 && subnets.Length != 1) throw new UsageException("auxiliary addresses need exactly one subnet");
            var config = new JsonArray();
            for (int i = 0; i < subnets.Length; i++)
            {
                var c = new JsonObject { ["Subnet"] = subnets[i] };
                if (i < gateways.Length) c["Gateway"] = gateways[i];
                if (i < ranges.Length) c["IPRange"] = ranges[i];
                if (aux.Count > 0) c["AuxiliaryAddresses"] = aux.DeepClone();
                config.Add((JsonNode)c);
            }
            var body = new JsonObject
            {
                ["Name"] = args[0],
                ["Driver"] = parse.GetValue(driver) ?? "bridge",
                ["Internal"] = parse.GetValue(isInternal),
                ["Attachable"] = parse.GetValue(attachable),
                ["IPAM"] = new JsonObject { ["Driver"] = "default", ["Config"] = config },
                ["Options"] = VolumeCommands.DriverOpts(parse.GetValue(opt) ?? []),
                ["Labels"] = ContainerFlags.KeyValues(parse.GetValue(label) ?? [], label),
            };
            var client = await context.ConnectAsync(parse);
            var created = await ExplainCommand.PostAsync(client, "/networks/create", body, explained) as JsonObject;
            Stdio.Out.WriteLine(created is null ? "" : ContainerRows.Str(created, "Id"));
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── ls ─────────────

    static Command Ls(CliContext context)
    {
        var command = new CliCommand("ls", "List networks", "[OPTIONS]", Group);
        command.Aliases.Add("list");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display network IDs" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate the output" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Provide filter values (e.g. \"driver=bridge\", \"name=…\", \"label=…\", \"type=custom\")" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" };
        foreach (var o in new Option[] { filter, format, noTrunc, quiet }) command.Options.Add(o);
        command.SetAction(async (parse, cancellation) =>
        {
            string query = ContainerCommands.FiltersQuery(parse.GetValue(filter), filter);
            var client = await context.ConnectAsync(parse);
            var list = await client.GetJsonAsync("/networks" + query);
            string template = parse.GetValue(format) is { Length: > 0 } f && f != "table" ? f
                : parse.GetValue(quiet) ? NetworkRows.QuietFormat
                : NetworkRows.DefaultFormat;
            Stdio.Out.Write(ContainerCommands.RenderOrFail(template, NetworkRows.Rows(list, parse.GetValue(noTrunc)), NetworkRows.Headers));
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── inspect ─────────────

    static Command Inspect(CliContext context)
    {
        var command = new CliCommand("inspect", "Display detailed information on one or more networks", "[OPTIONS] NETWORK [NETWORK...]", Group);
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template: 'json' or a Go template" };
        var names = new Argument<string[]>("NETWORK") { Arity = ArgumentArity.ZeroOrMore };
        command.Options.Add(format);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] networks = parse.GetValue(names) ?? [];
            if (networks.Length == 0) throw command.RequiresAtLeast(1);
            var template = ContainerCommands.InspectTemplate(parse.GetValue(format));
            var client = await context.ConnectAsync(parse);
            var found = new List<string>();
            var errors = new List<string>();
            foreach (string name in networks)
            {
                try { found.Add(await client.GetStringAsync(Path(name))); }
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
        var command = new CliCommand("rm", "Remove one or more networks", "[OPTIONS] NETWORK [NETWORK...]", Group);
        command.Aliases.Add("remove");
        var force = new Option<bool>("--force", "-f") { Description = "Do not error if the network does not exist" };
        var names = new Argument<string[]>("NETWORK") { Arity = ArgumentArity.ZeroOrMore };
        command.Options.Add(force);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] networks = parse.GetValue(names) ?? [];
            if (networks.Length == 0) throw command.RequiresAtLeast(1);
            var client = await context.ConnectAsync(parse);
            bool quietMissing = parse.GetValue(force);
            return await Targets.ForEachAsync(networks, async name =>
            {
                try { await client.DeleteAsync(Path(name)); }
                catch (ApiException e) when (quietMissing && (int)e.Status == 404) { }
            });
        });
        return command;
    }

    // ───────────── prune ─────────────

    internal const string PruneWarning = "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?";

    static Command Prune(CliContext context)
    {
        var command = new CliCommand("prune", "Remove all unused networks", "[OPTIONS]", Group);
        var filter = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"until=<timestamp>\", \"label=<label>\")" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        foreach (var o in new Option[] { filter, force }) command.Options.Add(o);
        command.SetAction(async (parse, cancellation) =>
        {
            string query = ContainerCommands.FiltersQuery(parse.GetValue(filter), filter);
            if (!parse.GetValue(force) && !VolumeCommands.Confirm(PruneWarning)) return ExitCodes.Ok;
            var client = await context.ConnectAsync(parse);
            Stdio.Out.Write(PruneReports.Networks(await client.PostJsonAsync("/networks/prune" + query)).Text);
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── connect / disconnect ─────────────

    static Command Connect(CliContext context)
    {
        var command = new CliCommand("connect", "Connect a container to a network", "[OPTIONS] NETWORK CONTAINER", Group);
        var alias = new Option<string[]>("--alias") { Description = "Add network-scoped alias for the container" };
        var ip = new Option<string?>("--ip") { Description = "IPv4 address (e.g., \"172.30.100.104\")" };
        var link = new Option<string[]>("--link") { Description = "Add link to another container (NAME[:ALIAS])" };
        var linkLocal = new Option<string[]>("--link-local-ip") { Description = "Add a link-local address for the container" };
        var driverOpt = new Option<string[]>("--driver-opt") { Description = "driver options for the network (KEY=VALUE)" };
        var args = new Argument<string[]>("NETWORK CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        var explain = ExplainCommand.Option();
        foreach (var o in new Option[] { alias, ip, link, linkLocal, driverOpt, explain }) command.Options.Add(o);
        command.Arguments.Add(args);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] a = parse.GetValue(args) ?? [];
            if (a.Length != 2) throw command.RequiresExactly(2);
            var endpoint = new JsonObject();
            static JsonArray Strings(string[] values) => new([.. values.Select(x => (JsonNode?)JsonValue.Create(x))]);
            if (parse.GetValue(alias) is { Length: > 0 } aliases) endpoint["Aliases"] = Strings(aliases);
            if (parse.GetValue(link) is { Length: > 0 } links) endpoint["Links"] = Strings(links);
            if (parse.GetValue(driverOpt) is { Length: > 0 } opts) endpoint["DriverOpts"] = VolumeCommands.DriverOpts(opts);
            var ipam = new JsonObject();
            if (parse.GetValue(ip) is { Length: > 0 } address) ipam["IPv4Address"] = address;
            if (parse.GetValue(linkLocal) is { Length: > 0 } local) ipam["LinkLocalIPs"] = Strings(local);
            if (ipam.Count > 0) endpoint["IPAMConfig"] = ipam;
            var client = await context.ConnectAsync(parse);
            await ExplainCommand.PostAsync(client, Path(a[0]) + "/connect", new JsonObject { ["Container"] = a[1], ["EndpointConfig"] = endpoint },
                ExplainCommand.Get(parse, explain));
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Disconnect(CliContext context)
    {
        var command = new CliCommand("disconnect", "Disconnect a container from a network", "[OPTIONS] NETWORK CONTAINER", Group);
        var force = new Option<bool>("--force", "-f") { Description = "Force the container to disconnect from a network" };
        var args = new Argument<string[]>("NETWORK CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        var explain = ExplainCommand.Option();
        command.Options.Add(force);
        command.Options.Add(explain);
        command.Arguments.Add(args);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] a = parse.GetValue(args) ?? [];
            if (a.Length != 2) throw command.RequiresExactly(2);
            var client = await context.ConnectAsync(parse);
            await ExplainCommand.PostAsync(client, Path(a[0]) + "/disconnect", new JsonObject { ["Container"] = a[1], ["Force"] = parse.GetValue(force) },
                ExplainCommand.Get(parse, explain));
            return ExitCodes.Ok;
        });
        return command;
    }
}
