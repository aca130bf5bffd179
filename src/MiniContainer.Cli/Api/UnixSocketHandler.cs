using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MiniContainer.Cli.Api;

/// <summary>
/// The client's HTTP/1.1, spoken by hand over a fresh unix socket per request, as `curl --unix-socket` would: write the
/// request head and body (Content-Length, or chunked when the length is unknown, e.g. a build context being tarred),
/// read the response head, and hand back the body as a stream delimited by Content-Length, chunks, or the daemon's close.
/// Why not SocketsHttpHandler: a CLI process makes one to four requests and exits, and the pooled, async HTTP stack
/// costs more to start than those requests take (measured with perf: about a quarter of `minicontainer exec`'s CPU
/// was the first request's set-up). A connection per request costs ~0.1 ms on a unix socket; "Connection: close"
/// tells the daemon not to wait for another.
/// </summary>
internal sealed class UnixSocketHandler(string socketPath) : HttpMessageHandler
{
    /// <summary>A request option: how long the daemon may take to answer; a TimeoutException after it.</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> Timeout = new("MiniContainer.Timeout");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var network = DockerClient.ConnectSocket(socketPath, request.Options.TryGetValue(Timeout, out var t) ? t : null);
        try
        {
            var content = request.Content;
            long? length = content?.Headers.ContentLength;   // known for byte arrays and strings; null for a stream being produced
            var head = new StringBuilder()
                .Append(request.Method.Method).Append(' ').Append(request.RequestUri!.PathAndQuery).Append(" HTTP/1.1\r\n")
                .Append("Host: localhost\r\n");
            foreach (var (name, values) in request.Headers) AppendHeader(head, name, values);
            if (content is not null)
                foreach (var (name, values) in content.Headers)
                    if (!name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) AppendHeader(head, name, values);
            if (content is not null && length is null) head.Append("Transfer-Encoding: chunked\r\n");
            else if (content is not null || request.Method == HttpMethod.Post || request.Method == HttpMethod.Put)
                head.Append("Content-Length: ").Append((length ?? 0).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            head.Append("Connection: close\r\n\r\n");
            // Connect, request and (unless the caller may cancel) the answer's head on this thread, blocking: a JSON
            // answer usually arrives whole with its head, so a short command never starts the runtime's socket I/O
            // thread or a thread-pool thread. A caller with a cancellation token (Ctrl+C, requests run side by side:
            // stats, compose's stops) waits for the head asynchronously instead.
            network.Write(Encoding.ASCII.GetBytes(head.ToString()));
            if (content is not null)
            {
                if (length is null)
                {
                    var chunks = new MiniContainer.Storage.ChunkedWriteStream(network);
                    await content.CopyToAsync(chunks, ct);
                    await chunks.EndAsync();
                }
                else content.CopyTo(network, null, ct);
            }

            var (status, headers, leftover) = ct.CanBeCanceled ? await HijackClient.ReadHeadAsync(network, ct) : HijackClient.ReadHead(network);
            var delimited = Body(new PrefixedStream(leftover, network), status, headers, request.Method == HttpMethod.Head);
            var response = new HttpResponseMessage((HttpStatusCode)status)
            {
                RequestMessage = request,
                Version = HttpVersion.Version11,
                Content = new StreamContent(delimited),
            };
            foreach (var (name, value) in headers)
                if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !response.Headers.TryAddWithoutValidation(name, value))
                    response.Content.Headers.TryAddWithoutValidation(name, value);
            return response;
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            network.Dispose();
            throw new TimeoutException($"the daemon did not answer {request.RequestUri!.AbsolutePath} within {t.TotalSeconds:0.#} s", e);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The response's body after its head: none (HEAD, 1xx, 204, 304; the socket is closed then), Content-Length
    /// bytes, chunks, or everything until the daemon closes. Disposing it closes the socket.</summary>
    internal static Stream Body(Stream afterHead, int status, IReadOnlyDictionary<string, string> headers, bool toHead = false)
    {
        if (toHead || status is 204 or 304 || status < 200)
        {
            afterHead.Dispose();
            return Stream.Null;
        }
        if (headers.TryGetValue("Transfer-Encoding", out string? te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            return new ChunkedReadStream(afterHead);
        if (headers.TryGetValue("Content-Length", out string? cl) && long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            return new LengthReadStream(afterHead, n);
        return afterHead;
    }

    static void AppendHeader(StringBuilder head, string name, IEnumerable<string> values)
    {
        foreach (string value in values)
        {
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0) throw new ArgumentException($"header {name} has a line break");
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
    }
}

/// <summary>A response body of Content-Length bytes; the socket under it is closed with it.</summary>
internal sealed class LengthReadStream(Stream inner, long length) : MiniContainer.Storage.ReadOnlyStream
{
    long _left = length;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_left == 0 || buffer.Length == 0) return 0;
        int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
        if (n == 0) throw new IOException($"the daemon closed the connection {_left} bytes before the end of its answer");
        _left -= n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_left == 0 || buffer.Length == 0) return 0;
        int n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], ct);
        if (n == 0) throw new IOException($"the daemon closed the connection {_left} bytes before the end of its answer");
        _left -= n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A chunked response body (streams whose end the daemon does not know ahead: logs, events, pull progress):
/// "SIZE-in-hex CRLF data CRLF" until a chunk of size 0. The socket under it is closed with it.</summary>
internal sealed class ChunkedReadStream(Stream inner) : MiniContainer.Storage.ReadOnlyStream
{
    long _leftInChunk;
    bool _ended;

    /// <summary>Blocking: every read below is the inner stream's blocking one, so the task is finished when it returns.</summary>
    public override int Read(byte[] buffer, int offset, int count) => ReadFrom(new BlockingReadStream(inner), buffer.AsMemory(offset, count), default).GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ReadFrom(inner, buffer, ct);

    async ValueTask<int> ReadFrom(Stream source, Memory<byte> buffer, CancellationToken ct)
    {
        if (buffer.Length == 0) return 0;
        while (_leftInChunk == 0)
        {
            if (_ended) return 0;
            string sizeLine = await ReadLineAsync(source, ct);
            int semicolon = sizeLine.IndexOf(';');   // chunk extensions: ignored
            if (semicolon >= 0) sizeLine = sizeLine[..semicolon];
            if (!long.TryParse(sizeLine.Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _leftInChunk) || _leftInChunk < 0)
                throw new IOException($"malformed chunk size from the daemon: '{sizeLine}'");
            if (_leftInChunk == 0)
            {
                _ended = true;
                while ((await ReadLineAsync(source, ct)).Length > 0) { }   // trailers, up to the blank line
                return 0;
            }
        }
        int n = await source.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _leftInChunk)], ct);
        if (n == 0) throw new IOException("the daemon closed the connection in the middle of a chunk");
        _leftInChunk -= n;
        if (_leftInChunk == 0) await ReadLineAsync(source, ct);   // the CRLF after the data
        return n;
    }

    /// <summary>One line, without its CRLF; the end of the stream ends it too.</summary>
    static async ValueTask<string> ReadLineAsync(Stream source, CancellationToken ct)
    {
        var line = new StringBuilder();
        byte[] one = new byte[1];
        while (await source.ReadAsync(one, ct) == 1)
        {
            if (one[0] == '\n') break;
            if (one[0] != '\r') line.Append((char)one[0]);
            if (line.Length > 4096) throw new IOException("a chunk-size line from the daemon is too long");
        }
        return line.ToString();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
