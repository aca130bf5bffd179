using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Progress;

namespace MiniContainer.Cli.Output;

/// <summary>
/// Draws Docker's JSON progress messages (pull, push, load, import) the way the docker CLI does.
/// On a terminal every layer id owns one line: a new id gets a new line, and an update to an id moves the cursor up
/// to its line, clears it, redraws "id: status [=====>   ] 1.2MB/3.4MB" and moves back down. A message without
/// progress ends that block. Not on a terminal, updates that carry a byte count are skipped and the rest are plain
/// "id: status" lines, so logs stay readable.
/// </summary>
internal sealed class ProgressRenderer(TextWriter output, bool isTerminal, int width = 200)
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    /// <summary>Renders one message; throws ProgressErrorException for an {"error": …} message.</summary>
    public void Render(JsonObject m)
    {
        string? error = (m["errorDetail"] as JsonObject)?["message"] is JsonValue ev && ev.GetValueKind() == JsonValueKind.String ? ev.GetValue<string>() : Str(m, "error");
        if (!string.IsNullOrEmpty(error)) throw new ProgressErrorException(error);
        if (m["aux"] is not null && Str(m, "status") is null) return;   // machine-readable results (pushed digest, loaded ID)

        string? id = Str(m, "id");
        var detail = m["progressDetail"] as JsonObject;
        bool hasProgress = detail is not null;
        int diff = 0;
        if (!string.IsNullOrEmpty(id) && hasProgress)
        {
            if (!_lines.TryGetValue(id, out int line))
            {
                line = _lines.Count;
                _lines[id] = line;
                if (isTerminal) output.Write('\n');
            }
            diff = _lines.Count - line;
            if (isTerminal) output.Write($"\x1b[{diff}A");
        }
        else _lines.Clear();

        Display(m, id, detail);
        if (!string.IsNullOrEmpty(id) && isTerminal && diff > 0) output.Write($"\x1b[{diff}B");
        output.Flush();
    }

    private void Display(JsonObject m, string? id, JsonObject? detail)
    {
        long current = Long(detail, "current"), total = Long(detail, "total");
        string bar = current > 0 || total > 0 ? ProgressBar.Render(current, total, width) : "";
        string endl = "";
        string? stream = Str(m, "stream");
        if (isTerminal && stream is null && detail is not null)
        {
            output.Write("\x1b[2K\r");
            endl = "\r";
        }
        else if (detail is not null && bar.Length > 0) return;   // no progress bars off a terminal

        if (!string.IsNullOrEmpty(id)) output.Write(id + ": ");
        string status = Str(m, "status") ?? "";
        if (detail is not null && isTerminal) output.Write($"{status} {bar}{endl}");
        else if (stream is not null) output.Write(stream + endl);
        else output.Write(status + endl + "\n");
    }

    private static long Long(JsonObject? o, string key) =>
        o?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long n) ? n : 0;

    private static string? Str(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}

/// <summary>An error reported inside a progress stream (the HTTP status was already 200).</summary>
internal sealed class ProgressErrorException(string message) : Exception(message);
