using MiniContainer.Api;
using MiniContainer.Runtime;

namespace MiniContainer.Containers;

/// <summary>GET /containers/{id}/logs: replays the json-file log (tail, since/until, timestamps), then follows it while the container runs.</summary>
public static class LogReader
{
    public sealed record Options(bool Stdout, bool Stderr, bool Follow, int? Tail, bool Timestamps, DateTimeOffset? Since, DateTimeOffset? Until);

    public static async Task WriteAsync(Container c, Options o, Stream output, CancellationToken ct)
    {
        bool tty = c.Record.Config.Tty;
        using var file = new FileStream(c.Record.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(file);

        var first = new List<JsonFileLog.Entry>();
        string? line;
        while ((line = await reader.ReadLineAsync(ct)) != null)
            if (JsonFileLog.Decode(line) is { } e && Wanted(e, o)) first.Add(e);
        if (o.Tail is int tail && tail >= 0 && first.Count > tail) first = first.GetRange(first.Count - tail, tail);
        foreach (var e in first) await WriteEntryAsync(e, o, tty, output, ct);
        if (!o.Follow) return;

        // Follow: keep reading what the shim appends until the container stops, then drain the rest.
        var pending = "";
        while (!ct.IsCancellationRequested)
        {
            bool running = c.Record.State.Running;
            string? more;
            while ((more = await reader.ReadLineAsync(ct)) != null)
            {
                // The shim writes whole records; a read that raced its write returns a record's first part.
                if (!more.EndsWith('}')) { pending += more; continue; }
                string full = pending + more;
                pending = "";
                if (JsonFileLog.Decode(full) is { } e && Wanted(e, o)) await WriteEntryAsync(e, o, tty, output, ct);
            }
            if (!running || c.Removed) return;
            await Task.WhenAny(c.NextExit, Task.Delay(50, ct));
        }
    }

    private static bool Wanted(JsonFileLog.Entry e, Options o) =>
        (e.Stream == "stderr" ? o.Stderr : o.Stdout) &&
        (o.Since is null || e.Time >= o.Since) && (o.Until is null || e.Time <= o.Until);

    private static async Task WriteEntryAsync(JsonFileLog.Entry e, Options o, bool tty, Stream output, CancellationToken ct)
    {
        string text = o.Timestamps ? e.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff00Z") + " " + e.Log : e.Log;
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        await output.WriteAsync(tty ? bytes : StreamRelay.DockerFrame(e.Stream == "stderr" ? (byte)2 : (byte)1, bytes), ct);
    }

    /// <summary>Docker's since/until: unix seconds (with optional fraction) or RFC 3339.</summary>
    public static DateTimeOffset? ParseTime(string? s)
    {
        if (string.IsNullOrEmpty(s) || s == "0") return null;
        // "seconds.nanoseconds", as the docker CLI sends it: parsed as two integers, so no precision is lost.
        var m = System.Text.RegularExpressions.Regex.Match(s, @"^(\d+)(?:\.(\d{1,9}))?$");
        if (m.Success)
        {
            long nanos = m.Groups[2].Success ? long.Parse(m.Groups[2].Value.PadRight(9, '0')) : 0;
            return DateTimeOffset.UnixEpoch.AddSeconds(long.Parse(m.Groups[1].Value)).AddTicks(nanos / 100);
        }
        return DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : null;
    }
}
