using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Api;

/// <summary>
/// An Engine API client over the daemon's unix socket. Ordinary calls go through <see cref="UnixSocketHandler"/>
/// (HTTP/1.1 by hand, a connection per request); attach and exec-start, which turn the HTTP
/// connection into a raw two-way stream, go through <see cref="HijackClient"/>. Every path is sent with the
/// API version prefix (/v1.47/…), as docker does after it has negotiated.
/// Errors come back as <see cref="ApiException"/> carrying the daemon's {"message"}.
/// </summary>
internal sealed class DockerClient : IDisposable
{
    public const string ApiVersion = "1.47";
    public static readonly string UserAgent = "minicontainer/" + CliInfo.Version;

    readonly HttpMessageInvoker _http;
    public DaemonHost Host { get; }

    public DockerClient(DaemonHost host)
    {
        Host = host;
        _http = new HttpMessageInvoker(new UnixSocketHandler(host.SocketPath));
    }

    /// <summary>Connects a stream socket to the daemon, turning "no such file" and "permission denied" into messages a
    /// person can act on. Blocking, on purpose: a unix socket connects at once, and the CLI then needs no I/O thread
    /// for a request whose answer comes in one read (see UnixSocketHandler).</summary>
    internal static NetworkStream ConnectSocket(string path, TimeSpan? timeout = null)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            if (timeout is { } t) socket.ReceiveTimeout = socket.SendTimeout = (int)Math.Max(1, t.TotalMilliseconds);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw Unreachable("unix://" + path, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static DaemonUnavailableException Unreachable(string uri, SocketException e) => e.SocketErrorCode == SocketError.AccessDenied
        ? new DaemonUnavailableException(
            $"permission denied while trying to connect to the MiniContainer daemon socket at {uri}: the daemon runs as root; try again with sudo", e, UnavailableReason.PermissionDenied)
        : new DaemonUnavailableException($"Cannot connect to the MiniContainer daemon at {uri}. Is minicontainerd running?", e, UnavailableReason.NotRunning);

    public static string Versioned(string path) => "/v" + ApiVersion + path;

    /// <summary>Sends a request and returns once the response headers are in (the body may still be streaming). Throws ApiException on 4xx/5xx.</summary>
    /// <param name="timeout">how long the daemon may take to answer (TimeoutException after it); none by default.</param>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, CancellationToken ct = default,
                                                     IReadOnlyDictionary<string, string>? headers = null, TimeSpan? timeout = null)
    {
        using var request = new HttpRequestMessage(method, new Uri("http://localhost" + Versioned(path))) { Content = content };
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (timeout is { } t) request.Options.Set(UnixSocketHandler.Timeout, t);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);   // returns at the end of the head: the body may still be streaming
        }
        catch (SocketException e) { throw Unreachable(Host.Uri, e); }

        if ((int)response.StatusCode >= 400)
        {
            string message;
            using (response) message = ErrorMessage(await ReadTextAsync(response.Content, ct), response.StatusCode);
            throw new ApiException(response.StatusCode, message);
        }
        return response;
    }

    /// <summary>The daemon's {"message": "…"}, or the body as text, or the HTTP status when the body is empty.</summary>
    internal static string ErrorMessage(string body, HttpStatusCode status)
    {
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                if (JsonNode.Parse(body) is JsonObject o && o["message"] is JsonValue m && m.GetValueKind() == JsonValueKind.String)
                    return m.GetValue<string>();
            }
            catch (JsonException) { }
            return body.Trim();
        }
        return $"{(int)status} {status}";
    }

    public async Task<JsonNode?> GetJsonAsync(string path, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, ct);
        return await ReadJsonAsync(response, ct);
    }

    /// <summary>The body as text: inspect prints the daemon's JSON as it came, re-indented but never re-encoded.</summary>
    public async Task<string> GetStringAsync(string path, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, ct);
        return await ReadTextAsync(response.Content, ct);
    }

    public async Task<JsonNode?> PostJsonAsync(string path, JsonNode? body = null, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Post, path, body is null ? null : JsonContent(body), ct);
        return await ReadJsonAsync(response, ct);
    }

    public async Task<JsonNode?> DeleteAsync(string path, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, path, null, ct);
        return await ReadJsonAsync(response, ct);
    }

    static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string text = await ReadTextAsync(response.Content, ct);
        if (string.IsNullOrWhiteSpace(text)) return null;
        try { return JsonNode.Parse(text); }
        catch (JsonException) { return JsonValue.Create(text); }
    }

    /// <summary>A whole body as text. A caller without a token waits for it on this thread, blocking, as it waited for
    /// the head (see UnixSocketHandler): a body that does not come in the head's read would otherwise be read
    /// asynchronously, and its completion would start the runtime's thread pool — perf counted hundreds of sched_yield
    /// calls per `run`, made while each new pool thread started, on two cores that the daemon and the shim needed.</summary>
    internal static async Task<string> ReadTextAsync(HttpContent content, CancellationToken ct)
    {
        if (ct.CanBeCanceled) return await content.ReadAsStringAsync(ct);
        using var reader = new StreamReader(content.ReadAsStream(CancellationToken.None), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static ByteArrayContent JsonContent(JsonNode body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ToJsonString()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>POSTs to attach or exec-start and takes over the connection (HTTP 101 Switching Protocols).</summary>
    public Task<HijackedConnection> HijackAsync(string path, JsonNode? body, CancellationToken ct = default)
        => HijackClient.ConnectAsync(Host, Versioned(path), body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString()), ct);

    /// <summary>GET /_ping: true when a daemon answers "OK" within <paramref name="timeout"/>.</summary>
    public async Task<bool> PingAsync(TimeSpan timeout)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Get, "/_ping", timeout: timeout);
            return true;
        }
        catch (ApiException) { return true; }   // something answered HTTP: the daemon is there
        catch (TimeoutException) { return false; }
    }

    public void Dispose() => _http.Dispose();
}
