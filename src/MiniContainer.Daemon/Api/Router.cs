namespace MiniContainer.Api;

/// <summary>Maps "METHOD /path/{param}" to handlers.</summary>
public sealed class Router
{
    private readonly List<(string Method, string[] Segments, Func<HttpContext, Task> Handler)> _routes = new();

    public void Map(string method, string pattern, Func<HttpContext, Task> handler) =>
        _routes.Add((method, pattern.Trim('/').Split('/'), handler));

    public async Task DispatchAsync(HttpContext ctx)
    {
        string[] path = ctx.Path.Trim('/').Split('/');
        bool pathMatched = false;
        foreach (var (method, segments, handler) in _routes)
        {
            var values = Match(segments, path);
            if (values == null) continue;
            pathMatched = true;
            if (method != ctx.Method && !(method == "GET" && ctx.Method == "HEAD")) continue;
            ctx.Route = values;
            if (!Log.Debug) { await handler(ctx); return; }
            // --debug: one line per request when it ends, with its status and how long the daemon took
            // (scripts/bench.sh's breakdown reads them: the log's time stamp minus the duration is when it began).
            long began = System.Diagnostics.Stopwatch.GetTimestamp();
            try { await handler(ctx); }
            finally
            {
                double ms = System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalMilliseconds;
                Log.Trace($"{ctx.Method} {ctx.Path} → {ctx.Status?.ToString() ?? "error"} in {ms.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} ms");
            }
            return;
        }
        if (pathMatched) throw new ApiException(405, $"method {ctx.Method} not allowed on {ctx.Path}");
        throw new NotFoundException($"page not found: {ctx.Method} {ctx.Path} is not part of the API this daemon speaks");
    }

    private static Dictionary<string, string>? Match(string[] pattern, string[] path)
    {
        // A trailing {name*} swallows the rest (image names contain slashes: /images/library/busybox/json).
        var values = new Dictionary<string, string>();
        int pi = 0, i = 0;
        for (; pi < pattern.Length; pi++, i++)
        {
            string seg = pattern[pi];
            if (seg.StartsWith('{') && seg.EndsWith("*}"))
            {
                int tail = pattern.Length - pi - 1;
                int take = path.Length - i - tail;
                if (take < 1) return null;
                values[seg[1..^2]] = string.Join('/', path.Skip(i).Take(take));
                i += take - 1;
                continue;
            }
            if (i >= path.Length) return null;
            if (seg.StartsWith('{')) values[seg[1..^1]] = path[i];
            else if (seg != path[i]) return null;
        }
        return i == path.Length ? values : null;
    }
}
