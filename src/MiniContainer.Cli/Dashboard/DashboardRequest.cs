using System.Text;

namespace MiniContainer.Cli.Dashboard;

/// <summary>
/// The head of one HTTP/1.1 request to the dashboard: its method, target ("/api/containers") and headers. The
/// dashboard reads nothing else: it answers only GETs, and a body is never read.
/// </summary>
internal sealed record DashboardRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>Longer heads are refused: the page's own requests are a few hundred bytes.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>The path before any "?".</summary>
    public string Path => Target.IndexOf('?') is var q and >= 0 ? Target[..q] : Target;

    public string Query => Target.IndexOf('?') is var q and >= 0 ? Target[(q + 1)..] : "";

    /// <summary>Reads a request head (up to the blank line) from <paramref name="stream"/>; null when the peer closed
    /// before sending one. Throws <see cref="FormatException"/> for a head that is not HTTP/1.x, too long, or has a
    /// header twice (two Host headers must not let a request pick the one that passes the check).</summary>
    public static async Task<DashboardRequest?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var head = new MemoryStream();
        var buffer = new byte[4096];
        int end;
        // Whatever follows the blank line (a body no GET should have) is read along and ignored.
        while ((end = head.GetBuffer().AsSpan(0, (int)head.Length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (head.Length > MaxHeadBytes) throw new FormatException("request head too long");
            int n = await stream.ReadAsync(buffer, ct);
            if (n == 0) return head.Length == 0 ? null : throw new FormatException("the request ended inside its head");
            head.Write(buffer, 0, n);
        }
        if (end + 4 > MaxHeadBytes) throw new FormatException("request head too long");
        return Parse(Encoding.Latin1.GetString(head.GetBuffer(), 0, end + 2));
    }

    public static DashboardRequest Parse(string head)
    {
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || !parts[1].StartsWith('/'))
            throw new FormatException("not an HTTP/1.x request line");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1).TakeWhile(l => l.Length > 0))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) throw new FormatException("malformed header line");
            if (!headers.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim())) throw new FormatException($"header {line[..colon].Trim()} given twice");
        }
        return new DashboardRequest(parts[0], parts[1], headers);
    }
}
