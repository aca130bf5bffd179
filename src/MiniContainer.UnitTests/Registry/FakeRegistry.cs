using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MiniContainer.UnitTests.Registry;

/// <summary>An HTTP server on 127.0.0.1 and a free port whose every request goes to <see cref="Handle"/>: enough of a
/// registry (or token server) to drive the client through auth challenges and bad content without root or a real registry.</summary>
internal sealed class FakeRegistry : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";
    public Func<HttpListenerContext, Task> Handle { get; set; } = ctx => Respond(ctx, 404, "");
    public List<string> Requests { get; } = new();

    public FakeRegistry()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            lock (Requests) Requests.Add($"{ctx.Request.HttpMethod} {ctx.Request.Url!.PathAndQuery} auth={ctx.Request.Headers["Authorization"]}");
            _ = Task.Run(async () =>
            {
                try { await Handle(ctx); }
                catch (Exception e) { try { await Respond(ctx, 500, e.Message); } catch (Exception) { } }
            });
        }
    }

    public static async Task Respond(HttpListenerContext ctx, int status, byte[] body, string? contentType = null, Dictionary<string, string>? headers = null)
    {
        ctx.Response.StatusCode = status;
        if (contentType != null) ctx.Response.ContentType = contentType;
        foreach (var (k, v) in headers ?? new()) ctx.Response.Headers[k] = v;
        ctx.Response.ContentLength64 = body.Length;
        await ctx.Response.OutputStream.WriteAsync(body);
        ctx.Response.Close();
    }

    public static Task Respond(HttpListenerContext ctx, int status, string body, string? contentType = null, Dictionary<string, string>? headers = null) =>
        Respond(ctx, status, Encoding.UTF8.GetBytes(body), contentType, headers);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }
}
