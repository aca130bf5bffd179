using System.Net;
using System.Net.Sockets;
using MiniContainer.Networking.Firewall;
using MiniContainer.Networking.Ports;
using Xunit;

namespace MiniContainer.NativeTests.Networking;

/// <summary>The nftables table against the real kernel, on a scene of bridges and namespaces built for the test
/// (see <see cref="FirewallScene"/>). Each check is made before the rules too where that shows the rules did it.</summary>
public sealed class FirewallTests
{
    static IPEndPoint At(IPAddress a, int port) => new(a, port);

    static void NoForeignForwardDrop()
    {
        var drops = FirewallScene.ForeignForwardDrops();
        Assert.True(drops.Count == 0,
            "another table drops forwarded traffic by policy, which no accept in our table can overrule: " + string.Join("; ", drops));
    }

    [Fact]
    public async Task Networks_are_isolated_but_a_bridge_talks_within_itself()
    {
        NoForeignForwardDrop();
        using var scene = new FirewallScene();
        using var b1 = scene.Listen("b1", IPAddress.Any, 7000);
        using var a2 = scene.Listen("a2", IPAddress.Any, 7000);
        // Without our table the host routes between the bridges: the test can see a difference.
        Assert.NotNull(await scene.TryConnect("a1", b1, At(scene.Addr(2, 2), 7000)));

        scene.Firewall.Apply(scene.Networks, []);
        Assert.Null(await scene.TryConnect("a1", b1, At(scene.Addr(2, 2), 7000)));
        Assert.Equal(scene.Addr(1, 2), (await scene.TryConnect("a1", a2, At(scene.Addr(1, 3), 7000)))?.Address);
        using var a1 = scene.Listen("a1", IPAddress.Any, 7001);
        Assert.Null(await scene.TryConnect("b1", a1, At(scene.Addr(1, 2), 7001)));
    }

    [Fact]
    public async Task Outbound_traffic_is_masqueraded_as_the_hosts_address()
    {
        NoForeignForwardDrop();
        using var scene = new FirewallScene();
        using var outside = scene.Listen("out", IPAddress.Any, 7100);
        // The outside has no route back to 10.N.1.0/24: without masquerade the handshake cannot finish.
        Assert.Null(await scene.TryConnect("a1", outside, At(scene.Addr(9, 2), 7100), TimeSpan.FromSeconds(1)));

        scene.Firewall.Apply(scene.Networks, []);
        Assert.Equal("1", File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim());
        var seen = await scene.TryConnect("a1", outside, At(scene.Addr(9, 2), 7100));
        Assert.Equal(scene.Addr(9, 1), seen?.Address);
        Assert.Equal(scene.Addr(9, 1), (await scene.TryConnect("b1", outside, At(scene.Addr(9, 2), 7100)))?.Address);
    }

    [Fact]
    public async Task An_internal_network_reaches_nothing_but_dns_on_its_gateway()
    {
        NoForeignForwardDrop();
        using var scene = new FirewallScene();
        scene.Firewall.Apply(scene.Networks, []);
        IPAddress gateway = scene.Addr(3, 1);

        using var outside = scene.Listen("out", IPAddress.Any, 7200);
        Assert.Null(await scene.TryConnect("i1", outside, At(scene.Addr(9, 2), 7200)));
        using var a1 = scene.Listen("a1", IPAddress.Any, 7200);
        Assert.Null(await scene.TryConnect("i1", a1, At(scene.Addr(1, 2), 7200)));
        using var i1Closed = scene.Listen("i1", IPAddress.Any, 7201);
        Assert.Null(await scene.TryConnect("a1", i1Closed, At(scene.Addr(3, 2), 7201)));

        // The host itself: DNS on the gateway (UDP and TCP) gets through, any other port does not.
        using var dnsUdp = scene.Socket(null, SocketType.Dgram);
        dnsUdp.Bind(At(gateway, 53));
        Assert.True(await scene.UdpRoundTrip("i1", dnsUdp, At(gateway, 53)));
        using var dnsTcp = scene.Listen(null, gateway, 53);
        Assert.NotNull(await scene.TryConnect("i1", dnsTcp, At(gateway, 53)));
        using var web = scene.Listen(null, gateway, 7202);
        Assert.Null(await scene.TryConnect("i1", web, At(gateway, 7202)));
        // ...while the host can still open connections into the internal network.
        using var i1 = scene.Listen("i1", IPAddress.Any, 7203);
        Assert.NotNull(await scene.TryConnect(null, i1, At(scene.Addr(3, 2), 7203)));
    }

    [Fact]
    public async Task A_published_port_is_reachable_from_other_addresses_and_unpublished_ports_are_not()
    {
        NoForeignForwardDrop();
        using var scene = new FirewallScene();
        using var web = scene.Listen("a1", IPAddress.Any, 80);
        using var secret = scene.Listen("a1", IPAddress.Any, 81);
        var container = scene.Addr(1, 2);
        int hostPort = 18000 + Random.Shared.Next(1000);
        var published = new PortMapping("tcp", IPAddress.Any, hostPort, container, 80);
        using var dns = scene.Socket("a1", SocketType.Dgram);
        dns.Bind(At(IPAddress.Any, 53));
        var publishedUdp = new PortMapping("udp", IPAddress.Any, hostPort, container, 53);
        // Give the outside a route to the container subnet, so only the firewall stands in the way.
        FirewallScene.Run("ip", "-n", scene.Ns("out"), "route", "add", $"10.{scene.N}.1.0/24", "via", $"10.{scene.N}.9.1");
        Assert.NotNull(await scene.TryConnect("out", secret, At(container, 81)));   // routed straight in, before our rules

        scene.Firewall.Apply(scene.Networks, [published, publishedUdp]);
        // UDP too, on the same host port number.
        Assert.True(await scene.UdpRoundTrip("out", dns, At(scene.Addr(9, 1), hostPort)));
        // From the outside, to the host's address there: DNAT in prerouting; the container sees the real client.
        Assert.Equal(scene.Addr(9, 2), (await scene.TryConnect("out", web, At(scene.Addr(9, 1), hostPort)))?.Address);
        // From the host itself to a non-loopback local address: DNAT in output.
        Assert.NotNull(await scene.TryConnect(null, web, At(scene.Addr(9, 1), hostPort)));
        // From a container on another network, through its gateway address.
        Assert.NotNull(await scene.TryConnect("b1", web, At(scene.Addr(2, 1), hostPort)));
        // Straight to the container: neither the published container port nor another one.
        Assert.Null(await scene.TryConnect("out", secret, At(container, 81)));
        Assert.Null(await scene.TryConnect("out", web, At(container, 80)));

        // Loopback is the userland proxy's: with it running, 127.0.0.1 works too.
        await using (var proxy = PortProxy.Start(published with { HostIp = IPAddress.Loopback }))
            Assert.NotNull(await scene.TryConnect(null, web, At(IPAddress.Loopback, hostPort)));
    }

    [Fact]
    public void Reapplying_replaces_the_table_and_remove_deletes_it()
    {
        using var scene = new FirewallScene();
        var port = new PortMapping("tcp", IPAddress.Any, 18999, scene.Addr(1, 2), 80);
        scene.Firewall.Apply(scene.Networks, [port]);
        string first = scene.Firewall.List();
        scene.Firewall.Apply(scene.Networks, [port]);
        scene.Firewall.Apply(scene.Networks, [port]);
        Assert.Equal(first, scene.Firewall.List());
        Assert.Single(first.Split('\n'), l => l.Contains("dnat ip to"));

        scene.Firewall.Apply(scene.Networks.Take(1).ToList(), []);
        Assert.DoesNotContain("dnat", scene.Firewall.List());
        Assert.DoesNotContain(scene.Bridge("b"), scene.Firewall.List());

        scene.Firewall.Remove();
        Assert.False(scene.Firewall.Exists());
        scene.Firewall.Remove();   // absent: no error
    }

    [Fact]
    public void A_bad_ruleset_leaves_the_old_table_in_place()
    {
        using var scene = new FirewallScene();
        scene.Firewall.Apply(scene.Networks, []);
        string before = scene.Firewall.List();
        // A bridge name nft refuses (too long for an interface name) cannot be rendered; the kernel keeps the old table.
        Assert.ThrowsAny<Exception>(() => scene.Firewall.Apply([.. scene.Networks, new FirewallNetwork("mct-much-too-long-name", IPNetwork.Parse("10.254.0.0/24"), false)], []));
        Assert.Equal(before, scene.Firewall.List());
    }
}
