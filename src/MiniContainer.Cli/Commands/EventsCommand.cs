using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Flags;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// `events [--since T] [--until T] [--filter k=v …] [--format F]`: the daemon's events as they happen (with --since,
/// the kept past ones first), one line each, in docker's words: "2026-12-06T01:02:03.123456789Z container start ID
/// (image=busybox, name=web)". With --until the stream ends at that time; without it, at Ctrl+C.
/// </summary>
internal static class EventsCommand
{
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("events", "Get real time events from the server", "[OPTIONS]");
        var since = new Option<string?>("--since") { Description = "Show all events created since timestamp" };
        var until = new Option<string?>("--until") { Description = "Stream events until this timestamp" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Filter output based on conditions provided", AllowMultipleArgumentsPerToken = false };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'json' or a Go template" };
        foreach (var o in new Option[] { filter, format, since, until }) command.Options.Add(o);
        command.SetAction(async (parse, cancellation) =>
        {
            var query = new List<string>();
            var now = DateTimeOffset.UtcNow;
            if (parse.GetValue(since) is { Length: > 0 } s) query.Add("since=" + ApiPaths.Query(TimeArgument.ToUnix(s, now, since)));
            if (parse.GetValue(until) is { Length: > 0 } u) query.Add("until=" + ApiPaths.Query(TimeArgument.ToUnix(u, now, until)));
            if (ContainerCommands.BuildFilters(parse.GetValue(filter) ?? [], filter) is { } f) query.Add("filters=" + ApiPaths.Query(f));
            string? template = parse.GetValue(format);
            GoTemplate? parsed = template is null or "json" ? null : GoTemplate.Parse(template.Replace("\\t", "\t").Replace("\\n", "\n"));

            var client = await context.ConnectAsync(parse);
            using var response = await client.SendAsync(HttpMethod.Get, "/events" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct: cancellation);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation));
            try
            {
                while (await reader.ReadLineAsync(cancellation) is { } line)
                {
                    if (line.Length == 0 || JsonNode.Parse(line) is not JsonObject e) continue;
                    Stdio.Out.WriteLine(template == "json" ? line : parsed is not null ? parsed.Execute(TemplateData(e)) : Line(e));
                    Stdio.Out.Flush();
                }
            }
            catch (OperationCanceledException) { }   // Ctrl+C
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>docker's line: local time with nanoseconds, type, action, actor ID, then the attributes sorted by key.</summary>
    internal static string Line(JsonObject e)
    {
        long nanos = (long?)e["timeNano"] ?? ((long?)e["time"] ?? 0) * 1_000_000_000;
        var time = DateTimeOffset.UnixEpoch.AddTicks(nanos / 100).ToLocalTime();
        string offset = time.Offset == TimeSpan.Zero ? "Z" : time.ToString("zzz", CultureInfo.InvariantCulture);
        string stamp = time.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture) + "." + (nanos % 1_000_000_000).ToString("000000000", CultureInfo.InvariantCulture) + offset;
        var actor = e["Actor"] as JsonObject;
        string text = $"{stamp} {(string?)e["Type"]} {(string?)e["Action"]} {(string?)actor?["ID"]}";
        if (actor?["Attributes"] is JsonObject { Count: > 0 } attributes)
            text += " (" + string.Join(", ", attributes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={(string?)kv.Value}")) + ")";
        return text;
    }

    /// <summary>The event as docker's templates see it: Go's field names (Status, ID, From, Scope, Time, TimeNano).</summary>
    static JsonObject TemplateData(JsonObject e)
    {
        var data = (JsonObject)e.DeepClone();
        foreach (var (json, go) in new[] { ("status", "Status"), ("id", "ID"), ("from", "From"), ("scope", "Scope"), ("time", "Time"), ("timeNano", "TimeNano") })
            data[go] = data[json]?.DeepClone() ?? "";
        return data;
    }
}
