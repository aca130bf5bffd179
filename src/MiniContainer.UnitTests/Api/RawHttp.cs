using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Api;

namespace MiniContainer.UnitTests.Api;

/// <summary>
/// A real <see cref="HttpServer"/> on a throwaway unix socket under /tmp (a sun_path holds at most 107 bytes,
/// so the path is kept short), dispatching to a <see cref="Router"/> the test fills in.
/// </summary>
internal sealed class TestApiServer : IDisposable
{
    public Router Router { get; } = new();
    public string SocketPath { get; }
    private readonly string _dir;
    private readonly HttpServer _server;

    public TestApiServer(long maxBodyBytes = HttpServer.DefaultMaxBodyBytes)
    {
        _dir = $"/tmp/mc-ut-{Guid.NewGuid().ToString("N")[..10]}";
        SocketPath = Path.Combine(_dir, "api.sock");
        _server = new HttpServer(SocketPath, Router.DispatchAsync) { MaxBodyBytes = maxBodyBytes };
        _server.Start();
    }

    public Task<RawHttpClient> ConnectAsync() => RawHttpClient.ConnectAsync(SocketPath);

    public void Dispose()
    {
        _server.Stop();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

internal sealed record RawResponse(int Status, string StatusLine, Dictionary<string, string> Headers, byte[] Body, List<int> ChunkSizes)
{
    public string Text => Encoding.UTF8.GetString(Body);
    public JsonNode Json => JsonNode.Parse(Body)!;
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// Speaks HTTP/1.1 by hand over a unix socket, as the docker CLI does: what goes on the wire is exactly what
/// the test wrote, and every byte the server sends is seen (a body leaked after a HEAD, a missing last chunk).
/// Every read gives up after a few seconds, so a server that hangs fails the test instead of hanging it.
/// </summary>
internal sealed class RawHttpClient : IDisposable
{
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);
    public Socket Socket { get; }
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    private RawHttpClient(Socket socket)
    {
        Socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawHttpClient> ConnectAsync(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        return new RawHttpClient(socket);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] data)
    {
        await _stream.WriteAsync(data);
        await _stream.FlushAsync();
    }

    /// <summary>Status line and headers only (for hijacked responses, whose body is a raw stream).</summary>
    public async Task<(int Status, string StatusLine, Dictionary<string, string> Headers)> ReadHeadAsync()
    {
        string statusLine = await ReadLineAsync() ?? throw new EndOfStreamException("the server closed the connection instead of answering");
        string[] parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], out int status))
            throw new InvalidDataException($"not an HTTP status line: \"{statusLine}\"");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            string line = await ReadLineAsync() ?? throw new EndOfStreamException("connection closed in the response headers");
            if (line.Length == 0) break;
            int colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return (status, statusLine, headers);
    }

    /// <summary>One whole response, its body framed by Content-Length, chunked encoding, or (Connection: close) the end of the stream.</summary>
    public async Task<RawResponse> ReadResponseAsync(bool head = false)
    {
        var (status, statusLine, headers) = await ReadHeadAsync();
        var chunkSizes = new List<int>();
        byte[] body;
        if (head || status is 101 or 204 or 304) body = [];
        else if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var all = new MemoryStream();
            while (true)
            {
                string sizeLine = await ReadLineAsync() ?? throw new EndOfStreamException("connection closed in a chunked body (no last chunk)");
                int size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    while (!string.IsNullOrEmpty(await ReadLineAsync())) { } // trailers, then the empty line
                    break;
                }
                chunkSizes.Add(size);
                all.Write(await ReadExactlyAsync(size));
                string? crlf = await ReadLineAsync();
                if (crlf != "") throw new InvalidDataException($"chunk of {size} bytes not followed by CRLF but by \"{crlf}\"");
            }
            body = all.ToArray();
        }
        else if (headers.TryGetValue("Content-Length", out var cl)) body = await ReadExactlyAsync(int.Parse(cl));
        else if (headers.TryGetValue("Connection", out var conn) && conn.Equals("close", StringComparison.OrdinalIgnoreCase)) body = await ReadToEndAsync();
        else body = [];
        return new RawResponse(status, statusLine, headers, body, chunkSizes);
    }

    public async Task<string?> ReadLineAsync()
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync()) return line.Length == 0 ? null : line.ToString();
            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int stop = nl < 0 ? _end : nl;
            line.Append(Encoding.Latin1.GetString(_buffer, _start, stop - _start));
            if (nl < 0) { _start = _end; continue; }
            _start = nl + 1;
            if (line.Length > 0 && line[^1] == '\r') line.Length--;
            return line.ToString();
        }
    }

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var result = new byte[count];
        int got = 0;
        while (got < count)
        {
            if (_start == _end && !await FillAsync()) throw new EndOfStreamException($"connection closed after {got} of {count} bytes");
            int n = Math.Min(count - got, _end - _start);
            Array.Copy(_buffer, _start, result, got, n);
            _start += n;
            got += n;
        }
        return result;
    }

    public async Task<byte[]> ReadToEndAsync()
    {
        var all = new MemoryStream();
        while (true)
        {
            if (_start == _end && !await FillAsync()) return all.ToArray();
            all.Write(_buffer, _start, _end - _start);
            _start = _end;
        }
    }

    /// <summary>True when the server closes its side (a read returns end of stream) within <paramref name="wait"/>; false if it keeps it open.</summary>
    public async Task<bool> ServerClosesAsync(TimeSpan wait)
    {
        if (_start < _end) return false;
        using var cts = new CancellationTokenSource(wait);
        try { return await _stream.ReadAsync(_buffer, cts.Token) == 0; }
        catch (OperationCanceledException) { return false; }
        catch (IOException) { return true; }
    }

    private async Task<bool> FillAsync()
    {
        using var cts = new CancellationTokenSource(ReadTimeout);
        _start = 0;
        try { _end = await _stream.ReadAsync(_buffer, cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"the server sent nothing for {ReadTimeout.TotalSeconds} s"); }
        return _end > 0;
    }

    public void Dispose() => _stream.Dispose();
}
