using System.CommandLine;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// `container prune` (POST /containers/prune) and `system prune`, which runs the prunes one after another as the
/// docker CLI does: stopped containers, unused networks, with --volumes anonymous volumes, dangling images (every
/// unused image with -a), build cache; then one total.
/// </summary>
internal static class PruneCommands
{
    public static IEnumerable<Command> Create(CliContext context) =>
    [
        CommandGroups.NewGroup("container", "Manage containers", ContainerPrune(context)),
        CommandGroups.NewGroup("system", "Manage MiniContainer", SystemPrune(context)),
    ];

    const string ContainerWarning = "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?";

    static Command ContainerPrune(CliContext context)
    {
        var command = new CliCommand("prune", "Remove all stopped containers", "[OPTIONS]", "container");
        var filter = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"until=<timestamp>\")" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        foreach (var o in new Option[] { filter, force }) command.Options.Add(o);
        command.SetAction(async (parse, cancellation) =>
        {
            string query = ContainerCommands.FiltersQuery(parse.GetValue(filter), filter);
            if (!parse.GetValue(force) && !VolumeCommands.Confirm(ContainerWarning)) return ExitCodes.Ok;
            var client = await context.ConnectAsync(parse);
            Stdio.Out.Write(PruneReports.Alone(PruneReports.Containers(await client.PostJsonAsync("/containers/prune" + query))));
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command SystemPrune(CliContext context)
    {
        var command = new CliCommand("prune", "Remove unused data", "[OPTIONS]", "system");
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images not just dangling ones" };
        var filter = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"label=<key>=<value>\")" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var volumes = new Option<bool>("--volumes") { Description = "Prune anonymous volumes" };
        foreach (var o in new Option[] { all, filter, force, volumes }) command.Options.Add(o);
        command.SetAction(async (parse, cancellation) =>
        {
            bool everything = parse.GetValue(all), withVolumes = parse.GetValue(volumes);
            string[] specs = parse.GetValue(filter) ?? [];
            string query = ContainerCommands.FiltersQuery(specs, filter);
            if (!parse.GetValue(force) && !VolumeCommands.Confirm(SystemWarning(everything, withVolumes, specs))) return ExitCodes.Ok;

            var client = await context.ConnectAsync(parse);
            var sections = new List<PruneReports.Section>
            {
                PruneReports.Containers(await client.PostJsonAsync("/containers/prune" + query)),
                PruneReports.Networks(await client.PostJsonAsync("/networks/prune" + query)),
            };
            if (withVolumes) sections.Add(PruneReports.Volumes(await client.PostJsonAsync("/volumes/prune" + query)));
            sections.Add(PruneReports.Images(await client.PostJsonAsync("/images/prune?filters=" + HistoryCommands.ImagePruneFilters(everything))));
            sections.Add(PruneReports.BuildCache(await client.PostJsonAsync("/build/prune" + (everything ? "?all=1" : ""))));
            foreach (var s in sections) Stdio.Out.Write(s.Text);
            Stdio.Out.Write(PruneReports.Total(sections.Sum(s => s.Reclaimed)));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The docker CLI's list of what `system prune` will remove, and the filters it will apply.</summary>
    internal static string SystemWarning(bool all, bool volumes, IReadOnlyList<string> filters)
    {
        var items = new List<string> { "all stopped containers", "all networks not used by at least one container" };
        if (volumes) items.Add("all anonymous volumes not used by at least one container");
        items.Add(all ? "all images without at least one container associated to them" : "all dangling images");
        items.Add(all ? "all build cache" : "unused build cache");
        string text = "WARNING! This will remove:\n" + string.Concat(items.Select(i => $"  - {i}\n"));
        if (filters.Count > 0) text += "\n  Items to be pruned will be filtered with:\n" + string.Concat(filters.Select(f => $"  - {f}\n"));
        return text + "\nAre you sure you want to continue?";
    }
}
