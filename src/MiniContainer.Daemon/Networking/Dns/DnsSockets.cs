using System.Net;
using System.Net.Sockets;

namespace MiniContainer.Networking.Dns;

/// <summary>The two sockets a DNS server listens on: UDP and TCP on one address and port.</summary>
public static class DnsSockets
{
    /// <summary>
    /// Binds UDP, then TCP on the same address and port (port 0: the kernel picks one for UDP, TCP follows it).
    /// A busy port or an address not on this host is an IOException naming the endpoint.
    /// </summary>
    /// <summary>As <see cref="Bind"/>, but the sockets are made inside the network namespace at nsPath
    /// (/proc/PID/ns/net) and stay there: a container's own 127.0.0.11.</summary>
    public static (Socket Udp, Socket Tcp) BindInNamespace(string nsPath, IPEndPoint endpoint) =>
        MiniContainer.Linux.NetNamespace.Create(nsPath, () => Bind(endpoint));

    public static (Socket Udp, Socket Tcp) Bind(IPEndPoint endpoint)
    {
        for (int attempt = 1; ; attempt++)
        {
            Socket? udp = null, tcp = null;
            try
            {
                udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                // Room for a burst of questions while the server is busy: the default (net.core.rmem_default, 208 KB) fills
                // up with a few hundred small datagrams. The kernel caps it at net.core.rmem_max.
                udp.ReceiveBufferSize = 1 << 20;
                udp.Bind(endpoint);
                tcp = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                // A restarted daemon must rebind while its old connections sit in TIME_WAIT (and only it: not SO_REUSEPORT).
                ReuseAddress.Set(tcp);
                tcp.Bind(udp.LocalEndPoint!); // the same port as UDP, also when the port was picked by the kernel
                tcp.Listen(128);
                return (udp, tcp);
            }
            catch (SocketException e)
            {
                udp?.Dispose();
                tcp?.Dispose();
                // Port 0: the kernel's free UDP port may be a busy TCP port; another pick will do.
                if (endpoint.Port == 0 && e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 20) continue;
                throw new IOException($"embedded DNS server: cannot listen on {endpoint} (udp and tcp): {e.Message}", e);
            }
        }
    }
}
