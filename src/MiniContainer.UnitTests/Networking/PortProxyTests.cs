using System.Net;
using System.Net.Sockets;
using System.Text;
using MiniContainer.Networking.Firewall;
using MiniContainer.Networking.Ports;
using Xunit;

namespace MiniContainer.UnitTests.Networking;

/// <summary>The userland proxy on loopback: a test server stands in for the container.</summary>
public sealed class PortProxyTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    static PortMapping Tcp(int hostPort, int containerPort) => new("tcp", IPAddress.Loopback, hostPort, IPAddress.Loopback, containerPort);
    static PortMapping Udp(int hostPort, int containerPort) => new("udp", IPAddress.Loopback, hostPort, IPAddress.Loopback, containerPort);

    static Socket Listen()
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(1024);
        return server;
    }

    static int Port(Socket s) => ((IPEndPoint)s.LocalEndPoint!).Port;

    static async Task<Socket> Connect(int port)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return client;
    }

    static async Task<byte[]> ReadToEnd(Socket s)
    {
        var all = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await s.ReceiveAsync(buffer, SocketFlags.None)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    /// <summary>An echo server that answers every connection by echoing until end of stream, then sends "bye" and closes.</summary>
    static async Task EchoServer(Socket server, CancellationToken stop)
    {
        var handlers = new List<Task>();
        try
        {
            while (true)
            {
                var conn = await server.AcceptAsync(stop);
                handlers.Add(Task.Run(async () =>
                {
                    using (conn)
                    {
                        byte[] data = await ReadToEnd(conn);
                        await conn.SendAsync(data, SocketFlags.None);
                        await conn.SendAsync("bye"u8.ToArray(), SocketFlags.None);
                        conn.Shutdown(SocketShutdown.Send);
                    }
                }));
            }
        }
        catch (OperationCanceledException) { }
        await Task.WhenAll(handlers);
    }

    [Fact]
    public async Task Relays_a_stream_and_propagates_half_close_both_ways()
    {
        using var server = Listen();
        using var stop = new CancellationTokenSource();
        var serving = EchoServer(server, stop.Token);
        await using (var proxy = PortProxy.Start(Tcp(0, Port(server))))
        {
            using var client = await Connect(proxy.BoundPort);
            byte[] payload = new byte[5_000_000];
            Random.Shared.NextBytes(payload);
            // The server answers only after it saw our end of stream: that needs the proxy to pass our FIN on.
            var reading = ReadToEnd(client);
            await client.SendAsync(payload, SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
            byte[] answer = await reading.WaitAsync(Timeout);
            Assert.Equal(payload.Length + 3, answer.Length);
            Assert.True(answer.AsSpan(0, payload.Length).SequenceEqual(payload));
            Assert.Equal("bye", Encoding.ASCII.GetString(answer, payload.Length, 3));
        }
        stop.Cancel();
        await serving.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Many_concurrent_connections_each_get_their_own_answer()
    {
        using var server = Listen();
        using var stop = new CancellationTokenSource();
        var serving = EchoServer(server, stop.Token);
        await using (var proxy = PortProxy.Start(Tcp(0, Port(server))))
        {
            var clients = Enumerable.Range(0, 200).Select(async i =>
            {
                using var client = await Connect(proxy.BoundPort);
                byte[] message = Encoding.ASCII.GetBytes($"client {i} " + new string('x', i * 100));
                var reading = ReadToEnd(client);
                await client.SendAsync(message, SocketFlags.None);
                client.Shutdown(SocketShutdown.Send);
                Assert.Equal(Encoding.ASCII.GetString(message) + "bye", Encoding.ASCII.GetString(await reading));
            });
            await Task.WhenAll(clients).WaitAsync(Timeout);
        }
        stop.Cancel();
        await serving.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Disposing_closes_open_connections_and_frees_the_port()
    {
        using var server = Listen();
        var proxy = PortProxy.Start(Tcp(0, Port(server)));
        int port = proxy.BoundPort;
        using var client = await Connect(port);
        using var accepted = await server.AcceptAsync().WaitAsync(Timeout);   // the proxy's upstream connection
        await proxy.DisposeAsync().AsTask().WaitAsync(Timeout);
        // Both sides see the end: the client's connection and the one to the "container".
        Assert.Empty(await ReadToEnd(client).WaitAsync(Timeout));
        Assert.Empty(await ReadToEnd(accepted).WaitAsync(Timeout));
        // The port can be bound again at once.
        await using var again = PortProxy.Start(Tcp(port, Port(server)));
        Assert.Equal(port, again.BoundPort);
    }

    [Fact]
    public async Task A_container_that_does_not_answer_closes_the_client()
    {
        using var closed = Listen();
        int deadPort = Port(closed);
        closed.Dispose();   // nothing listens there now: connect is refused
        await using var proxy = PortProxy.Start(Tcp(0, deadPort));
        using var client = await Connect(proxy.BoundPort);
        Assert.Empty(await ReadToEnd(client).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_taken_port_is_refused_with_dockers_message()
    {
        using var squatter = Listen();
        int port = Port(squatter);
        var e = Assert.Throws<PortInUseException>(() => PortProxy.Start(Tcp(port, 80)));
        Assert.Equal($"Bind for 127.0.0.1:{port} failed: port is already allocated", e.Message);

        using var udpSquatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udpSquatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int udpPort = Port(udpSquatter);
        Assert.Throws<PortInUseException>(() => PortProxy.Start(Udp(udpPort, 80)));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_port_another_proxy_listens_on_is_refused()
    {
        // Another daemon on the same host (two root processes): with SO_REUSEPORT both binds succeeded and the kernel
        // split the connections between the two daemons' containers. Only SO_REUSEADDR is set now.
        await using var first = PortProxy.Start(Tcp(0, 80));
        var e = Assert.Throws<PortInUseException>(() => PortProxy.Start(Tcp(first.BoundPort, 80)));
        Assert.Equal($"Bind for 127.0.0.1:{first.BoundPort} failed: port is already allocated", e.Message);
    }

    [Fact]
    public async Task Host_port_zero_binds_an_ephemeral_port()
    {
        using var server = Listen();
        await using var a = PortProxy.Start(Tcp(0, Port(server)));
        await using var b = PortProxy.Start(Tcp(0, Port(server)));
        Assert.InRange(a.BoundPort, 1024, 65535);
        Assert.NotEqual(a.BoundPort, b.BoundPort);
        using var client = await Connect(a.BoundPort);   // really listening there
    }

    [Fact]
    public async Task Udp_datagrams_go_round_trip_per_client()
    {
        using var container = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        container.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        // The "container" answers each datagram with "re:" + the datagram, to whoever sent it (the proxy's flow socket).
        var answering = Task.Run(async () =>
        {
            var buffer = new byte[65535];
            try
            {
                while (true)
                {
                    var r = await container.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop.Token);
                    byte[] reply = [.. "re:"u8.ToArray(), .. buffer.AsSpan(0, r.ReceivedBytes).ToArray()];
                    await container.SendToAsync(reply, SocketFlags.None, r.RemoteEndPoint);
                }
            }
            catch (OperationCanceledException) { }
        });

        await using (var proxy = PortProxy.Start(Udp(0, Port(container))))
        {
            async Task<string> Ask(Socket client, string text)
            {
                await client.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);
                var buffer = new byte[65535];
                int n = await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Timeout);
                return Encoding.ASCII.GetString(buffer, 0, n);
            }
            using var one = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            using var two = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            one.Connect(IPAddress.Loopback, proxy.BoundPort);
            two.Connect(IPAddress.Loopback, proxy.BoundPort);
            Assert.Equal("re:one", await Ask(one, "one"));
            Assert.Equal("re:two", await Ask(two, "two"));
            Assert.Equal("re:one again", await Ask(one, "one again"));
            string big = new('z', 60000);
            Assert.Equal("re:" + big, await Ask(two, big));
        }
        stop.Cancel();
        await answering.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Idle_udp_flows_are_closed_and_a_new_datagram_opens_a_new_one()
    {
        using var container = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        container.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var proxy = PortProxy.Start(Udp(0, Port(container)), TimeSpan.FromMilliseconds(200));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(IPAddress.Loopback, proxy.BoundPort);
        var buffer = new byte[100];

        await client.SendAsync("a"u8.ToArray(), SocketFlags.None);
        var first = await container.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0)).WaitAsync(Timeout);
        await Task.Delay(700);   // > idle timeout: that flow's socket is closed
        await client.SendAsync("b"u8.ToArray(), SocketFlags.None);
        var second = await container.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0)).WaitAsync(Timeout);
        // A new flow means a new source port towards the container.
        Assert.NotEqual(((IPEndPoint)first.RemoteEndPoint).Port, ((IPEndPoint)second.RemoteEndPoint).Port);
    }
}
