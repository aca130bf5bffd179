using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Terminal;
using MiniContainer.Explaining;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// `--explain` on run, create, start, exec, rm, network create/connect/disconnect, volume create, build and
/// compose up, and `minicontainer explain CONTAINER`: the kernel steps a verb
/// took, recorded by the daemon, the shim and the init stage as they made the calls (MiniContainer's own API
/// extension, see docs/explain.md), printed on stderr grouped by phase — or as JSON lines with --explain=json.
/// </summary>
internal static class ExplainCommand
{
    public enum Mode { Text, Json }

    /// <summary>--explain (text) or --explain=json. Its value only ever comes after "=", so `run --explain busybox`
    /// keeps busybox as the image.</summary>
    public static OptionalValueOption Option() => new("--explain", "text")
    {
        Description = "Print each kernel step as it happens (MiniContainer only): --explain, or --explain=json for JSON lines",
    };

    /// <summary>The mode asked for, or null without --explain; an unknown value is a usage error.</summary>
    public static Mode? Get(ParseResult parse, OptionalValueOption option)
    {
        if (parse.GetResult(option) is null) return null;
        return parse.GetValue(option) switch
        {
            null or "" or "text" => Mode.Text,
            "json" => Mode.Json,
            var other => throw new UsageException($"invalid argument \"{other}\" for \"--explain\" flag: use --explain or --explain=json"),
        };
    }

    /// <summary>The containers whose ID=/C= variables this command has printed (run prints create's steps, then start's).</summary>
    private static readonly HashSet<string> Defined = new(StringComparer.Ordinal);

    /// <summary>Prints steps on stderr in the chosen mode.</summary>
    public static void Print(IReadOnlyList<ExplainStep> steps, Mode mode, bool showActions = false)
    {
        Stdio.Err.Write(mode == Mode.Json ? ExplainFormatter.JsonLines(steps) : ExplainFormatter.Text(steps, showActions, Defined));
        Stdio.Err.Flush();
    }

    /// <summary>Parses the JSON lines of an explain answer.</summary>
    public static List<ExplainStep> Parse(string text) =>
        text.Split('\n').Select(ExplainLog.Parse).OfType<ExplainStep>().ToList();

    /// <summary>A call whose answer is JSON lines (or nothing): the body as text.</summary>
    public static async Task<string> SendForTextAsync(DockerClient client, HttpMethod method, string path, JsonNode? body = null)
    {
        using var response = await client.SendAsync(method, path, body is null ? null : DockerClient.JsonContent(body));
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>"?explain=1" (or "&amp;explain=1" after a query) when asked, else nothing: the path of a call is
    /// exactly dockerd's without --explain.</summary>
    public static string Query(Mode? mode, string path) => mode is null ? path : path + (path.Contains('?') ? "&" : "?") + "explain=1";

    /// <summary>
    /// A create (network, volume, container) or a call answering nothing (network connect/disconnect): sent with
    /// ?explain=1 when asked, its steps printed — from the answer's "Explain" array, or from its JSON lines.
    /// Returns the answer without them, as dockerd would have given it.
    /// </summary>
    public static async Task<JsonNode?> PostAsync(DockerClient client, string path, JsonNode? body, Mode? mode)
    {
        if (mode is null) return await client.PostJsonAsync(path, body);
        string text = await SendForTextAsync(client, HttpMethod.Post, Query(mode, path), body);
        JsonNode? whole = null;
        try { whole = JsonNode.Parse(text); }
        catch (JsonException) { }   // several JSON lines, or none
        if (whole is JsonObject answer && TakeSteps(answer) is { } steps)
        {
            Print(steps, mode.Value);
            return answer;
        }
        Print(Parse(text), mode.Value);
        return null;
    }

    /// <summary>A create's answer asked with ?explain=1: its "Explain" array, taken out (null when there is none), so
    /// what is left is dockerd's answer.</summary>
    public static List<ExplainStep>? TakeSteps(JsonObject answer)
    {
        if (answer["Explain"] is not JsonArray array) return null;
        answer.Remove("Explain");
        return array.Select(n => n?.Deserialize(ExplainJson.Default.ExplainStep)).OfType<ExplainStep>().ToList();
    }

    /// <summary>POST /containers/create's answer: with --explain, create's steps printed (from the answer, or from
    /// the container's log when the daemon did not put them there).</summary>
    public static async Task PrintCreateAsync(DockerClient client, JsonNode? answer, string id, Mode? mode)
    {
        if (mode is not { } m) return;
        var steps = answer is JsonObject o ? TakeSteps(o) : null;
        Print(steps ?? await LogAsync(client, id), m);
    }

    /// <summary>GET /containers/{id}/explain: everything recorded for the container so far.</summary>
    public static async Task<List<ExplainStep>> LogAsync(DockerClient client, string container) =>
        Parse(await SendForTextAsync(client, HttpMethod.Get, $"{ApiPaths.Container(container)}/explain"));

    /// <summary>POST /containers/{id}/start, with ?explain=1 and the steps printed when asked.</summary>
    public static async Task StartAsync(DockerClient client, string id, Mode? mode)
    {
        if (mode is null) { await client.PostJsonAsync($"{ApiPaths.Container(id)}/start"); return; }
        Print(Parse(await SendForTextAsync(client, HttpMethod.Post, $"{ApiPaths.Container(id)}/start?explain=1")), mode.Value);
    }

    /// <summary>`minicontainer explain [--json] CONTAINER`: replays what was recorded for the container.</summary>
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("explain", "Show the kernel steps recorded for a container (MiniContainer only)", "[OPTIONS] CONTAINER");
        var json = new Option<bool>("--json") { Description = "Print the steps as JSON lines" };
        var container = new Argument<string?>("CONTAINER") { Arity = ArgumentArity.ZeroOrOne };
        command.Options.Add(json);
        command.Arguments.Add(container);
        command.SetAction(async (parse, cancellation) =>
        {
            string name = parse.GetValue(container) is { Length: > 0 } n ? n : throw command.RequiresAtLeast(1);
            var client = await context.ConnectAsync(parse);
            var steps = await LogAsync(client, name);
            if (steps.Count == 0)
            {
                Stdio.Err.WriteLine($"nothing recorded for {name}: create it with --explain, or run the daemon with --explain-all");
                return ExitCodes.Error;
            }
            var mode = parse.GetValue(json) ? Mode.Json : Mode.Text;
            if (mode == Mode.Json) Stdio.Out.Write(ExplainFormatter.JsonLines(steps));
            else Stdio.Out.Write(ExplainFormatter.Text(steps, showActions: true));
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>A flag whose value is optional and only given as --flag=value (docker's style for such flags); alone it
/// means <see cref="ImplicitValue"/>. ArgumentPreparer never lets it take the next word.</summary>
internal sealed class OptionalValueOption(string name, string implicitValue) : Option<string?>(name)
{
    public string ImplicitValue { get; } = implicitValue;
}
