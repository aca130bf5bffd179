using System.Text;
using System.Text.Json;

namespace MiniContainer.Runtime;

/// <summary>
/// Docker's json-file log format: one JSON object per line,
/// {"log":"hello\n","stream":"stdout","time":"2026-11-23T12:00:00.123456789Z"}.
/// A line written without a trailing newline is logged as is (Docker does the same for partial lines).
/// </summary>
public static class JsonFileLog
{
    public static byte[] Encode(string stream, ReadOnlySpan<byte> chunk, DateTimeOffset time)
    {
        var buffer = new MemoryStream(chunk.Length + 80);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("log", Encoding.UTF8.GetString(chunk));
            w.WriteString("stream", stream);
            w.WriteString("time", time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff00Z"));
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    public readonly record struct Entry(string Stream, string Log, DateTimeOffset Time);

    public static Entry? Decode(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            return new Entry(root.GetProperty("stream").GetString() ?? "stdout",
                             root.GetProperty("log").GetString() ?? "",
                             DateTimeOffset.Parse(root.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (JsonException) { return null; }
    }

    /// <summary>Splits output into log records at newlines (keeping them); a tail without newline is returned as leftover.</summary>
    public static int SplitLines(ReadOnlySpan<byte> data, List<(int Start, int Length)> lines)
    {
        int start = 0;
        for (int i = 0; i < data.Length; i++)
            if (data[i] == (byte)'\n') { lines.Add((start, i + 1 - start)); start = i + 1; }
        return start;
    }
}
