using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;

namespace MiniContainer.Cli.Dashboard;

/// <summary>
/// A small HTTP/1.1 server on a TCP socket: one request per connection (every answer says Connection: close), each
/// decided by <see cref="DashboardRoutes"/> and answered from the embedded page or by relaying one daemon GET.
/// Plain sockets rather than ASP.NET: the CLI is a Native AOT binary that references no web framework, and the
/// dashboard needs only this much of HTTP.
/// </summary>
internal sealed class DashboardServer(TcpListener listener, DashboardRoutes routes, DockerClient daemon)
{
    /// <summary>More connections at once than the page ever opens (the events stream plus a few polls) are turned away.</summary>
    const int MaxConnections = 64;
    static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);

    int _open;

    public async Task RunAsync(CancellationToken ct)
    {
        var connections = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(ct);
                if (Interlocked.Increment(ref _open) > MaxConnections)
                {
                    Interlocked.Decrement(ref _open);
                    socket.Dispose();
                    continue;
                }
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(Task.Run(() => ServeAsync(socket, ct), CancellationToken.None));
            }
        }
        catch (OperationCanceledException) { }
        await Task.WhenAll(connections);
    }

    async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            DashboardRequest? request;
            using (var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                headTimeout.CancelAfter(HeadTimeout);
                try { request = await DashboardRequest.ReadAsync(stream, headTimeout.Token); }
                catch (FormatException e) { await WriteErrorAsync(stream, 400, e.Message, stop); return; }
            }
            if (request is null) return;
            switch (routes.Decide(request))
            {
                case ServeAsset asset: await WriteAssetAsync(stream, asset, stop); break;
                case DaemonGet get: await RelayAsync(stream, get, stop); break;
                case Refusal refusal: await WriteErrorAsync(stream, refusal.Status, refusal.Message, stop); break;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException) { }   // the browser left, or Ctrl+C
        finally { Interlocked.Decrement(ref _open); }
    }

    static async Task WriteAssetAsync(Stream stream, ServeAsset asset, CancellationToken ct)
    {
        byte[] body = DashboardAssets.Read(asset.Name);
        await WriteHeadAsync(stream, 200, asset.ContentType, body.Length, ct);
        await stream.WriteAsync(body, ct);
    }

    /// <summary>The daemon's answer, status and body, as it came; an error stays an error with the daemon's message.</summary>
    async Task RelayAsync(Stream stream, DaemonGet get, CancellationToken ct)
    {
        HttpResponseMessage response;
        try { response = await daemon.SendAsync(HttpMethod.Get, get.Path, ct: ct); }
        catch (ApiException e) { await WriteErrorAsync(stream, (int)e.Status, e.Message, ct); return; }
        catch (DaemonUnavailableException e) { await WriteErrorAsync(stream, 502, e.Message, ct); return; }
        using (response)
        {
            string type = response.Content.Headers.ContentType?.ToString() ?? "application/json";
            if (get.Stream)
            {
                // No length: the body ends when the connection closes (HTTP/1.1 allows it with Connection: close).
                await WriteHeadAsync(stream, 200, type, null, ct);
                // The browser sends nothing more, so a read that ends means it hung up (a reload, a closed tab): stop
                // relaying then, rather than at the next event, which may be hours away.
                using var relay = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var hungUp = CancelWhenClosedAsync(stream, relay);
                await using var body = await response.Content.ReadAsStreamAsync(relay.Token);
                var buffer = new byte[8192];
                int n;
                while ((n = await body.ReadAsync(buffer, relay.Token)) > 0) await stream.WriteAsync(buffer.AsMemory(0, n), relay.Token);   // each event as it comes
                relay.Cancel();
                await hungUp;
            }
            else
            {
                byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
                await WriteHeadAsync(stream, 200, type, body.Length, ct);
                await stream.WriteAsync(body, ct);
            }
        }
    }

    static async Task CancelWhenClosedAsync(Stream stream, CancellationTokenSource relay)
    {
        try { while (await stream.ReadAsync(new byte[256], relay.Token) > 0) { } }
        catch (Exception e) when (e is IOException or OperationCanceledException) { }
        relay.Cancel();
    }

    static async Task WriteErrorAsync(Stream stream, int status, string message, CancellationToken ct)
    {
        byte[] body = Encoding.UTF8.GetBytes(new JsonObject { ["message"] = message }.ToJsonString());
        await WriteHeadAsync(stream, status, "application/json", body.Length, ct);
        await stream.WriteAsync(body, ct);
    }

    /// <summary>The status line and headers. Every answer forbids caching, sniffing, framing and sending the URL (with its
    /// token) on as a Referer; the page may load scripts and data from this origin only, so nothing a container supplies
    /// could run as script even if it reached the page as markup.</summary>
    static async Task WriteHeadAsync(Stream stream, int status, string contentType, long? length, CancellationToken ct)
    {
        var head = new StringBuilder();
        head.Append($"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n");
        head.Append($"Content-Type: {contentType}\r\n");
        if (length is { } l) head.Append($"Content-Length: {l}\r\n");
        if (status == 405) head.Append("Allow: GET\r\n");
        head.Append("Cache-Control: no-store\r\n");
        head.Append("X-Content-Type-Options: nosniff\r\n");
        head.Append("Referrer-Policy: no-referrer\r\n");
        head.Append("X-Frame-Options: DENY\r\n");
        head.Append("Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'\r\n");
        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
    }

    static string ReasonPhrase(int status) => status switch
    {
        200 => "OK", 400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden", 404 => "Not Found",
        405 => "Method Not Allowed", 409 => "Conflict", 502 => "Bad Gateway",
        _ => ((HttpStatusCode)status).ToString(),
    };
}
