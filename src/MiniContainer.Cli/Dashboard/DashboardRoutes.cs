using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MiniContainer.Cli.Dashboard;

/// <summary>What the dashboard does with one request: one of the three cases below, decided before any I/O.</summary>
internal abstract record DashboardAction;

/// <summary>Answer with one of the page's embedded files.</summary>
internal sealed record ServeAsset(string Name, string ContentType) : DashboardAction;

/// <summary>GET this path from the daemon and relay the answer (Stream: an endless body, the events).</summary>
internal sealed record DaemonGet(string Path, bool Stream = false) : DashboardAction;

/// <summary>Refuse with this HTTP status and message.</summary>
internal sealed record Refusal(int Status, string Message) : DashboardAction;

/// <summary>
/// The dashboard's whole attack surface in one place. The daemon's API can start, stop and delete anything, and the
/// dashboard holds a connection to it, so a request reaches the daemon only when all of these hold:
/// <list type="number">
/// <item>its Host header names the listen address: a web page on another site that makes its name resolve to
/// 127.0.0.1 (DNS rebinding) still sends its own name as Host, and is refused;</item>
/// <item>it is a GET: nothing the dashboard relays can change anything;</item>
/// <item>it carries the token printed in the URL: on a shared machine every local user can reach 127.0.0.1, but only
/// the person who started the dashboard saw the token (the page sends it in a header, which a cross-site request
/// cannot add without a CORS preflight the dashboard never grants);</item>
/// <item>its path is one of the few below, with ids that are plain names: the daemon path is built here from a fixed
/// template, never copied from the request, and query strings are refused.</item>
/// </list>
/// </summary>
internal sealed partial class DashboardRoutes(ListenAddress listen, string token)
{
    public const string TokenHeader = "X-Dashboard-Token";

    /// <summary>The page's files: name in the URL → content type. Static and holding no data, so they need no token.</summary>
    static readonly Dictionary<string, (string Asset, string Type)> Assets = new()
    {
        ["/"] = ("index.html", "text/html; charset=utf-8"),
        ["/style.css"] = ("style.css", "text/css; charset=utf-8"),
        ["/app.js"] = ("app.js", "text/javascript; charset=utf-8"),
        ["/views.js"] = ("views.js", "text/javascript; charset=utf-8"),
        ["/graph.js"] = ("graph.js", "text/javascript; charset=utf-8"),
    };

    /// <summary>A container as the page names it: its id or name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, docker's name rule).</summary>
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")]
    private static partial Regex ContainerId();

    /// <summary>An image as the page names it: its id, "sha256:" and 64 hex digits.</summary>
    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex ImageId();

    public DashboardAction Decide(DashboardRequest request)
    {
        string? host = request.Header("Host");
        if (host is null || !HostIsOurs(host))
            return new Refusal(403, $"this dashboard answers only to http://{listen.Authority}/ (Host was \"{host}\")");
        if (request.Method != "GET")
            return new Refusal(405, "the dashboard is read-only: only GET is answered");
        string path = request.Path;
        if (Assets.TryGetValue(path, out var asset)) return new ServeAsset(asset.Asset, asset.Type);
        if (!path.StartsWith("/api/", StringComparison.Ordinal)) return new Refusal(404, "no such page");

        if (!TokenMatches(request.Header(TokenHeader)))
            return new Refusal(401, "open the URL `minicontainer dashboard` printed: it carries the token");
        if (request.Query.Length > 0) return new Refusal(400, "the dashboard's API takes no query parameters");
        return (DashboardAction?)ApiRoute(path["/api".Length..]) ?? new Refusal(404, "not one of the dashboard's read-only API paths");
    }

    /// <summary>The allow-list: each dashboard path and the one daemon GET it stands for.</summary>
    static DaemonGet? ApiRoute(string path)
    {
        switch (path)
        {
            case "/containers": return new DaemonGet("/containers/json?all=1");
            case "/networks": return new DaemonGet("/networks");
            case "/images": return new DaemonGet("/images/json");
            case "/events": return new DaemonGet("/events", Stream: true);
        }
        var parts = path.Split('/');   // "", "containers", ID, WHAT
        if (parts.Length == 4 && parts[1] == "containers" && ContainerId().IsMatch(parts[2]))
            return parts[3] switch
            {
                // one-shot: the current counters at once; the page computes CPU % from two polls a second apart.
                "stats" => new DaemonGet($"/containers/{parts[2]}/stats?stream=false&one-shot=true"),
                "kernel" => new DaemonGet($"/containers/{parts[2]}/kernel"),
                "explain" => new DaemonGet($"/containers/{parts[2]}/explain"),
                _ => null,
            };
        if (parts.Length == 3 && parts[1] == "images" && ImageId().IsMatch(parts[2]))
            return new DaemonGet($"/images/{parts[2]}/json");
        return null;
    }

    /// <summary>The listen address as the URL names it; on loopback also "localhost:PORT", which resolves nowhere else.</summary>
    bool HostIsOurs(string host) =>
        string.Equals(host, listen.Authority, StringComparison.OrdinalIgnoreCase)
        || (listen.IsLoopback && string.Equals(host, $"localhost:{listen.Port}", StringComparison.OrdinalIgnoreCase));

    /// <summary>Compared in constant time, so the answer's timing tells nothing about how much of a guess was right.</summary>
    bool TokenMatches(string? given) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));

    /// <summary>A fresh token: 128 random bits, URL-safe.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
