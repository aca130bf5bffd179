using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MiniContainer.Linux;

namespace MiniContainer.Networking.Ports;

/// <summary>
/// TCP side of the userland proxy: an accept loop, and per connection a second socket to the container with two
/// copy loops between them. A FIN from one side becomes shutdown(SHUT_WR) on the other, so half-closed protocols
/// (a client that sends its request and then closes its sending side) still get their answer; a reset or error on
/// either side closes both. Every connection is tracked, so disposing closes them all and waits for their tasks.
/// </summary>
internal sealed class TcpPortRelay : IAsyncDisposable
{
    /// <summary>The most one splice(2) moves, and the size asked for each direction's pipe: few system calls per
    /// megabyte on a fast stream. A pipe holds pages only while data sits in it, so an idle connection costs little.</summary>
    const int PipeSize = 1024 * 1024;

    /// <summary>The buffer for the slow path, when the receiving side has no room and .NET must wait for it.</summary>
    const int SlowPathBuffer = 64 * 1024;

    readonly Socket listener;
    readonly IPEndPoint target;
    readonly CancellationTokenSource stopping = new();
    readonly ConcurrentDictionary<Connection, byte> connections = new();
    Task acceptLoop = Task.CompletedTask;

    TcpPortRelay(Socket listener, IPEndPoint target) { this.listener = listener; this.target = target; }

    public int BoundPort => ((IPEndPoint)listener.LocalEndPoint!).Port;

    public static TcpPortRelay Start(Socket boundListener, IPEndPoint target)
    {
        var relay = new TcpPortRelay(boundListener, target);
        boundListener.Listen(4096);
        relay.acceptLoop = Task.Run(relay.AcceptLoop);
        return relay;
    }

    async Task AcceptLoop()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptAsync(stopping.Token); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset) { continue; }
            catch (SocketException e)
            {
                // EMFILE and friends: wait a moment rather than spin; the listener itself is still good.
                Log.Warn($"proxy {listener.LocalEndPoint}: accept failed: {e.Message}");
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }
            var connection = new Connection(client, new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
            connections[connection] = 0;
            connection.Task = Relay(connection);
        }
    }

    async Task Relay(Connection c)
    {
        try
        {
            c.Client.NoDelay = true;
            c.Upstream.NoDelay = true;
            try { await c.Upstream.ConnectAsync(target, stopping.Token); }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                if (e is SocketException) Log.Trace($"proxy: cannot reach {target}: {e.Message}");
                return;
            }
            // splice(2) blocks on a blocking socket whatever its flags say: make both fds O_NONBLOCK first.
            c.Client.Blocking = false;
            c.Upstream.Blocking = false;
            await Task.WhenAll(Pump(c.Client, c.Upstream, c), Pump(c.Upstream, c.Client, c));
        }
        catch (Exception e)
        {
            // Whatever went wrong, it ends this connection only (and DisposeAsync must not see it as a failure).
            Log.Warn($"proxy {target}: connection ended by {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            c.Client.Dispose();
            c.Upstream.Dispose();
            connections.TryRemove(c, out _);
        }
    }

    /// <summary>
    /// Copies from → to until from's end of stream (then shuts down to's sending side) or an error (then shuts both
    /// connections down, which also ends the copy the other way). The bytes go socket → pipe → socket with splice(2),
    /// never through user memory (Docker's Go proxy gets the same from Go's io.Copy). When there is nothing to read,
    /// a one-byte MSG_PEEK receive lets .NET's event loop wait for data; when `to` has no room, the rest of the chunk
    /// goes through a small buffer with SendAsync, which waits for room the same way.
    /// </summary>
    static async Task Pump(Socket from, Socket to, Connection c)
    {
        int pipeRead, pipeWrite;
        try { (pipeRead, pipeWrite) = Kernel.NonBlockingPipe(); }
        catch (KernelException)
        {
            // Out of file descriptors (EMFILE/ENFILE): this connection still works, through user memory.
            await CopyPump(from, to, c);
            return;
        }
        byte[] peek = new byte[1];
        byte[]? slowPath = null;
        try
        {
            Kernel.TrySetPipeSize(pipeWrite, PipeSize);
            int inFd = (int)from.SafeHandle.DangerousGetHandle(), outFd = (int)to.SafeHandle.DangerousGetHandle();
            while (true)
            {
                long n = Kernel.Splice(inFd, pipeWrite, PipeSize);
                if (n < 0)
                {
                    await from.ReceiveAsync(peek, SocketFlags.Peek);
                    continue;
                }
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                while (n > 0)
                {
                    long moved = Kernel.Splice(pipeRead, outFd, n);
                    if (moved < 0)
                    {
                        slowPath ??= ArrayPool<byte>.Shared.Rent(SlowPathBuffer);
                        moved = Kernel.Read(pipeRead, slowPath.AsSpan(0, (int)Math.Min(n, slowPath.Length)));
                        await to.SendAsync(slowPath.AsMemory(0, (int)moved), SocketFlags.None);
                    }
                    n -= moved;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or KernelException)
        {
            c.Stop();
        }
        finally
        {
            Kernel.Close(pipeRead);
            Kernel.Close(pipeWrite);
            if (slowPath is not null) ArrayPool<byte>.Shared.Return(slowPath);
        }
    }

    /// <summary>The same relay as <see cref="Pump"/>, copying through a pooled buffer with ReceiveAsync/SendAsync.</summary>
    static async Task CopyPump(Socket from, Socket to, Connection c)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SlowPathBuffer);
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            c.Stop();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        listener.Dispose();
        await acceptLoop.ConfigureAwait(false);
        foreach (var c in connections.Keys) c.Stop();
        await Task.WhenAll(connections.Keys.Select(c => c.Task)).ConfigureAwait(false);
        stopping.Dispose();
    }

    sealed class Connection(Socket client, Socket upstream)
    {
        public Socket Client { get; } = client;
        public Socket Upstream { get; } = upstream;
        public Task Task { get; set; } = Task.CompletedTask;

        /// <summary>shutdown(SHUT_RDWR) on both sockets: each peer gets a FIN, and the copy loops' pending receives
        /// and sends return, so the relay ends and closes the sockets itself. (Disposing a socket with an operation
        /// still pending would make .NET close it abortively: the peer would see a reset.)</summary>
        public void Stop()
        {
            Shutdown(Client);
            Shutdown(Upstream);
        }

        static void Shutdown(Socket s)
        {
            try { s.Shutdown(SocketShutdown.Both); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }
    }
}
