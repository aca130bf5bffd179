using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace MiniContainer.Networking.Ports;

/// <summary>
/// UDP side of the userland proxy. UDP has no connections, so the relay keeps one "flow" per client address:
/// a socket connected to the container, whose replies go back to that client from the listening socket. A flow
/// that carries nothing either way for the idle timeout is closed (Docker's proxy uses 90 s too).
/// </summary>
internal sealed class UdpPortRelay : IAsyncDisposable
{
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(90);
    const int MaxDatagram = 65535;

    readonly Socket listener;
    readonly IPEndPoint target;
    readonly TimeSpan idleTimeout;
    readonly CancellationTokenSource stopping = new();
    readonly ConcurrentDictionary<IPEndPoint, Flow> flows = new();
    Task receiveLoop = Task.CompletedTask, sweepLoop = Task.CompletedTask;

    UdpPortRelay(Socket listener, IPEndPoint target, TimeSpan idleTimeout)
    {
        this.listener = listener;
        this.target = target;
        this.idleTimeout = idleTimeout;
    }

    public int BoundPort => ((IPEndPoint)listener.LocalEndPoint!).Port;

    /// <summary>How many clients have an open flow now.</summary>
    public int FlowCount => flows.Count;

    public static UdpPortRelay Start(Socket boundListener, IPEndPoint target, TimeSpan idleTimeout)
    {
        var relay = new UdpPortRelay(boundListener, target, idleTimeout);
        relay.receiveLoop = Task.Run(relay.ReceiveLoop);
        relay.sweepLoop = Task.Run(relay.SweepLoop);
        return relay;
    }

    /// <summary>Client → container: each datagram goes out through its client's flow.</summary>
    async Task ReceiveLoop()
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        EndPoint any = new IPEndPoint(listener.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try { received = await listener.ReceiveFromAsync(buffer, SocketFlags.None, any, stopping.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException) { continue; }   // an ICMP error from an earlier reply to a client; nothing to do

            var client = (IPEndPoint)received.RemoteEndPoint;
            if (!flows.TryGetValue(client, out var flow) || flow.Closed)
            {
                flow = new Flow(client, new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
                try { flow.Upstream.Connect(target); }
                catch (SocketException e)
                {
                    Log.Trace($"proxy: cannot reach {target}: {e.Message}");
                    flow.Upstream.Dispose();
                    continue;
                }
                flows[client] = flow;
                flow.Task = Replies(flow);
            }
            flow.Touch();
            try { await flow.Upstream.SendAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }   // container not listening (yet): UDP drops
        }
    }

    /// <summary>Container → client, for one flow, until the flow is closed.</summary>
    async Task Replies(Flow flow)
    {
        byte[] buffer = new byte[MaxDatagram];
        try
        {
            while (true)
            {
                int n;
                try { n = await flow.Upstream.ReceiveAsync(buffer, SocketFlags.None); }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { continue; }   // ICMP port unreachable
                flow.Touch();
                await listener.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, flow.Client);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        finally
        {
            flow.Close();
            flows.TryRemove(new KeyValuePair<IPEndPoint, Flow>(flow.Client, flow));
        }
    }

    /// <summary>Closes flows that were silent for the idle timeout (their reply loops then end).</summary>
    async Task SweepLoop()
    {
        var period = TimeSpan.FromTicks(Math.Max(idleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token))
                foreach (var flow in flows.Values)
                    if (flow.IdleFor > idleTimeout) flow.Close();
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        listener.Dispose();
        await Task.WhenAll(receiveLoop, sweepLoop).ConfigureAwait(false);
        foreach (var flow in flows.Values) flow.Close();
        await Task.WhenAll(flows.Values.Select(f => f.Task)).ConfigureAwait(false);
        stopping.Dispose();
    }

    sealed class Flow(IPEndPoint client, Socket upstream)
    {
        long lastActive = Environment.TickCount64;
        volatile bool closed;
        public IPEndPoint Client { get; } = client;
        public Socket Upstream { get; } = upstream;
        public Task Task { get; set; } = Task.CompletedTask;
        public bool Closed => closed;

        public void Close()
        {
            closed = true;
            Upstream.Dispose();
        }

        public void Touch() => Volatile.Write(ref lastActive, Environment.TickCount64);
        public TimeSpan IdleFor => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref lastActive));
    }
}
