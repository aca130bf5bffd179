using System.CommandLine;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// `stats [-a] [--no-stream] [--format F] [CONTAINER...]`: docker's live table of CPU, memory, network, block I/O and
/// pids, redrawn every second from one GET /containers/{id}/stats stream per container; --no-stream prints it once
/// (stream=false, whose two readings a second apart make the CPU % meaningful).
/// </summary>
internal static class StatsCommand
{
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("stats", "Display a live stream of container(s) resource usage statistics", "[OPTIONS] [CONTAINER...]");
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var noStream = new Option<bool>("--no-stream") { Description = "Disable streaming stats and only pull the first result" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate output" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" };
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { all, format, noStream, noTrunc }) command.Options.Add(o);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            var client = await context.ConnectAsync(parse);
            string[] given = parse.GetValue(names) ?? [];
            string[] containers = given.Length > 0 ? given : await ListAsync(client, parse.GetValue(all), cancellation);
            string template = parse.GetValue(format) is { Length: > 0 } f && f != "table" ? f : StatsRows.DefaultFormat;
            bool truncate = !parse.GetValue(noTrunc);
            string Render(IEnumerable<(string Name, JsonObject? Sample)> samples) =>
                ListFormat.Render(template, samples.Select(x => StatsRows.Row(x.Name, x.Sample, truncate)), StatsRows.Headers);

            if (parse.GetValue(noStream))
            {
                var samples = await Task.WhenAll(containers.Select(async name =>
                {
                    try { return (name, await client.GetJsonAsync($"{ApiPaths.Container(name)}/stats?stream=false", cancellation) as JsonObject, (string?)null); }
                    catch (ApiException e) { return (name, null, e.Message); }
                }));
                foreach (var (_, _, error) in samples.Where(x => x.Item3 is not null)) Stdio.Err.WriteLine("Error response from daemon: " + error);
                if (samples.Any(x => x.Item3 is not null)) return ExitCodes.Error;
                Stdio.Out.Write(Render(samples.Select(x => (x.name, x.Item2))));
                return ExitCodes.Ok;
            }
            return await StreamAsync(client, containers, Render, cancellation);
        });
        return command;
    }

    /// <summary>The containers `stats` shows without names: the running ones, or all with -a (as `ps` lists them).</summary>
    static async Task<string[]> ListAsync(DockerClient client, bool all, CancellationToken ct) =>
        (await client.GetJsonAsync("/containers/json" + (all ? "?all=1" : ""), ct) as JsonArray ?? [])
            .Select(c => ((string?)c?["Id"] ?? "")[..Math.Min(12, ((string?)c?["Id"] ?? "").Length)]).Where(id => id.Length > 0).ToArray();

    /// <summary>One stream per container feeds the latest sample; the table is redrawn each second until Ctrl-C.</summary>
    static async Task<int> StreamAsync(DockerClient client, string[] containers, Func<IEnumerable<(string, JsonObject?)>, string> render, CancellationToken ct)
    {
        var latest = new JsonObject?[containers.Length];
        var errors = new string?[containers.Length];
        var readers = containers.Select((name, i) => Task.Run(async () =>
        {
            try
            {
                using var response = await client.SendAsync(HttpMethod.Get, $"{ApiPaths.Container(name)}/stats?stream=true", ct: ct);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                while (await reader.ReadLineAsync(ct) is { } line)
                    if (line.Length > 0) latest[i] = JsonNode.Parse(line) as JsonObject;
            }
            catch (ApiException e) { errors[i] = e.Message; }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
        }, ct)).ToArray();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                if (errors.FirstOrDefault(e => e is not null) is { } error)
                {
                    Stdio.Err.WriteLine("Error response from daemon: " + error);
                    return ExitCodes.Error;
                }
                // Clear the screen and go home, as docker does between two tables.
                Stdio.Out.Write("\u001b[2J\u001b[H" + render(containers.Select((name, i) => (name, latest[i]))));
                Stdio.Out.Flush();
                if (containers.Length > 0 && readers.All(r => r.IsCompleted)) return ExitCodes.Ok;
            }
        }
        catch (OperationCanceledException) { }
        return ExitCodes.Ok;
    }
}
