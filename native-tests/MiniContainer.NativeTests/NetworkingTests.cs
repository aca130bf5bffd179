using System.Net;
using System.Net.Sockets;
using MiniContainer.NativeTests.Harness;
using MiniContainer.NativeTests.Networking;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// A private daemon with its own bridge names, nft table and subnets (never the real installation's), and its own
/// upstream "resolver" on loopback that answers NXDOMAIN to everything — no question ever leaves this machine.
/// All traffic goes between the test's own containers and the host's loopback.
/// </summary>
public sealed class NetworkDaemon : IDisposable
{
    public string Tag => Daemon.NetTag;
    public string Bridge => Daemon.Bridge;
    public string Table => Daemon.NftTable;
    public int Octet => Daemon.Octet;
    public NxdomainResolver Upstream { get; } = new();
    public Daemon Daemon { get; }

    public NetworkDaemon()
    {
        // The harness gives every test daemon its private bridge, veth and table names and subnets.
        try { Daemon = new Daemon("--dns-upstream", Upstream.Endpoint.ToString()); }
        catch { Upstream.Dispose(); throw; }
    }

    /// <summary>Links and the nft table this daemon's names could have left on the host.</summary>
    public List<string> Leftovers()
    {
        var left = Daemon.Exec("ip", ["-o", "link", "show"]).Stdout.Lines()
            .Select(l => l.Split(':')[1].Trim().Split('@')[0]).Where(n => n.StartsWith($"mct{Tag}", StringComparison.Ordinal)).ToList();
        if (Daemon.Exec("nft", ["list", "table", "inet", Table]).ExitCode == 0) left.Add("nft table " + Table);
        return left;
    }

    /// <summary>The end of a test class on this daemon: its log into the test's output, the daemon gone, and nothing of
    /// its names left on the host.</summary>
    public void EndTest(Xunit.Abstractions.ITestOutputHelper output)
    {
        try { output.WriteLine("--- daemon log ---\n" + File.ReadAllText(Daemon.LogFile)); } catch (IOException) { }
        Dispose();
        Assert.Empty(Leftovers());
    }

    /// <summary>The harness removes the containers, user networks, default bridge and table with the daemon.</summary>
    public void Dispose()
    {
        Daemon.Dispose();
        Upstream.Dispose();
    }
}

/// <summary>A loopback DNS "upstream" for tests: every question gets NXDOMAIN (RCODE 3).</summary>
public sealed class NxdomainResolver : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    public IPEndPoint Endpoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

    public NxdomainResolver() => _ = ServeAsync();

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult q;
            try { q = await _udp.ReceiveAsync(_stop.Token); } catch { return; }
            if (q.Buffer.Length < 12) continue;
            byte[] a = (byte[])q.Buffer.Clone();
            a[2] = (byte)(0x80 | (a[2] & 0x01));   // QR, keep RD
            a[3] = 0x83;                           // RA, RCODE 3 (NXDOMAIN)
            a[6] = a[7] = a[8] = a[9] = a[10] = a[11] = 0;   // no answers, no authority, no additional (drops EDNS)
            int end = 12;
            while (end < a.Length && a[end] != 0) end += a[end] + 1;
            await _udp.SendAsync(a.AsMemory(0, Math.Min(a.Length, end + 5)), q.RemoteEndPoint);
        }
    }

    public void Dispose() { _stop.Cancel(); _udp.Dispose(); }
}

/// <summary>Bridge networks end to end: the tutorial's two networks, published ports, IPAM across restarts, cleanup.</summary>
public sealed class NetworkingTests(ITestOutputHelper output) : IDisposable
{
    private readonly NetworkDaemon _net = new();
    private Daemon D => _net.Daemon;

    public void Dispose()
    {
        try { output.WriteLine("--- daemon log ---\n" + File.ReadAllText(D.LogFile)); } catch (IOException) { }
        _net.Dispose();
        Assert.Empty(_net.Leftovers());
    }

    private CommandResult Sh(string container, string script)
    {
        var r = D.Run("exec", container, "sh", "-c", script);
        output.WriteLine($"{container}$ {script}\n{r}");
        return r;
    }

    private bool Resolves(string from, string name) => Sh(from, $"nslookup {name}").Stdout.Contains("Name:");
    private bool Pings(string from, string target) => Sh(from, $"ping -c 1 -W 1 {target}").ExitCode == 0;
    private string Ip(string container, string network) =>
        D.Run("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", container).Ok().Stdout.Trim();

    [Fact]
    public void Tutorial_two_networks_names_isolation_connect_and_disconnect()
    {
        D.Run("network", "create", "authnet").Ok();
        D.Run("network", "create", "frontnet").Ok();
        foreach (var (name, network) in new[] { ("db-userauth", "authnet"), ("userauth", "authnet"), ("db-notes", "frontnet"), ("notes", "frontnet") })
            D.Run("run", "-d", "--name", name, "--network", network, "busybox", "sleep", "600").Ok();
        string userauthIp = Ip("userauth", "authnet");

        Assert.True(Resolves("notes", "db-notes"));
        Assert.True(Pings("notes", "db-notes"));
        var nx = Sh("notes", "nslookup userauth");
        Assert.Contains("NXDOMAIN", nx.Stdout + nx.Stderr);
        Assert.False(Pings("notes", userauthIp));

        D.Run("network", "connect", "authnet", "notes").Ok();
        Assert.Contains("eth1", Sh("notes", "ip -o addr show").Stdout);
        Assert.True(Resolves("notes", "userauth"));
        Assert.True(Pings("notes", "userauth"));

        D.Run("network", "disconnect", "authnet", "notes").Ok();
        Assert.DoesNotContain("eth1", Sh("notes", "ip -o addr show").Stdout);
        Assert.False(Resolves("notes", "userauth"));
        Assert.False(Pings("notes", userauthIp));

        // inspect as Docker shows it; rm is refused while a container is attached.
        string inspect = D.Run("network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "frontnet").Ok().Stdout;
        Assert.Contains("db-notes", inspect);
        Assert.Contains("notes", inspect);
        var rm = D.Run("network", "rm", "frontnet");
        Assert.NotEqual(0, rm.ExitCode);
        Assert.Contains("has active endpoints", rm.Stderr);
        Assert.Contains("authnet", D.Run("network", "ls").Ok().Stdout);
    }

    [Fact]
    public void A_default_bridge_container_connected_to_a_user_network_resolves_its_names()
    {
        D.Run("network", "create", "dbnet").Ok();
        D.Run("run", "-d", "--name", "pg", "--network", "dbnet", "busybox", "sleep", "600").Ok();
        D.Run("run", "-d", "--name", "app", "busybox", "sleep", "600").Ok();
        // On the default bridge alone: the host's resolvers, no embedded DNS (not queried here: tests ask no outside resolver).
        Assert.DoesNotContain("nameserver 127.0.0.11", Sh("app", "cat /etc/resolv.conf").Stdout);

        D.Run("network", "connect", "dbnet", "app").Ok();
        Assert.Contains("nameserver 127.0.0.11\n", Sh("app", "cat /etc/resolv.conf").Stdout);
        Assert.True(Resolves("app", "pg"));
        Assert.True(Pings("app", "pg"));

        D.Run("network", "disconnect", "dbnet", "app").Ok();
        Assert.DoesNotContain("nameserver 127.0.0.11", Sh("app", "cat /etc/resolv.conf").Stdout);
        Assert.NotEqual(0, Sh("app", "nslookup pg 127.0.0.11").ExitCode);   // its resolver's sockets are closed
        D.Run("rm", "-f", "pg", "app").Ok();
    }

    [Fact]
    public void Published_port_serves_over_loopback_and_a_busy_port_leaves_nothing_behind()
    {
        string www = Directory.CreateTempSubdirectory("mc-www-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(www, "index.html"), "hello from the container\n");
            int port = FreePort();
            D.Run("run", "-d", "--name", "web", "-p", $"{port}:80", "-v", $"{www}:/www", "busybox", "httpd", "-f", "-p", "80", "-h", "/www").Ok();
            string body = "";
            Support.WaitUntil(() => (body = Daemon.Exec("curl", ["-s", "--max-time", "2", $"http://127.0.0.1:{port}/"]).Stdout) != "", TimeSpan.FromSeconds(10), "httpd");
            Assert.Equal("hello from the container\n", body);
            Assert.Equal($"80/tcp -> 0.0.0.0:{port}", D.Run("port", "web").Ok().Stdout.Trim());
            Assert.Contains($"0.0.0.0:{port}->80/tcp", D.Run("ps").Ok().Stdout);

            int linksBefore = _net.Leftovers().Count;
            var busy = D.Run("run", "-d", "--name", "web2", "-p", $"{port}:80", "busybox", "httpd", "-f", "-p", "80");
            Assert.Equal(125, busy.ExitCode);
            Assert.Contains($"Bind for 0.0.0.0:{port} failed: port is already allocated", busy.Stderr);
            Assert.Equal(linksBefore, _net.Leftovers().Count);   // no veth, no half-wired container
            Assert.Empty(D.Run("network", "inspect", "-f", "{{range .Containers}}{{if eq .Name \"web2\"}}x{{end}}{{end}}", "bridge").Ok().Stdout.Trim());

            D.Run("rm", "-f", "web").Ok();
            Assert.NotEqual(0, Daemon.Exec("curl", ["-s", "--max-time", "2", $"http://127.0.0.1:{port}/"]).ExitCode);   // proxy closed
        }
        finally { Directory.Delete(www, true); }
    }

    [Fact]
    public void Addresses_survive_a_daemon_restart_without_duplicates()
    {
        D.Run("network", "create", "--subnet", $"10.{_net.Octet}.90.0/24", "persist").Ok();
        D.Run("run", "-d", "--name", "pa", "--network", "persist", "busybox", "sleep", "600").Ok();
        string first = Ip("pa", "persist");
        D.Stop();
        D.Start();
        D.Run("run", "-d", "--name", "pb", "--network", "persist", "busybox", "sleep", "600").Ok();
        string second = Ip("pb", "persist");
        Assert.NotEqual(first, second);
        Assert.True(Pings("pb", "pa"));   // the running container's link was kept, and names still resolve
        Assert.Equal(1, Daemon.Exec("nft", ["list", "table", "inet", _net.Table]).Stdout.Split("chain forward").Length - 1);
        D.Run("run", "--rm", "--network", "persist", "--ip", $"10.{_net.Octet}.90.77", "busybox", "true").Ok();
        var taken = D.Run("run", "--rm", "--network", "persist", "--ip", first, "busybox", "true");
        Assert.NotEqual(0, taken.ExitCode);
    }

    [Fact]
    public void A_stopped_containers_address_can_be_asked_for_again_at_once()
    {
        // A stopped container's veth is deleted in the background (the kernel takes 10-20 ms); its address stays out of
        // the pool meanwhile, and --ip for it waits for that deletion instead of failing "Address already in use".
        D.Run("network", "create", "--subnet", $"10.{_net.Octet}.91.0/24", "again").Ok();
        string ip = $"10.{_net.Octet}.91.50";
        for (int i = 0; i < 3; i++)
            Assert.Contains($"inet {ip}/24", D.Run("run", "--rm", "--network", "again", "--ip", ip, "busybox", "ip", "-o", "-4", "addr", "show", "eth0").Ok().Stdout);
        // Back to back without --ip: each gets an address no veth still on the bridge has.
        for (int i = 0; i < 3; i++)
        {
            string line = D.Run("run", "--rm", "--network", "again", "busybox", "ip", "-o", "-4", "addr", "show", "eth0").Ok().Stdout;
            Assert.Matches($@"inet 10\.{_net.Octet}\.91\.\d+/24", line);
        }
    }

    [Fact]
    public async Task A_user_network_is_masqueraded_on_the_way_out_and_an_internal_network_gets_nowhere()
    {
        var drops = FirewallScene.ForeignForwardDrops();
        Assert.True(drops.Count == 0, "another table drops forwarded traffic by policy, which our accept cannot overrule: " + string.Join("; ", drops));
        D.Run("network", "create", "extnet").Ok();
        D.Run("network", "create", "--internal", "intnet").Ok();
        D.Run("run", "-d", "--name", "ext", "--network", "extnet", "busybox", "sleep", "600").Ok();
        D.Run("run", "-d", "--name", "int", "--network", "intnet", "busybox", "sleep", "600").Ok();
        string Netns(string container) => $"/proc/{D.Run("inspect", "-f", "{{.State.Pid}}", container).Ok().Stdout.Trim()}/ns/net";

        // The outside world, stood in for by a namespace of ours behind a veth, with an address of its own and no
        // route back to the containers' subnets: only masquerading lets a connection from a container finish.
        string ns = $"mct{_net.Tag}-out", hostEnd = $"mct{_net.Tag}o", peer = $"mct{_net.Tag}p";
        string hostSide = $"10.{_net.Octet}.100.1", outside = $"10.{_net.Octet}.100.2";
        try
        {
            foreach (var args in new[]
            {
                new[] { "netns", "add", ns }, ["link", "add", hostEnd, "type", "veth", "peer", "name", peer], ["link", "set", peer, "netns", ns],
                ["addr", "add", hostSide + "/24", "dev", hostEnd], ["link", "set", hostEnd, "up"],
                ["-n", ns, "addr", "add", outside + "/24", "dev", peer], ["-n", ns, "link", "set", peer, "up"], ["-n", ns, "link", "set", "lo", "up"],
            })
                Daemon.Exec("ip", args).Ok("ip " + string.Join(' ', args));

            using var listener = NetnsSockets.Listen($"/run/netns/{ns}", IPAddress.Any, 7400);
            var target = new IPEndPoint(IPAddress.Parse(outside), 7400);
            var seen = await NetnsSockets.TryConnect(Netns("ext"), listener, target);
            Assert.Equal(IPAddress.Parse(hostSide), seen?.Address);   // the outside sees the host's address, not the container's
            Assert.Null(await NetnsSockets.TryConnect(Netns("int"), listener, target, TimeSpan.FromSeconds(1)));
        }
        finally
        {
            Daemon.Exec("ip", ["link", "del", hostEnd]);
            Daemon.Exec("ip", ["netns", "del", ns]);
        }
    }

    /// <summary>
    /// What compose's `down` does right after `up` saw a one-shot service exit: inspect until "exited", remove the
    /// container, remove its network. The state reads "exited" while the exit is still being handled; the removal must
    /// wait for its endpoint to go, or the network's removal finds "active endpoints" (a CI run once did).
    /// </summary>
    [Fact]
    public async Task A_container_removed_as_soon_as_it_reads_exited_leaves_no_endpoint_on_its_network()
    {
        using var http = D.ApiClient(new Uri("http://docker/v1.47/"));
        for (int round = 0; round < 8; round++)
        {
            string network = $"oneshot{round}";
            D.Run("network", "create", network).Ok();
            string id = D.Run("run", "-d", "--network", network, "busybox", "sh", "-c", "exit 3").Ok().Stdout.Trim();
            while (!(await http.GetStringAsync($"containers/{id}/json")).Contains("\"Status\":\"exited\"")) { }
            var rm = await http.DeleteAsync($"containers/{id}");
            Assert.True(rm.IsSuccessStatusCode, $"rm: {(int)rm.StatusCode} {await rm.Content.ReadAsStringAsync()}");
            var netRm = await http.DeleteAsync($"networks/{network}");
            Assert.True(netRm.IsSuccessStatusCode, $"round {round}: network rm: {(int)netRm.StatusCode} {await netRm.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public void None_host_and_container_modes()
    {
        Assert.DoesNotContain("eth0", D.Run("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link").Ok().Stdout);
        D.Run("run", "-d", "--name", "owner", "busybox", "sleep", "600").Ok();
        string ownerIp = Ip("owner", "bridge");
        Assert.Contains(ownerIp, D.Run("run", "--rm", "--network", "container:owner", "busybox", "ip", "-o", "addr").Ok().Stdout);
        string hostLinks = D.Run("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link").Ok().Stdout;
        Assert.Contains(_net.Bridge, hostLinks);
        // The default bridge: host resolvers, no container names; hosts file has the container's own address.
        Assert.Contains(ownerIp, Sh("owner", "cat /etc/hosts").Stdout);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
