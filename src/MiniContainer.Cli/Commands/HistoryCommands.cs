using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>`history` (GET /images/{name}/history) and the `image` group's `history` and `prune` (POST /images/prune).</summary>
internal static class HistoryCommands
{
    public static IEnumerable<Command> Create(CliContext context) =>
        [History(context, null), CommandGroups.NewGroup("image", "Manage images", History(context, "image"), Prune(context))];

    static Command History(CliContext context, string? group)
    {
        var command = new CliCommand("history", "Show the history of an image", "[OPTIONS] IMAGE", group);
        var human = new Option<bool>("--human", "-H") { Description = "Print sizes and dates in human readable format", DefaultValueFactory = _ => true };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var name = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { human, noTrunc, quiet }) command.Options.Add(o);
        command.Arguments.Add(name);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] names = parse.GetValue(name) ?? [];
            if (names.Length != 1) throw command.RequiresExactly(1);
            var client = await context.ConnectAsync(parse);
            var rows = await client.GetJsonAsync(ApiPaths.Image(names[0]) + "/history") as JsonArray ?? [];
            bool truncate = !parse.GetValue(noTrunc), humanReadable = parse.GetValue(human);
            var now = DateTimeOffset.UtcNow;
            if (parse.GetValue(quiet))
            {
                foreach (var row in rows.OfType<JsonObject>())
                {
                    string id = row["Id"]?.GetValue<string>() ?? "";
                    Stdio.Out.WriteLine(truncate && id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..19] : id);
                }
                return ExitCodes.Ok;
            }
            var table = new TableWriter();
            table.AddRow("IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
            foreach (var row in rows.OfType<JsonObject>())
                table.AddRow(HistoryRow(row, truncate, humanReadable, now));
            Stdio.Out.Write(table.Render());
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One line of docker's history table: CREATED BY cut to 45 characters with "…", tabs and newlines shown as spaces.</summary>
    internal static string[] HistoryRow(JsonObject row, bool truncate, bool human, DateTimeOffset now)
    {
        string id = row["Id"]?.GetValue<string>() ?? "";
        if (truncate && id.StartsWith("sha256:", StringComparison.Ordinal)) id = id[7..19];
        long created = row["Created"]?.GetValue<long>() ?? 0;
        string createdBy = (row["CreatedBy"]?.GetValue<string>() ?? "").Replace('\t', ' ').Replace('\n', ' ');
        if (truncate && createdBy.Length > 45) createdBy = createdBy[..44] + "…";
        long size = row["Size"]?.GetValue<long>() ?? 0;
        return
        [
            id,
            human ? HumanUnits.Ago(created, now) : DateTimeOffset.FromUnixTimeSeconds(created).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            createdBy,
            human ? HumanUnits.Size(size) : size.ToString(CultureInfo.InvariantCulture),
            row["Comment"]?.GetValue<string>() ?? "",
        ];
    }

    internal const string PruneWarning = "WARNING! This will remove all dangling images.\nAre you sure you want to continue?";
    internal const string PruneAllWarning = "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?";

    /// <summary>POST /images/prune's filters: dangling=true, or dangling=false for -a (every image no container uses).</summary>
    internal static string ImagePruneFilters(bool all) =>
        ApiPaths.Query(new JsonObject { ["dangling"] = new JsonArray(all ? "false" : "true") }.ToJsonString());

    static Command Prune(CliContext context)
    {
        var command = new CliCommand("prune", "Remove unused images", "[OPTIONS]", "image");
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images, not just dangling ones" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        command.Options.Add(all);
        command.Options.Add(force);
        command.SetAction(async (parse, cancellation) =>
        {
            bool everything = parse.GetValue(all);
            if (!parse.GetValue(force) && !VolumeCommands.Confirm(everything ? PruneAllWarning : PruneWarning)) return ExitCodes.Ok;
            var client = await context.ConnectAsync(parse);
            var result = await client.PostJsonAsync("/images/prune?filters=" + ImagePruneFilters(everything));
            Stdio.Out.Write(PruneReports.Alone(PruneReports.Images(result)));
            return ExitCodes.Ok;
        });
        return command;
    }
}
