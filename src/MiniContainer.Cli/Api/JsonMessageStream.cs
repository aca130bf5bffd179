using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Api;

/// <summary>
/// The progress stream that import, load (and later pull/push) answer with: JSON objects one after another,
/// each {"status": …, "id": …, "progress": …} or {"stream": "text"} or {"errorDetail": {…}, "error": "…"}.
/// Printed as docker does when the output is not a terminal.
/// </summary>
internal static class JsonMessageStream
{
    /// <summary>Splits concatenated JSON values (newline-separated or not) out of a stream.</summary>
    public static async IAsyncEnumerable<JsonNode> ReadAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var pending = new StringBuilder();
        int depth = 0;
        bool inString = false, escaped = false;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        char[] buffer = new char[8192];
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory(), ct)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                char c = buffer[i];
                if (depth == 0 && char.IsWhiteSpace(c)) continue;
                pending.Append(c);
                if (inString)
                {
                    if (escaped) escaped = false;
                    else if (c == '\\') escaped = true;
                    else if (c == '"') inString = false;
                    continue;
                }
                if (c == '"') inString = true;
                else if (c is '{' or '[') depth++;
                else if (c is '}' or ']')
                {
                    if (--depth == 0)
                    {
                        var node = JsonNode.Parse(pending.ToString());
                        pending.Clear();
                        if (node is not null) yield return node;
                    }
                }
            }
        }
        if (pending.ToString().Trim() is { Length: > 0 } rest)
            throw new IOException("unexpected end of the daemon's progress stream: " + rest);
    }

    /// <summary>Prints each message as docker does (progress bars redrawn in place on a terminal, plain lines otherwise);
    /// an error message ends the stream with a JsonMessageException.</summary>
    public static async Task DisplayAsync(Stream stream, TextWriter output, bool isTerminal = false, CancellationToken ct = default)
    {
        var renderer = new Output.ProgressRenderer(output, isTerminal, TerminalWidth(isTerminal));
        await foreach (var node in ReadAsync(stream, ct))
        {
            if (node is not JsonObject m) continue;
            try { renderer.Render(m); }
            catch (Output.ProgressErrorException e) { throw new JsonMessageException(e.Message); }
        }
    }

    static int TerminalWidth(bool isTerminal) =>
        isTerminal && Terminal.TerminalNative.GetWindowSize(1) is { Cols: > 0 } size ? size.Cols : 200;

    static string? Str(JsonObject o, string key)
        => o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}

/// <summary>An error reported inside a progress stream (the HTTP status was already 200).</summary>
internal sealed class JsonMessageException(string message) : Exception(message);
