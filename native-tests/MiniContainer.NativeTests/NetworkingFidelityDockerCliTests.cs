using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Network and endpoint fields as the real docker CLI sends them (issue 15): --ip-range and --aux-address in IPAM,
/// driver options, names with spaces; endpoint IPAMConfig (--ip, --link-local-ip), --driver-opt, --link and
/// --mac-address, checked in inspect and inside the container; and Docker's resolver at 127.0.0.11 in the
/// container's own namespace, over UDP and TCP, with nothing left behind when containers stop.
/// </summary>
public sealed class NetworkingFidelityDockerCliTests : IDisposable
{
    private readonly NetworkDaemon _net;
    private readonly DockerCli _docker;

    public NetworkingFidelityDockerCliTests(ITestOutputHelper output)
    {
        _net = new NetworkDaemon();
        _docker = new DockerCli(_net.Daemon, output);
    }

    public void Dispose()
    {
        _net.Dispose();
        _docker.Dispose();
        Assert.Empty(_net.Leftovers());
    }

    private CommandResult Docker(params string[] args) => _docker.Run(args);
    private string Inspect(string format, string target) => Docker("inspect", "-f", format, target).Ok().Stdout.Trim();

    [Fact]
    public void Ip_range_aux_addresses_options_and_a_name_with_a_space()
    {
        string sub = $"10.{_net.Octet}.96";
        Docker("network", "create", "--subnet", $"{sub}.0/24", "--ip-range", $"{sub}.128/25", "--gateway", $"{sub}.254",
            "--aux-address", $"router={sub}.128", "-o", "com.docker.network.bridge.enable_ip_masquerade=false", "ranged").Ok();
        Assert.Equal($"{sub}.0/24 {sub}.128/25 {sub}.254 router={sub}.128",
            Inspect("{{range .IPAM.Config}}{{.Subnet}} {{.IPRange}} {{.Gateway}} {{range $k, $v := .AuxiliaryAddresses}}{{$k}}={{$v}}{{end}}{{end}}", "ranged"));
        Assert.Equal("false", Inspect("{{index .Options \"com.docker.network.bridge.enable_ip_masquerade\"}}", "ranged"));
        // The masquerade rule leaves this subnet out.
        Assert.DoesNotContain(Daemon.Exec("nft", ["list", "table", "inet", _net.Table]).Ok().Stdout.Lines(), l => l.Contains("masquerade") && l.Contains($"{sub}.0/24"));

        Docker("run", "-d", "--name", "first", "--network", "ranged", "busybox", "sleep", "600").Ok();
        Assert.Equal($"{sub}.129", Inspect("{{.NetworkSettings.Networks.ranged.IPAddress}}", "first"));   // .128 is reserved
        Docker("run", "-d", "--name", "fixed", "--network", "ranged", "--ip", $"{sub}.20", "busybox", "sleep", "600").Ok();
        Assert.Contains($"inet {sub}.20/24", Docker("exec", "fixed", "ip", "-o", "-4", "addr", "show", "eth0").Ok().Stdout);

        // The docker CLI checks this one itself; ours leaves it to the daemon, whose 400 it shows.
        var outside = _net.Daemon.Run("network", "create", "--subnet", $"10.{_net.Octet}.97.0/24", "--ip-range", $"10.{_net.Octet}.98.0/25", "bad");
        Assert.NotEqual(0, outside.ExitCode);
        Assert.Contains($"invalid ip-range 10.{_net.Octet}.98.0/25: it should be within subnet 10.{_net.Octet}.97.0/24", outside.Stderr);
        var option = Docker("network", "create", "-o", "com.docker.network.bridge.name=br-x", "bad");
        Assert.NotEqual(0, option.ExitCode);
        Assert.Contains("network option com.docker.network.bridge.name is not supported", option.Stderr);

        Docker("network", "create", "test 01").Ok();
        string id = Docker("network", "inspect", "-f", "{{.Id}}", "test 01").Ok().Stdout.Trim(), prefix = $"mct{_net.Tag}-";
        Daemon.Exec("ip", ["link", "show", prefix + id[..Math.Min(12, 15 - prefix.Length)]]).Ok();   // the host bridge is named from the id
        Docker("network", "rm", "test 01").Ok();
    }

    /// <summary>Our CLI sends the same fields as docker's for these flags.</summary>
    [Fact]
    public void Minicontainer_cli_sends_aux_addresses_mac_address_and_endpoint_links_link_local_ips_and_driver_opts()
    {
        var d = _net.Daemon;
        string sub = $"10.{_net.Octet}.94";
        d.Run("network", "create", "--subnet", $"{sub}.0/24", "--ip-range", $"{sub}.64/26", "--aux-address", $"gw2={sub}.64", "cli").Ok();
        Assert.Equal($"{sub}.64/26 map[gw2:{sub}.64]",
            d.Run("network", "inspect", "-f", "{{range .IPAM.Config}}{{.IPRange}} {{.AuxiliaryAddresses}}{{end}}", "cli").Ok().Stdout.Trim());
        d.Run("run", "-d", "--name", "c1", "--mac-address", "02:42:0a:00:00:77", "busybox", "sleep", "600").Ok();
        Assert.Equal("02:42:0a:00:00:77", d.Run("exec", "c1", "cat", "/sys/class/net/eth0/address").Ok().Stdout.Trim());
        d.Run("network", "connect", "--link", "c2:peer", "--link-local-ip", "169.254.9.9", "--driver-opt", "k=v", "cli", "c1").Ok();
        Assert.Equal($"[c2:peer] [169.254.9.9] map[k:v] {sub}.65",
            d.Run("inspect", "-f", "{{with .NetworkSettings.Networks.cli}}{{.Links}} {{.IPAMConfig.LinkLocalIPs}} {{.DriverOpts}} {{.IPAddress}}{{end}}", "c1").Ok().Stdout.Trim());
    }

    [Fact]
    public void Endpoint_settings_are_echoed_and_honoured()
    {
        string sub = $"10.{_net.Octet}.95";
        Docker("network", "create", "--subnet", $"{sub}.0/24", "epnet").Ok();
        Docker("run", "-d", "--name", "ep", "--mac-address", "02:42:0a:00:00:99", "busybox", "sleep", "600").Ok();
        Assert.Equal("02:42:0a:00:00:99", Inspect("{{.NetworkSettings.MacAddress}}", "ep"));
        Assert.Equal("02:42:0a:00:00:99", Docker("exec", "ep", "cat", "/sys/class/net/eth0/address").Ok().Stdout.Trim());

        Docker("network", "connect", "--alias", "foo", "--ip", $"{sub}.7", "--link-local-ip", "169.254.8.8", "--link", "up:bar",
            "--driver-opt", "com.example.setting=on", "epnet", "ep").Ok();
        Assert.Equal($"[foo] [up:bar] {sub}.7 [169.254.8.8] map[com.example.setting:on]",
            Inspect("{{with .NetworkSettings.Networks.epnet}}{{.Aliases}} {{.Links}} {{.IPAMConfig.IPv4Address}} {{.IPAMConfig.LinkLocalIPs}} {{.DriverOpts}}{{end}}", "ep"));
        string eth1 = Docker("exec", "ep", "ip", "-o", "-4", "addr", "show", "eth1").Ok().Stdout;
        Assert.Contains($"inet {sub}.7/24", eth1);
        Assert.Contains("inet 169.254.8.8/16", eth1);

        // The link resolves once its target exists, for this container only.
        Docker("run", "-d", "--name", "up", "--network", "epnet", "busybox", "sleep", "600").Ok();
        Assert.Contains(Inspect("{{.NetworkSettings.Networks.epnet.IPAddress}}", "up"), Docker("exec", "ep", "nslookup", "bar").Ok().Stdout);
        Assert.NotEqual(0, Docker("exec", "up", "nslookup", "bar").ExitCode);

        // A stopped container keeps the MAC it asked for; a started one has it again.
        Docker("stop", "-t", "0", "ep").Ok();
        Assert.Equal("02:42:0a:00:00:99", Inspect("{{.NetworkSettings.Networks.bridge.MacAddress}}", "ep"));
        Docker("start", "ep").Ok();
        Assert.Equal("02:42:0a:00:00:99", Docker("exec", "ep", "cat", "/sys/class/net/eth0/address").Ok().Stdout.Trim());

        var v6 = Docker("network", "connect", "--ip6", "2001:db8::5", "epnet", "up");
        Assert.NotEqual(0, v6.ExitCode);
        Assert.Contains("IPv4 only", v6.Stderr);
        var mac = Docker("run", "--rm", "--mac-address", "01:00:5e:00:00:01", "busybox", "true");
        Assert.Equal(125, mac.ExitCode);
    }

    [Fact]
    public void Resolver_at_127_0_0_11_answers_in_the_containers_namespace_over_udp_and_tcp()
    {
        Docker("network", "create", "dnsnet").Ok();
        Docker("run", "-d", "--name", "db", "--network", "dnsnet", "--network-alias", "database", "busybox", "sleep", "600").Ok();
        Docker("run", "-d", "--name", "app", "--network", "dnsnet", "busybox", "sleep", "600").Ok();
        string resolv = Docker("exec", "app", "cat", "/etc/resolv.conf").Ok().Stdout;
        Assert.Contains("nameserver 127.0.0.11\n", resolv);
        Assert.Matches("\noptions (.* )?ndots:0\n", resolv);
        Assert.DoesNotContain("nameserver 10.", resolv);
        string dbIp = Inspect("{{.NetworkSettings.Networks.dnsnet.IPAddress}}", "db");
        Assert.Contains(dbIp, Docker("exec", "app", "nslookup", "database").Ok().Stdout);   // UDP, from inside

        // TCP, with the host's dig run in the container's network namespace.
        string pid = Inspect("{{.State.Pid}}", "app");
        var tcp = Daemon.Exec("nsenter", [$"--net=/proc/{pid}/ns/net", "dig", "+tcp", "+short", "+time=2", "+tries=1", "@127.0.0.11", "db"]).Ok();
        Assert.Equal(dbIp, tcp.Stdout.Trim());
        // Other names go to the upstream (the test's resolver answers NXDOMAIN to everything).
        var forwarded = Daemon.Exec("nsenter", [$"--net=/proc/{pid}/ns/net", "dig", "+time=2", "+tries=1", "@127.0.0.11", "example.test"]).Ok();
        Assert.Contains("status: NXDOMAIN", forwarded.Stdout);

        // A daemon restart binds the container's resolver again (the old sockets died with the old daemon).
        _net.Daemon.Stop();
        _net.Daemon.Start();
        Assert.Contains(dbIp, Docker("exec", "app", "nslookup", "db").Ok().Stdout);

        // Port 53 stays free for the container's own programs (the resolver sits behind a DNAT).
        Docker("exec", "-d", "app", "nc", "-l", "-p", "53").Ok();
        Docker("exec", "app", "nslookup", "db").Ok();

        // Nothing left: the daemon's sockets in stopped containers' namespaces are closed.
        int Sockets() => Directory.GetFiles($"/proc/{_net.Daemon.DaemonPid}/fd").Count(f => new FileInfo(f).LinkTarget?.StartsWith("socket:") == true);
        Docker("rm", "-f", "app").Ok();
        int before = Sockets();
        for (int i = 0; i < 3; i++) Docker("run", "--rm", "--network", "dnsnet", "busybox", "nslookup", "db").Ok();
        Assert.InRange(Sockets() - before, -10, 2);   // each run had a UDP and a TCP socket: 6 if they leaked
    }
}
