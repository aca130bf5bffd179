using System.Net;
using System.Net.Sockets;
using MiniContainer.Networking.Firewall;

namespace MiniContainer.Networking.Ports;

/// <summary>
/// The userland proxy of one published port: listens on HostIp:HostPort in the host's network namespace and relays
/// every connection (TCP) or every client's datagrams (UDP) to ContainerIp:ContainerPort. It is what makes
/// `curl 127.0.0.1:8080` work: traffic to the host's own loopback never passes a DNAT rule that could send it to a
/// bridge. Traffic from other addresses is DNATed by nftables before it reaches this listener.
/// </summary>
public sealed class PortProxy : IAsyncDisposable
{
    readonly IAsyncDisposable relay;

    PortProxy(IAsyncDisposable relay, int boundPort) { this.relay = relay; BoundPort = boundPort; }

    /// <summary>The port actually bound: HostPort, or the kernel's pick when HostPort was 0.</summary>
    public int BoundPort { get; }

    /// <summary>Binds HostIp:HostPort (0 = an ephemeral port, see <see cref="BoundPort"/>) and starts relaying.
    /// A taken port throws <see cref="PortInUseException"/>.</summary>
    public static PortProxy Start(PortMapping mapping) => Start(mapping, UdpPortRelay.DefaultIdleTimeout);

    /// <summary>As <see cref="Start(PortMapping)"/>, with the time after which a silent UDP client's flow is closed.</summary>
    public static PortProxy Start(PortMapping mapping, TimeSpan udpIdleTimeout)
    {
        var target = new IPEndPoint(mapping.ContainerIp, mapping.ContainerPort);
        var listen = new IPEndPoint(mapping.HostIp, mapping.HostPort);
        switch (mapping.Protocol)
        {
            case "tcp":
                var tcp = TcpPortRelay.Start(Bind(listen, SocketType.Stream, ProtocolType.Tcp, mapping), target);
                return new PortProxy(tcp, tcp.BoundPort);
            case "udp":
                var udp = UdpPortRelay.Start(Bind(listen, SocketType.Dgram, ProtocolType.Udp, mapping), target, udpIdleTimeout);
                return new PortProxy(udp, udp.BoundPort);
            default:
                throw new ArgumentException($"the userland proxy relays tcp and udp, not {mapping.Protocol}");
        }
    }

    /// <summary>Stops listening, closes every relayed connection and waits until all their work has ended.</summary>
    public ValueTask DisposeAsync() => relay.DisposeAsync();

    static Socket Bind(IPEndPoint endpoint, SocketType type, ProtocolType protocol, PortMapping mapping)
    {
        var socket = new Socket(endpoint.AddressFamily, type, protocol);
        try
        {
            // [::] means IPv6 only: 0.0.0.0 is a binding of its own, as in Docker.
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            // SO_REUSEADDR only: a restarted daemon may bind again while old connections sit in TIME_WAIT, but a port another
            // daemon (or any process) listens on stays taken, as for Docker.
            if (type == SocketType.Stream) ReuseAddress.Set(socket);
            socket.Bind(endpoint);
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new PortInUseException(mapping.HostIp, mapping.HostPort, mapping.Protocol, e);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"failed to bind host port {mapping.HostIp}:{mapping.HostPort}/{mapping.Protocol}: {e.Message}", e);
        }
    }
}
