using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace MiniContainer.Networking.Dns;

/// <summary>
/// One network's DNS server, like the one Docker embeds for user-defined networks: it listens on UDP and TCP at
/// one address (the network's gateway), answers the network's own names from <see cref="IDnsRecords"/> at once,
/// and forwards every other question to the host's resolvers (<see cref="DnsForwarder"/>). A malformed packet is
/// dropped (or answered FORMERR) and the server carries on.
/// </summary>
public sealed class EmbeddedDnsServer : IAsyncDisposable
{
    /// <summary>Forwards waiting on upstreams at once; beyond this a question gets SERVFAIL at once instead of memory.</summary>
    public const int MaxForwardsInFlight = 512;
    /// <summary>TCP clients served at once; further ones wait in the listen backlog until one leaves.</summary>
    public const int MaxTcpConnections = 256;
    /// <summary>A TCP client silent this long between messages is disconnected (RFC 7766 suggests seconds).</summary>
    public static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _udp, _tcp;
    private readonly IDnsRecords _records;
    private readonly DnsForwarder _forwarder;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, bool> _connections = new();
    private readonly SemaphoreSlim _connectionSlots = new(MaxTcpConnections);
    private readonly Task _udpLoop, _tcpLoop;
    private int _forwardsInFlight;
    private long _lastOverloadWarning = -10_000; // Environment.TickCount64 of the last warning: one per 10 s at most

    public IPEndPoint Endpoint { get; }

    private EmbeddedDnsServer(Socket udp, Socket tcp, IDnsRecords records, Func<IReadOnlyList<IPEndPoint>> upstreams, TimeSpan forwardTimeout)
    {
        _udp = udp;
        _tcp = tcp;
        _records = records;
        Endpoint = (IPEndPoint)udp.LocalEndPoint!;
        _forwarder = new DnsForwarder(upstreams, forwardTimeout, self: Endpoint);
        _udpLoop = Task.Run(ServeUdpAsync);
        _tcpLoop = Task.Run(AcceptTcpAsync);
    }

    /// <summary>
    /// Binds UDP and TCP on <paramref name="endpoint"/> (e.g. 172.18.0.1:53; port 0 picks a free port, the same for
    /// both) and starts answering. A busy port or an address not on this host is an IOException naming the endpoint.
    /// <paramref name="upstreams"/> is asked at each forward, so changes to the host's resolvers apply at once.
    /// </summary>
    public static EmbeddedDnsServer Start(IPEndPoint endpoint, IDnsRecords records, Func<IReadOnlyList<IPEndPoint>> upstreams) =>
        Start(endpoint, records, upstreams, DnsForwarder.DefaultTimeout);

    /// <summary>As above, with how long each upstream gets to answer before the next one is asked.</summary>
    public static EmbeddedDnsServer Start(IPEndPoint endpoint, IDnsRecords records, Func<IReadOnlyList<IPEndPoint>> upstreams, TimeSpan forwardTimeout)
    {
        var (udp, tcp) = DnsSockets.Bind(endpoint);
        return new EmbeddedDnsServer(udp, tcp, records, upstreams, forwardTimeout);
    }

    /// <summary>Serves sockets bound elsewhere (<see cref="DnsSockets"/>; e.g. inside a container's network namespace).
    /// The server owns them from now on: disposing it closes them.</summary>
    public static EmbeddedDnsServer Serve(Socket udp, Socket tcp, IDnsRecords records, Func<IReadOnlyList<IPEndPoint>> upstreams) =>
        new(udp, tcp, records, upstreams, DnsForwarder.DefaultTimeout);

    private async Task ServeUdpAsync()
    {
        var buffer = new byte[0x10000];
        EndPoint anyClient = new IPEndPoint(Endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try { received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, anyClient, _stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                if (_stop.IsCancellationRequested) return;
                Log.Trace($"dns {Endpoint}: udp receive: {e.Message}");
                continue;
            }
            var client = (IPEndPoint)received.RemoteEndPoint;
            var packet = buffer.AsSpan(0, received.ReceivedBytes);
            DnsDecision decision;
            try { decision = DnsQueryRouter.Decide(packet, client.Address, _records, overTcp: false); }
            catch (Exception e) // a bug behind one question must not stop the server
            {
                Log.Error($"dns {Endpoint}: answering {client}: {e}");
                continue;
            }
            if (decision.Reply != null) SendUdp(decision.Reply, client);
            else if (decision.Forward != null) _ = ForwardOverUdpAsync(packet.ToArray(), decision.Forward, client);
        }
    }

    private async Task ForwardOverUdpAsync(byte[] packet, DnsMessage query, IPEndPoint client) =>
        SendUdp(await ForwardAsync(packet, query, overTcp: false), client);

    private void SendUdp(byte[] reply, IPEndPoint client)
    {
        try { _udp.SendTo(reply, SocketFlags.None, client); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!_stop.IsCancellationRequested) Log.Trace($"dns {Endpoint}: udp reply to {client}: {e.Message}");
        }
    }

    private async Task<byte[]> ForwardAsync(byte[] packet, DnsMessage query, bool overTcp)
    {
        try
        {
            if (Interlocked.Increment(ref _forwardsInFlight) > MaxForwardsInFlight)
            {
                long now = Environment.TickCount64, last = Interlocked.Read(ref _lastOverloadWarning);
                if (now - last > 10_000 && Interlocked.CompareExchange(ref _lastOverloadWarning, now, last) == last)
                    Log.Warn($"dns {Endpoint}: {MaxForwardsInFlight} questions already wait on the upstream resolvers; answering SERVFAIL");
                return DnsQueryRouter.Relay(null, query, overTcp);
            }
            byte[]? answer = null;
            try { answer = await _forwarder.ForwardAsync(packet, query.Questions[0], _stop.Token); }
            catch (OperationCanceledException) { }
            return DnsQueryRouter.Relay(answer, query, overTcp);
        }
        finally { Interlocked.Decrement(ref _forwardsInFlight); }
    }

    private async Task AcceptTcpAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                await _connectionSlots.WaitAsync(_stop.Token);
                socket = await _tcp.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                _connectionSlots.Release();
                if (_stop.IsCancellationRequested) return;
                Log.Trace($"dns {Endpoint}: tcp accept: {e.Message}");
                continue;
            }
            _connections[socket] = true;
            _ = Task.Run(() => ServeTcpAsync(socket));
        }
    }

    /// <summary>One TCP client: length-prefixed questions answered in order until it closes, idles, or sends garbage.</summary>
    private async Task ServeTcpAsync(Socket socket)
    {
        try
        {
            var client = (IPEndPoint)socket.RemoteEndPoint!;
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            while (true)
            {
                byte[]? packet;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
                {
                    idle.CancelAfter(TcpIdleTimeout);
                    packet = await DnsTcpFraming.ReadAsync(stream, idle.Token);
                }
                if (packet == null) return;
                var decision = DnsQueryRouter.Decide(packet, client.Address, _records, overTcp: true);
                if (decision.IsDrop) return; // not a query: this is no DNS client
                var reply = decision.Reply ?? await ForwardAsync(packet, decision.Forward!, overTcp: true);
                await DnsTcpFraming.WriteAsync(stream, reply, _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        catch (Exception e) { Log.Error($"dns {Endpoint}: tcp client: {e}"); }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
            _connectionSlots.Release();
        }
    }

    /// <summary>Stops answering: closes both sockets and every TCP client; questions waiting on upstreams are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Dispose();
        foreach (var socket in _connections.Keys) socket.Dispose();
        await Task.WhenAll(_udpLoop, _tcpLoop); // _stop stays undisposed: forwards still in flight read its token
    }
}
