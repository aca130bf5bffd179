using System.Net;
using System.Net.Sockets;
using System.Text;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Dashboard;
using Xunit;

namespace MiniContainer.UnitTests.Cli.Dashboard;

/// <summary>
/// The dashboard server over real sockets, against a stand-in daemon on a unix socket that records each request line
/// it gets: allowed GETs are relayed (status, type and body), and a refused request never reaches the daemon.
/// </summary>
public sealed class DashboardServerTests : IAsyncLifetime
{
    const string Token = "feedfacefeedfacefeedfacefeedface";
    readonly string _dir = Directory.CreateTempSubdirectory("mc-dash-").FullName;
    readonly List<string> _daemonSaw = [];
    readonly CancellationTokenSource _stop = new();
    Socket? _daemonSocket;
    TcpListener? _listener;
    Task? _server, _daemon;
    DockerClient? _client;
    int _port;

    public Task InitializeAsync()
    {
        string socketPath = Path.Combine(_dir, "d.sock");
        _daemonSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _daemonSocket.Bind(new UnixDomainSocketEndPoint(socketPath));
        _daemonSocket.Listen();
        _daemon = Task.Run(FakeDaemonAsync);
        _client = new DockerClient(new DaemonHost(socketPath));
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        var routes = new DashboardRoutes(new ListenAddress(IPAddress.Loopback, _port), Token);
        _server = new DashboardServer(_listener, routes, _client).RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    /// <summary>Answers /containers/json with a list, /containers/gone/kernel with docker's 404, and /events with one
    /// event line and then nothing more until the test ends (a stream that stays open).</summary>
    async Task FakeDaemonAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket s;
            try { s = await _daemonSocket!.AcceptAsync(_stop.Token); } catch (OperationCanceledException) { return; }
            _ = Task.Run(async () =>
            {
                using var stream = new NetworkStream(s, ownsSocket: true);
                var head = await DashboardRequest.ReadAsync(stream, _stop.Token);
                string line = $"{head!.Method} {head.Target}";
                lock (_daemonSaw) _daemonSaw.Add(line);
                static byte[] Answer(string status, string type, string body) =>
                    Encoding.UTF8.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}");
                if (head.Path.EndsWith("/events"))
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
                    string ev = "{\"Type\":\"container\",\"Action\":\"die\"}\n";
                    await stream.WriteAsync(Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetByteCount(ev):x}\r\n{ev}\r\n"));
                    // Then nothing more: the relay must end this connection itself when its browser hangs up.
                    try { while (await stream.ReadAsync(new byte[16], _stop.Token) > 0) { } } catch (Exception e) when (e is OperationCanceledException or IOException) { }
                    if (!_stop.IsCancellationRequested) lock (_daemonSaw) _daemonSaw.Add("events closed");
                }
                else if (head.Path.EndsWith("/gone/kernel"))
                    await stream.WriteAsync(Answer("404 Not Found", "application/json", "{\"message\":\"No such container: gone\"}"));
                else
                    await stream.WriteAsync(Answer("200 OK", "application/json", "[{\"Id\":\"abc\",\"Labels\":{\"x\":\"<script>\"}}]"));
            });
        }
    }

    /// <summary>One raw request; the whole answer as text (the server closes the connection after it).</summary>
    async Task<string> SendAsync(string method, string target, string host = "", string? token = Token, string? until = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _port);
        var stream = tcp.GetStream();
        string head = $"{method} {target} HTTP/1.1\r\nHost: {(host.Length > 0 ? host : $"127.0.0.1:{_port}")}\r\n"
                      + (token is null ? "" : $"{DashboardRoutes.TokenHeader}: {token}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            answer.Write(buffer, 0, n);
            if (until is not null && Encoding.UTF8.GetString(answer.ToArray()).Contains(until)) break;   // the connection is still open
        }
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    string[] DaemonSaw() { lock (_daemonSaw) return [.. _daemonSaw]; }

    [Fact]
    public async Task An_allowed_GET_is_relayed_with_the_daemon_s_body_and_safe_headers()
    {
        string answer = await SendAsync("GET", "/api/containers");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer);
        Assert.EndsWith("[{\"Id\":\"abc\",\"Labels\":{\"x\":\"<script>\"}}]", answer);
        Assert.Contains("Content-Type: application/json", answer);
        Assert.Contains("X-Content-Type-Options: nosniff\r\n", answer);
        Assert.Contains("Content-Security-Policy: default-src 'none'; script-src 'self';", answer);
        Assert.Equal(["GET /v1.47/containers/json?all=1"], DaemonSaw());
    }

    [Fact]
    public async Task The_daemon_s_errors_keep_their_status_and_message()
    {
        string answer = await SendAsync("GET", "/api/containers/gone/kernel");
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", answer);
        Assert.EndsWith("{\"message\":\"No such container: gone\"}", answer);
    }

    [Fact]
    public async Task Refused_requests_never_reach_the_daemon()
    {
        Assert.StartsWith("HTTP/1.1 405 ", await SendAsync("POST", "/api/containers/web/stop"));
        Assert.StartsWith("HTTP/1.1 405 ", await SendAsync("DELETE", "/api/containers/web"));
        Assert.StartsWith("HTTP/1.1 403 ", await SendAsync("GET", "/api/containers", host: $"rebound.example:{_port}"));
        Assert.StartsWith("HTTP/1.1 401 ", await SendAsync("GET", "/api/containers", token: null));
        Assert.StartsWith("HTTP/1.1 404 ", await SendAsync("GET", "/api/containers/web/json"));
        Assert.StartsWith("HTTP/1.1 400 ", await SendAsync("GARBAGE", ""));
        Assert.Empty(DaemonSaw());
    }

    [Fact]
    public async Task The_page_is_served_from_the_binary()
    {
        string page = await SendAsync("GET", "/", token: null);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", page);
        Assert.Contains("Content-Type: text/html; charset=utf-8", page);
        Assert.Contains("<script type=\"module\" src=\"/app.js\"></script>", page);
        Assert.Empty(DaemonSaw());
    }

    [Fact]
    public async Task Events_are_relayed_as_they_come_and_the_daemon_s_stream_ends_when_the_browser_leaves()
    {
        // The stand-in daemon never ends the stream: the event arriving proves it is relayed as it comes, not at the end
        // (without it the read would wait for the 10 s timeout and throw).
        string answer = await SendAsync("GET", "/api/events", until: "\"die\"");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer);
        Assert.DoesNotContain("Content-Length", answer);
        Assert.EndsWith("\r\n\r\n{\"Type\":\"container\",\"Action\":\"die\"}\n", answer);
        // (the close may already have been seen: SendAsync returns after closing its connection)
        Assert.Equal(["GET /v1.47/events"], DaemonSaw().Where(s => s != "events closed"));
        // SendAsync has closed its connection: the dashboard notices and closes its own to the daemon, with no event to write.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!DaemonSaw().Contains("events closed") && clock.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(20);
        Assert.Contains("events closed", DaemonSaw());
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        _listener?.Stop();
        if (_server is not null) await _server;
        _client?.Dispose();
        _daemonSocket?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
