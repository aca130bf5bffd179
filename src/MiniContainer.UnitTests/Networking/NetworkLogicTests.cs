using System.Net;
using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Networking;
using MiniContainer.Storage;
using Xunit;

namespace MiniContainer.UnitTests.Networking;

public class Ipv4SubnetTests
{
    [Fact]
    public void Parses_and_tests_membership_and_overlap()
    {
        var s = Ipv4Subnet.Parse("172.18.0.0/16");
        Assert.Equal("172.18.0.1", s.FirstHost.ToString());
        Assert.True(s.Contains(IPAddress.Parse("172.18.255.254")));
        Assert.False(s.Contains(IPAddress.Parse("172.19.0.1")));
        Assert.True(s.Overlaps(Ipv4Subnet.Parse("172.18.5.0/24")));
        Assert.True(Ipv4Subnet.Parse("172.0.0.0/8").Overlaps(s));
        Assert.False(s.Overlaps(Ipv4Subnet.Parse("172.19.0.0/16")));
        Assert.False(Ipv4Subnet.IsCanonical("172.18.0.5/16"));
        Assert.False(Ipv4Subnet.TryParse("172.18.0.0/33", out _));
        Assert.False(Ipv4Subnet.TryParse("fe80::/64", out _));
    }
}

public class IpamTests
{
    private static readonly Ipv4Subnet Net = Ipv4Subnet.Parse("10.9.0.0/29");   // hosts .1 - .6
    private static readonly IPAddress Gw = IPAddress.Parse("10.9.0.1");

    [Fact]
    public void Gives_the_lowest_free_host_address_after_the_gateway()
    {
        Assert.Equal("10.9.0.2", Ipam.Allocate(Net, Gw, [], null, "n").ToString());
        Assert.Equal("10.9.0.4", Ipam.Allocate(Net, Gw, ["10.9.0.2", "10.9.0.3"], null, "n").ToString());
    }

    [Fact]
    public void A_full_network_and_bad_requests_are_refused_as_docker_words_them()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Ipam.Allocate(Net, Gw, ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"], null, "n"));
        Assert.Equal("no available IPv4 addresses on this network's address pools: n", e.Message);
        Assert.Equal("10.9.0.5", Ipam.Allocate(Net, Gw, ["10.9.0.2"], "10.9.0.5", "n").ToString());
        Assert.Throws<InvalidOperationException>(() => Ipam.Allocate(Net, Gw, ["10.9.0.5"], "10.9.0.5", "n"));
        Assert.Throws<InvalidOperationException>(() => Ipam.Allocate(Net, Gw, [], "10.9.0.1", "n"));
        var outside = Assert.Throws<ArgumentException>(() => Ipam.Allocate(Net, Gw, [], "10.9.1.5", "n"));
        Assert.Equal("no configured subnet or ip-range contain the IP address 10.9.1.5", outside.Message);
        Assert.Throws<ArgumentException>(() => Ipam.Allocate(Net, Gw, [], "10.9.0.7", "n"));   // broadcast
    }

    [Fact]
    public void Mac_is_02_42_and_the_address_as_docker_makes_it()
    {
        Assert.Equal("02:42:ac:11:00:02", Ipam.FormatMac(Ipam.MacFor(IPAddress.Parse("172.17.0.2"))));
    }

    [Fact]
    public void Subnet_choice_skips_networks_and_host_routes()
    {
        var pool = Ipam.Split(Ipv4Subnet.Parse("10.20.0.0/16"), 24).Take(4);
        var chosen = Ipam.ChooseSubnet(pool, [Ipv4Subnet.Parse("10.20.0.0/24"), Ipv4Subnet.Parse("10.20.1.128/25")]);
        Assert.Equal("10.20.2.0/24", chosen.ToString());
        Assert.Equal("172.18.0.0/16", NetworkOptions.DockerDefaultPool().First().ToString());
        Assert.Throws<InvalidOperationException>(() => Ipam.ChooseSubnet(pool, [Ipv4Subnet.Parse("10.0.0.0/8")]));
    }

    [Fact]
    public void Host_routes_come_from_proc_net_route_without_the_default_route()
    {
        var routes = HostRoutes.Parse([
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
            "eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
            "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
        ]);
        Assert.Equal(["192.168.2.0/24"], routes.Select(r => r.ToString()));
    }
}

public class NetworkOptionsTests
{
    private static NetworkOptions Parse(params string[] args)
    {
        var o = new NetworkOptions();
        for (int i = 0; i < args.Length; i++)
        {
            int at = i;
            Assert.True(o.TryParse(args[at], () => args[++i]));
        }
        return o;
    }

    [Fact]
    public void Test_daemons_pick_their_own_names_subnets_and_upstreams()
    {
        var o = Parse("--bridge", "mct1a2b0", "--bridge-prefix", "mct1a2b-", "--veth-prefix", "mct1a2bv", "--nft-table", "minicontainer_t1a2b",
            "--default-subnet", "10.213.0.0/24", "--default-address-pool", "base=10.214.0.0/16,size=24", "--dns-upstream", "127.0.0.1:5353");
        Assert.Equal("mct1a2b0", o.DefaultBridge);
        Assert.Equal("10.213.0.0/24", o.DefaultSubnet.ToString());
        Assert.Equal(256, o.AddressPool.Count);
        Assert.Equal("10.214.1.0/24", o.AddressPool[1].ToString());
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 5353), o.DnsUpstreams.Single());
        Assert.False(new NetworkOptions().TryParse("--debug", () => ""));
    }

    [Fact]
    public void Names_that_do_not_fit_an_interface_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Parse("--bridge", "a-very-long-bridge-name"));
        Assert.Throws<ArgumentException>(() => Parse("--veth-prefix", "bad/name"));
        Assert.Throws<ArgumentException>(() => Parse("--default-subnet", "10.0.0.0"));
        Assert.Throws<ArgumentException>(() => Parse("--default-address-pool", "10.0.0.0/8"));
    }
}

public class PortPublishingTests
{
    [Fact]
    public void Bindings_and_exposed_ports_in_dockers_shapes()
    {
        var b = PortPublishing.ParseBindings(JsonNode.Parse("""{"80/tcp":[{"HostIp":"","HostPort":"8080"}],"53/udp":[{"HostIp":"127.0.0.1","HostPort":""}]}"""))!;
        Assert.Equal("8080", b["80/tcp"][0].HostPort);
        Assert.Equal("127.0.0.1", b["53/udp"][0].HostIp);
        Assert.Null(PortPublishing.ParseBindings(JsonNode.Parse("{}")));
        var e = Assert.Throws<BadRequestException>(() => PortPublishing.ParseBindings(JsonNode.Parse("""{"80/tcp":[{"HostPort":"99999"}]}""")));
        Assert.Equal("invalid port specification: \"99999\"", e.Message);
        var exposed = PortPublishing.MergeExposed(["443/tcp"], JsonNode.Parse("""{"80":{}}"""))!;
        Assert.Equal(["443/tcp", "80/tcp"], exposed.Keys);
    }
}

public class NetworkStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mc-unit-net-" + Guid.NewGuid().ToString("N")[..8]);
    private HostPaths Paths => new(_root, Path.Combine(_root, "run"));

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    [Fact]
    public void Endpoints_persist_so_a_restarted_daemon_never_hands_out_an_address_twice()
    {
        var store = new NetworkStore(Paths);
        var n = new NetworkState { Name = "authnet", Id = NetworkStore.NewId(), Subnet = "10.9.0.0/24", Gateway = "10.9.0.1", Bridge = "mc-x" };
        store.Add(n);
        store.Update(n, s => s.Endpoints["c1"] = new EndpointState { IPv4Address = "10.9.0.2", ContainerName = "db" });

        var reopened = new NetworkStore(Paths).Get("authnet");   // what the next daemon reads
        Assert.Equal("db", reopened.Endpoints["c1"].ContainerName);
        var next = Ipam.Allocate(Ipv4Subnet.Parse(reopened.Subnet), IPAddress.Parse(reopened.Gateway),
            reopened.Endpoints.Values.Select(e => e.IPv4Address), null, reopened.Name);
        Assert.Equal("10.9.0.3", next.ToString());
        Assert.Empty(Directory.GetFiles(Paths.Networks, ".*"));   // no temp files left by the atomic writes
    }

    [Fact]
    public void Names_are_unique_and_found_by_name_id_or_prefix()
    {
        var store = new NetworkStore(Paths);
        var n = new NetworkState { Name = "frontnet", Id = "ab" + new string('0', 62), Subnet = "10.9.1.0/24", Gateway = "10.9.1.1" };
        store.Add(n);
        Assert.Same(n, store.Find("frontnet"));
        Assert.Same(n, store.Find("ab00"));
        var e = Assert.Throws<ConflictException>(() => store.Add(new NetworkState { Name = "frontnet", Id = NetworkStore.NewId(), Subnet = "10.9.2.0/24" }));
        Assert.Equal("network with name frontnet already exists", e.Message);
        Assert.Equal("network nope not found", Assert.Throws<NotFoundException>(() => store.Get("nope")).Message);
        Assert.Throws<BadRequestException>(() => NetworkStore.CheckName("bad/name"));   // "bad name" is fine, as with dockerd
    }

    [Fact]
    public void Create_checks_networks_and_endpoint_settings_as_docker_does()
    {
        var store = new NetworkStore(Paths);
        store.Add(new NetworkState { Name = "bridge", Id = NetworkStore.NewId(), Subnet = "172.17.0.0/16", Gateway = "172.17.0.1" });
        store.Add(new NetworkState { Name = "auto", Id = NetworkStore.NewId(), Subnet = "10.9.3.0/24", Gateway = "10.9.3.1" });
        store.Add(new NetworkState { Name = "fixed", Id = NetworkStore.NewId(), Subnet = "10.9.4.0/24", Gateway = "10.9.4.1", UserSubnet = true });
        var service = new NetworkService(store, new NetworkOptions(), null!);
        ContainerRecord Prepare(string json)
        {
            var body = JsonNode.Parse(json)!.AsObject();
            var r = new ContainerRecord { Id = new string('c', 64), Name = "/web", HostConfig = new HostConfig { NetworkMode = (string?)body["HostConfig"]?["NetworkMode"] ?? "default" } };
            service.PrepareCreate(r, body);
            return r;
        }
        Assert.Equal("bridge", Prepare("{}").HostConfig.NetworkMode);
        Assert.Equal("network backend not found", Assert.Throws<NotFoundException>(() => Prepare("""{"HostConfig":{"NetworkMode":"backend"}}""")).Message);
        var web = Prepare("""{"HostConfig":{"NetworkMode":"fixed"},"NetworkingConfig":{"EndpointsConfig":{"fixed":{"Aliases":["www"],"IPAMConfig":{"IPv4Address":"10.9.4.9"}}}}}""");
        Assert.Equal(["www"], web.NetworkSettings.Networks["fixed"].Aliases!);
        Assert.Equal("10.9.4.9", web.NetworkSettings.Networks["fixed"].IPAMConfig!.IPv4Address);
        Assert.Equal("network-scoped aliases are only supported for user-defined networks",
            Assert.Throws<BadRequestException>(() => Prepare("""{"NetworkingConfig":{"EndpointsConfig":{"default":{"Aliases":["x"]}}}}""")).Message);
        Assert.Equal("user specified IP address is supported only when connecting to networks with user configured subnets",
            Assert.Throws<BadRequestException>(() => Prepare("""{"HostConfig":{"NetworkMode":"auto"},"NetworkingConfig":{"EndpointsConfig":{"auto":{"IPAMConfig":{"IPv4Address":"10.9.3.9"}}}}}""")).Message);
        Assert.Equal("No such container: nope", Assert.Throws<NotFoundException>(() => Prepare("""{"HostConfig":{"NetworkMode":"container:nope"}}""")).Message);
        Assert.Equal("none", Prepare("""{"HostConfig":{"NetworkMode":"none"}}""").NetworkSettings.Networks.Keys.Single());
    }
}

public class ContainerEtcFilesTests
{
    [Fact]
    public void Hosts_has_the_containers_own_address_before_add_host_entries()
    {
        var r = new ContainerRecord { Name = "/db", Config = new ContainerConfig { Hostname = "0123456789ab" }, HostConfig = new HostConfig { ExtraHosts = ["gw:10.0.0.1"] } };
        string hosts = ContainerEtcFiles.Hosts(r, "172.18.0.2");
        Assert.EndsWith("ff02::2\tip6-allrouters\n172.18.0.2\t0123456789ab db\n10.0.0.1\tgw\n", hosts);
    }

    [Fact]
    public void Resolv_conf_points_at_the_embedded_dns_unless_dns_is_given()
    {
        var r = new ContainerRecord();
        Assert.Contains("nameserver 127.0.0.11\n", ContainerEtcFiles.ResolvConf(r, "127.0.0.11"));
        Assert.Matches("\noptions (.* )?ndots:0\n$", ContainerEtcFiles.ResolvConf(r, "127.0.0.11"));
        r.HostConfig.Dns = ["10.1.1.1"];
        Assert.Equal("nameserver 10.1.1.1\n", ContainerEtcFiles.ResolvConf(r, "127.0.0.11"));
    }
}

public class NetworkDnsRecordsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mc-unit-dns-" + Guid.NewGuid().ToString("N")[..8]);
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    [Fact]
    public void Members_see_the_names_of_every_network_they_are_on_and_no_others()
    {
        var store = new NetworkStore(new HostPaths(_root, Path.Combine(_root, "run")));
        var auth = new NetworkState { Name = "authnet", Id = "a" + new string('0', 63), Subnet = "10.9.0.0/24", Gateway = "10.9.0.1" };
        var front = new NetworkState { Name = "frontnet", Id = "f" + new string('0', 63), Subnet = "10.9.1.0/24", Gateway = "10.9.1.1" };
        store.Add(auth); store.Add(front);
        EndpointState Ep(string name, string ip, params string[] aliases) =>
            new() { ContainerName = name, IPv4Address = ip, DnsNames = new[] { name }.Concat(aliases).ToList() };
        store.Update(auth, s => s.Endpoints["userauth"] = Ep("userauth", "10.9.0.2", "auth"));
        store.Update(front, s => s.Endpoints["notes"] = Ep("notes", "10.9.1.2"));
        store.Update(front, s => s.Endpoints["db-notes"] = Ep("db-notes", "10.9.1.3"));
        var frontDns = new NetworkDnsRecords(store, front.Id);
        var notes = IPAddress.Parse("10.9.1.2");

        Assert.Equal(["10.9.1.3"], frontDns.Resolve(notes, "db-notes", System.Net.Sockets.AddressFamily.InterNetwork)!.Select(a => a.ToString()));
        Assert.Empty(frontDns.Resolve(notes, "DB-NOTES", System.Net.Sockets.AddressFamily.InterNetworkV6)!);
        Assert.Null(frontDns.Resolve(notes, "userauth", System.Net.Sockets.AddressFamily.InterNetwork));
        Assert.Null(frontDns.Resolve(IPAddress.Parse("10.9.0.2"), "db-notes", System.Net.Sockets.AddressFamily.InterNetwork));   // not a member

        store.Update(auth, s => s.Endpoints["notes"] = Ep("notes", "10.9.0.3"));   // network connect authnet notes
        Assert.Equal(["10.9.0.2"], frontDns.Resolve(notes, "auth", System.Net.Sockets.AddressFamily.InterNetwork)!.Select(a => a.ToString()));
        Assert.Equal(["userauth.authnet"], frontDns.ResolveAddress(notes, IPAddress.Parse("10.9.0.2"))!);
    }
}
