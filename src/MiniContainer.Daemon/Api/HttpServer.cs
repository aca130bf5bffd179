using System.Net.Sockets;
using System.Text;

namespace MiniContainer.Api;

/// <summary>
/// A small HTTP/1.1 server on a unix socket: enough of the protocol for the Docker Engine API, which needs
/// one thing general-purpose servers refuse — "hijacking" a request that carries a body (exec start sends
/// {"Detach":false}) into a raw two-way stream (101 Switching Protocols, Upgrade: tcp).
/// Keep-alive, Content-Length and chunked bodies both ways.
/// </summary>
public sealed class HttpServer(string socketPath, Func<HttpContext, Task> handle)
{
    /// <summary>4 MiB: a thousand times a typical create body, small enough that a refused one costs nothing.</summary>
    public const long DefaultMaxBodyBytes = 4 << 20;

    private Socket? _listener;

    /// <summary>The most a JSON body may hold (minicontainerd --max-request-body).</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>The group that may use the socket besides root (minicontainerd --group); null = root only.</summary>
    public uint? SocketGid { get; init; }

    public void Start()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
        if (File.Exists(socketPath)) File.Delete(socketPath);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        // 0660 root:root, or root:GROUP with --group: the API can start privileged containers, so whoever may
        // connect is as powerful as root (the same as dockerd's docker group).
        if (SocketGid is { } gid) MiniContainer.Linux.Kernel.LChown(socketPath, 0, gid);
        MiniContainer.Linux.Kernel.Chmod(socketPath, 0b110_110_000);
        _listener.Listen(128);
        _ = AcceptLoopAsync();
    }

    public void Stop()
    {
        try { _listener?.Dispose(); } catch { }
        try { File.Delete(socketPath); } catch { }
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket s;
            try { s = await _listener!.AcceptAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            _ = Task.Run(() => ServeConnectionAsync(s));
        }
    }

    /// <summary>Which HTTP status an exception means, as Docker answers it.</summary>
    public static (int Status, string Message) ErrorStatus(Exception e) => e switch
    {
        ApiException api => (api.Status, api.Message),
        System.Text.Json.JsonException => (400, "invalid JSON: " + e.Message),
        Images.ImageNotFoundException => (404, e.Message),
        Images.InvalidArchiveException or Images.InvalidReferenceException => (400, e.Message),
        Images.ImageConflictException => (409, e.Message),
        _ => (500, e.Message),
    };

    /// <summary>After a handler read a JSON body, a failed conversion of one of its values (JsonNode's casts throw
    /// InvalidOperationException or FormatException) is the client's type error: 400, not 500. The routes check
    /// their bodies' field types first (JsonBody), so this only catches what no schema names.</summary>
    public static (int Status, string Message) BodyErrorStatus(Exception e) => e switch
    {
        InvalidOperationException or FormatException or OverflowException when e is not ObjectDisposedException =>
            (400, "invalid JSON: a value in the request body has the wrong type: " + e.Message),
        _ => ErrorStatus(e),
    };

    private async Task ServeConnectionAsync(Socket socket)
    {
        var conn = new HttpConnection(new NetworkStream(socket, ownsSocket: true));
        try
        {
            while (true)
            {
                var ctx = await conn.ReadRequestAsync();
                if (ctx == null) break;
                ctx.MaxBodyBytes = MaxBodyBytes;
                try { await handle(ctx); }
                catch (Exception e) when (!ctx.ResponseStarted)
                {
                    var (status, message) = ctx.ReadJsonBody ? BodyErrorStatus(e) : ErrorStatus(e);
                    if (status == 500) Log.Error($"{ctx.Method} {ctx.Path}: {e}");
                    await ctx.WriteErrorAsync(status, message);
                }
                if (ctx.Hijacked) break;
                await ctx.FinishAsync();
                if (ctx.CloseAfter) break;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidDataException) { }
        finally { conn.Dispose(); }
    }
}

/// <summary>One connection: buffered reads of request heads, then bodies (length-delimited or chunked).</summary>
internal sealed class HttpConnection(NetworkStream stream) : IDisposable
{
    public readonly NetworkStream Stream = stream;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start, _end;

    public async Task<HttpContext?> ReadRequestAsync()
    {
        string? requestLine = await ReadLineAsync();
        while (requestLine == "") requestLine = await ReadLineAsync();
        if (requestLine == null) return null;
        string[] parts = requestLine.Split(' ');
        if (parts.Length != 3) throw new InvalidDataException("bad request line");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int headerBytes = 0;
        while (true)
        {
            string? line = await ReadLineAsync() ?? throw new InvalidDataException("connection closed in headers");
            if (line.Length == 0) break;
            if ((headerBytes += line.Length) > 1 << 20) throw new InvalidDataException("request headers too large");
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        Stream body = headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase)
            ? new ChunkedReadStream(this)
            : new LengthReadStream(this, headers.TryGetValue("Content-Length", out var cl) && long.TryParse(cl, out long n) ? n : 0);
        var ctx = new HttpContext(this, parts[0], parts[1], headers, body);
        // HTTP/1.0 closes after each response unless it asks for keep-alive; 1.1 keeps alive unless told to close.
        headers.TryGetValue("Connection", out var connection);
        bool http10 = parts[2] == "HTTP/1.0";
        if ((connection?.Contains("close", StringComparison.OrdinalIgnoreCase) ?? false) ||
            (http10 && !(connection?.Contains("keep-alive", StringComparison.OrdinalIgnoreCase) ?? false)))
            ctx.CloseAfterResponse();
        return ctx;
    }

    public async Task<string?> ReadLineAsync()
    {
        var sb = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync()) return sb.Length == 0 ? null : sb.ToString();
            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl < 0)
            {
                sb.Append(Encoding.Latin1.GetString(_buffer, _start, _end - _start));
                _start = _end;
                if (sb.Length > 64 * 1024) throw new InvalidDataException("header line too long");
                continue;
            }
            sb.Append(Encoding.Latin1.GetString(_buffer, _start, nl - _start));
            _start = nl + 1;
            if (sb.Length > 0 && sb[^1] == '\r') sb.Length--;
            return sb.ToString();
        }
    }

    private async Task<bool> FillAsync()
    {
        _start = 0;
        _end = await Stream.ReadAsync(_buffer);
        return _end > 0;
    }

    /// <summary>Reads buffered bytes first, then from the socket.</summary>
    public async ValueTask<int> ReadRawAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        if (_start < _end)
        {
            int n = Math.Min(destination.Length, _end - _start);
            _buffer.AsMemory(_start, n).CopyTo(destination);
            _start += n;
            return n;
        }
        return await Stream.ReadAsync(destination, ct);
    }

    public void Dispose() => Stream.Dispose();
}

internal sealed class LengthReadStream(HttpConnection conn, long length) : ReadOnlyStreamBase
{
    private long _left = length;
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_left <= 0 || buffer.Length == 0) return 0;
        int n = await conn.ReadRawAsync(buffer[..(int)Math.Min(buffer.Length, _left)], ct);
        if (n == 0) throw new IOException("connection closed in request body");
        _left -= n;
        return n;
    }
}

internal sealed class ChunkedReadStream(HttpConnection conn) : ReadOnlyStreamBase
{
    private long _chunkLeft;
    private bool _done;
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_done || buffer.Length == 0) return 0;
        if (_chunkLeft == 0)
        {
            string? sizeLine = await conn.ReadLineAsync() ?? throw new IOException("connection closed in chunked body");
            _chunkLeft = Convert.ToInt64(sizeLine.Split(';')[0].Trim(), 16);
            if (_chunkLeft == 0)
            {
                while (!string.IsNullOrEmpty(await conn.ReadLineAsync())) { } // trailers
                _done = true;
                return 0;
            }
        }
        int n = await conn.ReadRawAsync(buffer[..(int)Math.Min(buffer.Length, _chunkLeft)], ct);
        if (n == 0) throw new IOException("connection closed in chunked body");
        _chunkLeft -= n;
        if (_chunkLeft == 0) await conn.ReadLineAsync();
        return n;
    }
}

/// <summary>Request bodies are read asynchronously; synchronous readers (the tar reader) go through the same path.</summary>
public abstract class ReadOnlyStreamBase : MiniContainer.Storage.ReadOnlyStream
{
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
}

/// <summary>A hijacked connection: reads come from the connection (after any buffered bytes), writes go straight out.</summary>
/// <param name="untilHeadRead">awaited before the first byte written (see HttpContext.PeerReadHeadAsync); null: none.</param>
internal sealed class HijackedStream(HttpConnection conn, Func<Task>? untilHeadRead = null) : MiniContainer.Storage.ForwardOnlyStream
{
    private Task? _headRead;
    private Task HeadRead() => untilHeadRead is null ? Task.CompletedTask : LazyInitializer.EnsureInitialized(ref _headRead, untilHeadRead);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => conn.ReadRawAsync(buffer, ct);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        await HeadRead();
        await conn.Stream.WriteAsync(buffer, ct);
    }
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override void Write(byte[] buffer, int offset, int count)
    {
        HeadRead().GetAwaiter().GetResult();
        conn.Stream.Write(buffer, offset, count);
    }
    public override void Flush() => conn.Stream.Flush();
    public override Task FlushAsync(CancellationToken ct) => conn.Stream.FlushAsync(ct);
    /// <summary>Half-close: tell the client no more output is coming.</summary>
    public void ShutdownWrite() { try { conn.Stream.Socket.Shutdown(SocketShutdown.Send); } catch (SocketException) { } catch (ObjectDisposedException) { } }
    public override bool CanRead => true; public override bool CanWrite => true;
}
