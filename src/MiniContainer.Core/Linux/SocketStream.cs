using Microsoft.Win32.SafeHandles;

namespace MiniContainer.Linux;

/// <summary>
/// A connected unix socket's fd as a blocking Stream: recv(2) and send(2), nothing else. For the shim's control socket,
/// where System.Net.Sockets would cost more than it gives: its first Socket starts the runtime's epoll thread (which
/// the shim never uses, as its reads block on their own threads) and probes the host's IPv4 and IPv6 support.
/// The fd is held by a SafeHandle: Dispose closes it only once every read or write still in progress on another
/// thread has returned, so no call can reach a new fd that reuses the number.
/// </summary>
public sealed class SocketStream(int fd) : Storage.ForwardOnlyStream
{
    private readonly SafeFileHandle _socket = new(fd, ownsHandle: true);

    public override bool CanRead => true;
    public override bool CanWrite => true;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try { return Kernel.Receive(_socket, buffer); }
        catch (KernelException e) { throw new IOException(e.Message, e); }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try { Kernel.SendAll(_socket, buffer); }
        catch (KernelException e) { throw new IOException(e.Message, e); }
    }

    public override void Flush() { }

    /// <summary>Ends the connection both ways: the peer sees the end, and a read waiting here returns 0.</summary>
    public void Shutdown()
    {
        if (!_socket.IsClosed) Kernel.ShutdownBoth(_socket);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _socket.Dispose();
        base.Dispose(disposing);
    }
}
