using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MiniContainer.Cli.Api;

/// <summary>
/// A connection the daemon has "hijacked" for attach or exec-start: after the HTTP 101 response the socket
/// carries the container's stdin one way and its output (raw, or in frames) the other. Closing our write side
/// (shutdown SHUT_WR) tells the daemon stdin is at EOF while output keeps flowing.
/// </summary>
internal sealed class HijackedConnection(Socket socket, Stream stream) : IDisposable
{
    /// <summary>Read: the container's output. Write: the container's stdin.</summary>
    public Stream Stream { get; } = stream;

    public void CloseWrite()
    {
        try { socket.Shutdown(SocketShutdown.Send); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        Stream.Dispose();
        socket.Dispose();
    }
}

/// <summary>
/// The raw side of the client: writes one HTTP/1.1 request with "Connection: Upgrade" and "Upgrade: tcp"
/// on a fresh unix socket, reads the response head itself, and on 101 (or 200 from daemons that do not
/// upgrade) hands back the connected stream, including any output bytes that arrived with the head.
/// HttpClient cannot do this: it never gives up a connection after a 101.
/// </summary>
internal static class HijackClient
{
    public static async Task<HijackedConnection> ConnectAsync(DaemonHost host, string pathAndQuery, byte[]? body, CancellationToken ct)
    {
        var network = DockerClient.ConnectSocket(host.SocketPath);
        var socket = network.Socket;
        try
        {
            var request = new StringBuilder()
                .Append("POST ").Append(pathAndQuery).Append(" HTTP/1.1\r\n")
                .Append("Host: localhost\r\n")
                .Append("User-Agent: ").Append(DockerClient.UserAgent).Append("\r\n")
                .Append("Connection: Upgrade\r\n")
                .Append("Upgrade: tcp\r\n");
            if (body is not null) request.Append("Content-Type: application/json\r\n");
            request.Append("Content-Length: ").Append(body?.Length ?? 0).Append("\r\n\r\n");
            network.Write(Encoding.ASCII.GetBytes(request.ToString()));
            if (body is not null) network.Write(body);

            var (status, headers, leftover) = ct.CanBeCanceled ? await ReadHeadAsync(network, ct) : ReadHead(network);
            if (status is 101 or 200)
                return new HijackedConnection(socket, new PrefixedStream(leftover, network));

            string text = await ReadBodyAsync(network, headers, leftover, status, ct);
            throw new ApiException((HttpStatusCode)status, DockerClient.ErrorMessage(text, (HttpStatusCode)status));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Reads up to and including the blank line; returns the status, the headers, and bytes read past them.</summary>
    /// <remarks>Blocking: for a request nobody can cancel, waiting for the daemon's answer on this thread spares a short
    /// command the start of the runtime's socket I/O thread and a thread-pool thread (measured: several ms on 2 cores).</remarks>
    internal static (int Status, Dictionary<string, string> Headers, byte[] Leftover) ReadHead(Stream stream)
    {
        var head = new ResponseHead();
        byte[] chunk = new byte[4096];
        while (!head.Add(chunk, stream.Read(chunk))) { }
        return head.Parse();
    }

    /// <summary>The same, waiting without a thread and cancellable (requests whose caller may cancel them, or runs several at once).</summary>
    internal static async Task<(int Status, Dictionary<string, string> Headers, byte[] Leftover)> ReadHeadAsync(Stream stream, CancellationToken ct)
    {
        var head = new ResponseHead();
        byte[] chunk = new byte[4096];
        while (!head.Add(chunk, await stream.ReadAsync(chunk, ct))) { }
        return head.Parse();
    }

    /// <summary>The bytes of a response head as they arrive, then its status line and headers.</summary>
    sealed class ResponseHead
    {
        readonly MemoryStream _buffer = new();
        int _headEnd = -1;

        /// <summary>Takes one read's bytes; true once the blank line that ends the head is in.</summary>
        public bool Add(byte[] chunk, int n)
        {
            if (n == 0) throw new IOException("the daemon closed the connection before answering");
            _buffer.Write(chunk, 0, n);
            _headEnd = IndexOfBlankLine(_buffer.GetBuffer().AsSpan(0, (int)_buffer.Length));
            if (_headEnd < 0 && _buffer.Length > 64 * 1024) throw new IOException("response headers too large");
            return _headEnd >= 0;
        }

        public (int Status, Dictionary<string, string> Headers, byte[] Leftover) Parse()
        {
            byte[] all = _buffer.ToArray();
            string head = Encoding.ASCII.GetString(all, 0, _headEnd);
            byte[] leftover = all[(_headEnd + 4)..];

            string[] lines = head.Split("\r\n");
            string[] statusLine = lines[0].Split(' ', 3);
            if (statusLine.Length < 2 || !int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status))
                throw new IOException("malformed HTTP response: " + lines[0]);

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string line in lines.Skip(1))
            {
                int colon = line.IndexOf(':');
                if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            return (status, headers, leftover);
        }
    }

    static int IndexOfBlankLine(ReadOnlySpan<byte> data) => data.IndexOf("\r\n\r\n"u8);

    /// <summary>An error response's body: Content-Length, chunked, or until the daemon closes.</summary>
    internal static async Task<string> ReadBodyAsync(Stream stream, Dictionary<string, string> headers, byte[] leftover, int status, CancellationToken ct)
    {
        using var reader = new StreamReader(UnixSocketHandler.Body(new PrefixedStream(leftover, stream), status, headers), Encoding.UTF8);
        return await reader.ReadToEndAsync(ct);
    }
}

/// <summary>A stream that first returns bytes already read (past the HTTP head), then the rest of the inner stream. Writes go to the inner stream.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : MiniContainer.Storage.ForwardOnlyStream
{
    int _offset;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_offset < prefix.Length)
        {
            int n = Math.Min(buffer.Length, prefix.Length - _offset);
            prefix.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }
        return inner.Read(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_offset < prefix.Length) return ValueTask.FromResult(Read(buffer.Span));
        return inner.ReadAsync(buffer, ct);
    }

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => inner.WriteAsync(buffer, ct);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.WriteAsync(buffer, offset, count, ct);
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);

    public override bool CanRead => true;
    public override bool CanWrite => inner.CanWrite;

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
