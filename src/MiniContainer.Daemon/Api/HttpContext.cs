using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace MiniContainer.Api;

/// <summary>One request and its response.</summary>
public sealed class HttpContext
{
    private readonly HttpConnection _conn;
    public string Method { get; }
    /// <summary>The path with any /v1.NN version prefix removed.</summary>
    public string Path { get; }
    public Dictionary<string, List<string>> Query { get; } = new();
    public Dictionary<string, string> Headers { get; }
    public Stream Body { get; }
    public Dictionary<string, string> Route { get; set; } = new();
    /// <summary>Extra response headers (e.g. X-Docker-Container-Path-Stat), sent with whatever response follows.</summary>
    public Dictionary<string, string> ResponseHeaders { get; } = new();
    public bool ResponseStarted { get; private set; }
    public bool Hijacked { get; private set; }
    public bool CloseAfter { get; private set; }
    internal void CloseAfterResponse() => CloseAfter = true;
    private MiniContainer.Storage.ChunkedWriteStream? _chunked;

    public const string ApiVersion = "1.47", MinApiVersion = "1.24";

    internal HttpContext(HttpConnection conn, string method, string target, Dictionary<string, string> headers, Stream body)
    {
        _conn = conn;
        Method = method;
        Headers = headers;
        Body = body;
        int q = target.IndexOf('?');
        string path = Uri.UnescapeDataString(q >= 0 ? target[..q] : target);
        if (q >= 0)
            foreach (string pair in target[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=');
                string k = Uri.UnescapeDataString((eq >= 0 ? pair[..eq] : pair).Replace('+', ' '));
                string v = eq >= 0 ? Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' ')) : "";
                if (!Query.TryGetValue(k, out var list)) Query[k] = list = new List<string>();
                list.Add(v);
            }
        var m = System.Text.RegularExpressions.Regex.Match(path, @"^/v\d+\.\d+(/.*)$");
        Path = m.Success ? m.Groups[1].Value : path;
        if (m.Success && Version.TryParse(path[2..path.IndexOf('/', 1)], out var requested)) RequestApiVersion = requested;
    }

    /// <summary>The API version of the request's /v1.NN prefix; the daemon's own (<see cref="ApiVersion"/>) without one, as dockerd.</summary>
    public Version RequestApiVersion { get; } = Version.Parse(ApiVersion);

    public string? Q(string name) => Query.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;
    public bool QBool(string name) => Q(name) is "1" or "true" or "True";
    public int? QInt(string name) => int.TryParse(Q(name), out int n) ? n : null;
    public string R(string name) => Route[name];

    /// <summary>The most a body read whole (JSON) may hold; streamed bodies (build contexts, load, cp) have no limit.</summary>
    public long MaxBodyBytes { get; internal set; } = HttpServer.DefaultMaxBodyBytes;

    /// <summary>Set once a handler has read the body as JSON: a failed cast after that is the client's type error (400).</summary>
    public bool ReadJsonBody { get; private set; }

    /// <summary>The whole body, refused with 413 before it is read when it announces more than <see cref="MaxBodyBytes"/>,
    /// and as soon as a chunked one grows past it; the connection is then closed rather than drained.</summary>
    public async Task<byte[]> ReadBodyBytesAsync()
    {
        if (Headers.TryGetValue("Content-Length", out var cl) && long.TryParse(cl, out long announced) && announced > MaxBodyBytes)
            throw TooLarge(announced.ToString());
        var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int n;
        while ((n = await Body.ReadAsync(chunk)) > 0)
        {
            if (buffer.Length + n > MaxBodyBytes) throw TooLarge("more than " + MaxBodyBytes);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private PayloadTooLargeException TooLarge(string size)
    {
        CloseAfterResponse();
        SkipUnreadBody = true;
        return new PayloadTooLargeException(
            $"request body too large: {size} bytes, the daemon accepts at most {MaxBodyBytes} bytes of JSON (minicontainerd --max-request-body)");
    }

    /// <summary>The body as a JSON object (an empty body is {}), checked against <paramref name="schema"/> when given.</summary>
    public async Task<JsonObject> ReadJsonObjectAsync(IReadOnlyDictionary<string, JsonKind>? schema = null)
    {
        byte[] bytes = await ReadBodyBytesAsync();
        ReadJsonBody = true;
        if (bytes.AsSpan().IndexOfAnyExcept(" \t\r\n"u8) < 0) return new JsonObject();
        JsonObject body;
        try { body = JsonNode.Parse(bytes) as JsonObject ?? throw new BadRequestException("invalid JSON: the request body must be a JSON object"); }
        catch (JsonException e) { throw new BadRequestException("invalid JSON: " + e.Message); }
        if (schema != null) JsonBody.Check(body, schema);
        return body;
    }

    // ------------------------------------------------------------ responses

    /// <summary>The status of the response once its head is written (for the debug log).</summary>
    public int? Status { get; private set; }

    private string Head(int status, string? contentType, string framing)
    {
        Status = status;
        return $"HTTP/1.1 {status} {Reason(status)}\r\n" +
            (contentType != null ? $"Content-Type: {contentType}\r\n" : "") +
            string.Concat(ResponseHeaders.Select(h => $"{h.Key}: {h.Value}\r\n")) +
            $"Api-Version: {ApiVersion}\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: MiniContainer/{DaemonInfo.Version} (linux)\r\n" +
            $"Date: {DateTime.UtcNow:R}\r\n" + (CloseAfter && status != 101 ? "Connection: close\r\n" : "") + framing + "\r\n";
    }

    public async Task WriteBytesAsync(int status, string? contentType, byte[] body)
    {
        ResponseStarted = true;
        bool noBody = Method == "HEAD" || status == 204 || status == 304;
        string framing = noBody && status != 200 ? "" : $"Content-Length: {body.Length}\r\n";
        if (Method == "HEAD" && status == 200) framing = $"Content-Length: {body.Length}\r\n";
        await _conn.Stream.WriteAsync(Encoding.ASCII.GetBytes(Head(status, contentType, framing)));
        if (!noBody) await _conn.Stream.WriteAsync(body);
    }

    /// <summary>Writes <paramref name="value"/> as JSON; <paramref name="type"/> is its generated serializer (DaemonJson.Default.*).</summary>
    public Task WriteJsonAsync<T>(int status, T value, JsonTypeInfo<T> type) =>
        WriteBytesAsync(status, "application/json", JsonSerializer.SerializeToUtf8Bytes(value, type));

    public Task WriteJsonNodeAsync(int status, JsonNode node) =>
        WriteBytesAsync(status, "application/json", Encoding.UTF8.GetBytes(node.ToJsonString()));

    public Task WriteTextAsync(int status, string text) => WriteBytesAsync(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));

    public Task WriteEmptyAsync(int status) => WriteBytesAsync(status, null, Array.Empty<byte>());

    public Task WriteErrorAsync(int status, string message) =>
        status == 304 ? WriteEmptyAsync(304) : WriteJsonAsync(status, new ErrorResponse(message), DaemonJson.Default.ErrorResponse);

    /// <summary>Starts a chunked response (logs -f, wait, load progress): write to the returned stream, it ends in FinishAsync.</summary>
    public async Task<Stream> StartStreamAsync(int status, string contentType)
    {
        ResponseStarted = true;
        await _conn.Stream.WriteAsync(Encoding.ASCII.GetBytes(Head(status, contentType, "Transfer-Encoding: chunked\r\n")));
        await _conn.Stream.FlushAsync();
        return _chunked = new MiniContainer.Storage.ChunkedWriteStream(_conn.Stream);
    }

    /// <summary>
    /// Completes when the client closes the connection: after a GET, a client sends nothing more, so the read ends only
    /// at its close. A streaming answer that may sit idle (events) needs this, since only a write would notice otherwise.
    /// </summary>
    public async Task ClientClosedAsync(CancellationToken ct)
    {
        var buffer = new byte[512];
        try { while (await _conn.ReadRawAsync(buffer, ct) > 0) { } }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException) { }
    }

    /// <summary>
    /// Takes over the connection for attach / exec start: 101 Switching Protocols when the client asked to
    /// upgrade (the docker CLI always does), else a 200 whose body is the stream until we close it.
    /// </summary>
    public async Task<Stream> HijackAsync(bool multiplexed)
    {
        // Drain the request body (exec start sends a small JSON one) so it is not read as stdin.
        await Body.CopyToAsync(Stream.Null);
        ResponseStarted = true;
        Hijacked = true;
        string type = multiplexed ? "application/vnd.docker.multiplexed-stream" : "application/vnd.docker.raw-stream";
        bool upgrade = Headers.TryGetValue("Upgrade", out var u) && u.Length > 0;
        string head = upgrade
            ? Head(101, type, "Connection: Upgrade\r\nUpgrade: tcp\r\n").Replace("101 Switching Protocols", "101 UPGRADED")
            : Head(200, type, "Connection: close\r\n");
        await _conn.Stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await _conn.Stream.FlushAsync();
        return new HijackedStream(_conn, upgrade ? PeerReadHeadAsync : null);
    }

    /// <summary>How long the first write waits for the client to read the 101 (a second; a unit test lengthens it).</summary>
    internal static TimeSpan HeadReadWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Clients that take the socket over from a buffering HTTP reader after a 101 (docker-py reads the raw socket
    /// under requests' buffer) lose whatever came in the same read as the header: attach's log replay, an exec's
    /// first output. On a unix socket the kernel tells how much of what we sent the client has not read yet, so the
    /// stream's first write waits (a second at most) until the header is read, and starts in a read of its own.
    /// Only the first write waits, not the hijack: the process starts meanwhile. (A wait here cost every `exec` ~4 ms:
    /// the runtime's timers tick with the kernel's coarse clock, so Task.Delay(1) sleeps up to a tick, 4 ms at HZ=250.)
    /// </summary>
    private async Task PeerReadHeadAsync()
    {
        var socket = _conn.Stream.Socket;
        if (socket.AddressFamily != System.Net.Sockets.AddressFamily.Unix) return;
        int fd = (int)socket.Handle;
        var deadline = DateTime.UtcNow + HeadReadWait;
        try
        {
            while (MiniContainer.Linux.Kernel.UnreadByPeer(fd) > 0 && DateTime.UtcNow < deadline) await Task.Delay(1);
        }
        catch (MiniContainer.Linux.KernelException) { }
    }

    /// <summary>After the handler: end a chunked body, and skip whatever of the request body was not read.</summary>
    internal async Task FinishAsync()
    {
        if (_chunked != null) await _chunked.EndAsync();
        if (!ResponseStarted) await WriteEmptyAsync(204);
        if (!SkipUnreadBody) await Body.CopyToAsync(Stream.Null);
    }

    /// <summary>The body was refused as too large: the connection closes after the answer instead of reading it all.</summary>
    internal bool SkipUnreadBody { get; private set; }

    private static string Reason(int status) => status switch
    {
        101 => "Switching Protocols", 200 => "OK", 201 => "Created", 204 => "No Content", 304 => "Not Modified",
        400 => "Bad Request", 404 => "Not Found", 405 => "Method Not Allowed", 409 => "Conflict", 413 => "Request Entity Too Large", 500 => "Internal Server Error", 501 => "Not Implemented",
        _ => "Status",
    };
}
