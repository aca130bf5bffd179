using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Networking;
using MiniContainer.Networking.Firewall;
using MiniContainer.Storage;
using Xunit;

namespace MiniContainer.UnitTests.Networking;

/// <summary>network create's IPAM and driver options, endpoint configs, and the embedded DNS's resolv.conf and NAT:
/// what dockerd accepts passes, the rest is a 400 with dockerd's words.</summary>
public class NetworkFidelityTests
{
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();
    private static Ipv4Subnet Choose() => Ipv4Subnet.Parse("10.99.0.0/24");

    [Fact]
    public void Ip_range_is_where_addresses_come_from_and_aux_addresses_are_never_given()
    {
        var subnet = Ipv4Subnet.Parse("172.28.0.0/16");
        var gw = IPAddress.Parse("172.28.5.254");
        var range = Ipv4Subnet.Parse("172.28.5.0/24");
        Assert.Equal("172.28.5.0", Ipam.Allocate(subnet, gw, [], null, "n", range).ToString());   // the range's first address is a host of the subnet
        Assert.Equal("172.28.5.2", Ipam.Allocate(subnet, gw, ["172.28.5.0"], null, "n", range, ["172.28.5.1"]).ToString());
        Assert.Equal("172.28.9.9", Ipam.Allocate(subnet, gw, [], "172.28.9.9", "n", range).ToString());   // --ip: anywhere in the subnet
        var small = Ipv4Subnet.Parse("172.28.5.252/30");
        var e = Assert.Throws<InvalidOperationException>(() => Ipam.Allocate(subnet, gw, ["172.28.5.252", "172.28.5.253"], null, "n", small, ["172.28.5.255"]));
        Assert.Equal("no available IPv4 addresses on this network's address pools: n", e.Message);
        // A range at the subnet's edge never hands out the network or broadcast address.
        Assert.Equal("10.9.0.1", Ipam.Allocate(Ipv4Subnet.Parse("10.9.0.0/24"), IPAddress.Parse("10.9.0.254"), [], null, "n", Ipv4Subnet.Parse("10.9.0.0/30")).ToString());
    }

    [Fact]
    public void Ipam_config_is_checked_as_dockerd_checks_it()
    {
        var ok = IpamPoolRequest.Parse(Json("""{"Subnet":"172.28.0.0/16","IPRange":"172.28.5.0/24","Gateway":"172.28.5.254","AuxiliaryAddresses":{"a":"172.28.1.5"}}"""), [], Choose);
        Assert.Equal(("172.28.0.0/16", "172.28.5.254", "172.28.5.0/24", "172.28.1.5"), (ok.Subnet.ToString(), ok.Gateway.ToString(), ok.Range.ToString(), ok.Auxiliary!["a"]));
        Assert.True(ok.UserSubnet);
        Assert.False(IpamPoolRequest.Parse(null, [], Choose).UserSubnet);

        void Bad(string config, string message, int status = 400)
        {
            var e = Assert.ThrowsAny<ApiException>(() => IpamPoolRequest.Parse(Json(config), [Ipv4Subnet.Parse("10.50.0.0/16")], Choose));
            Assert.Equal((status, message), (e.Status, e.Message));
        }
        Bad("""{"Subnet":"172.28.0.0/16","IPRange":"172.29.5.0/24"}""", "invalid ip-range 172.29.5.0/24: it should be within subnet 172.28.0.0/16");
        Bad("""{"Subnet":"172.28.0.0/16","IPRange":"172.28.5.1/24"}""", "invalid ip-range 172.28.5.1/24: it should be 172.28.5.0/24");
        Bad("""{"Subnet":"172.28.0.0/24","IPRange":"172.28.0.0/16"}""", "invalid ip-range 172.28.0.0/16: it should be within subnet 172.28.0.0/24");
        Bad("""{"Subnet":"172.28.0.0/16","AuxiliaryAddresses":{"a":"10.0.0.1"}}""", "invalid auxiliary address a=10.0.0.1: it should be within subnet 172.28.0.0/16");
        Bad("""{"IPRange":"172.28.5.0/24"}""", "an ip-range needs a subnet (--subnet)");
        Bad("""{"Subnet":"10.50.1.0/24"}""", "invalid pool request: Pool overlaps with other one on this address space", 403);
        Bad("""{"Subnet":"172.28.0.0/16","Gateway":"10.0.0.1"}""", "no matching subnet for gateway 10.0.0.1");
        Bad("""{"Subnet":"2001:389::/64"}""", "IPv6 subnets are not supported by this MiniContainer yet: 2001:389::/64");
        Bad("""{"Subnet":"172.28.0.0/16","IPRange":"2001:389::/80"}""", "IPv6 subnets are not supported by this MiniContainer yet: 2001:389::/80");
        Bad("""{"Subnet":"2001:389::1/64x"}""", "invalid CIDR address: 2001:389::1/64x");
    }

    [Fact]
    public void Bridge_options_pass_only_with_values_that_are_honoured()
    {
        BridgeDriverOptions.Check(new Dictionary<string, string> { [BridgeDriverOptions.Masquerade] = "false", ["com.docker.network.driver.mtu"] = "1500" });
        Assert.False(BridgeDriverOptions.Masquerades(new Dictionary<string, string> { [BridgeDriverOptions.Masquerade] = "false" }));
        Assert.True(BridgeDriverOptions.Masquerades(new Dictionary<string, string>()));
        var e = Assert.Throws<BadRequestException>(() => BridgeDriverOptions.Check(new Dictionary<string, string> { ["com.docker.network.bridge.name"] = "br0" }));
        Assert.StartsWith("network option com.docker.network.bridge.name is not supported by MiniContainer's bridge driver", e.Message);
        e = Assert.Throws<BadRequestException>(() => BridgeDriverOptions.Check(new Dictionary<string, string> { ["com.docker.network.bridge.enable_icc"] = "false" }));
        Assert.Contains("br_netfilter", e.Message);
        Assert.Throws<BadRequestException>(() => BridgeDriverOptions.Check(new Dictionary<string, string> { ["com.docker.network.driver.mtu"] = "9000" }));
    }

    [Fact]
    public void A_network_without_masquerade_has_no_masquerade_rule()
    {
        string text = NftFirewall.Render("minicontainer", [new FirewallNetwork("mc-a", IPNetwork.Parse("10.9.0.0/24"), false, Masquerade: false),
            new FirewallNetwork("mc-b", IPNetwork.Parse("10.9.1.0/24"), false)], []);
        Assert.DoesNotContain("saddr 10.9.0.0/24", text);
        Assert.Contains("ip saddr 10.9.1.0/24 oifname != { \"mc-a\", \"mc-b\" } masquerade", text);
    }

    [Fact]
    public void Network_names_are_dockerds_any_but_blank()
    {
        NetworkStore.CheckName("test 01");
        NetworkStore.CheckName("Ünïcode.net_1");
        Assert.Equal("invalid name:   ", Assert.Throws<BadRequestException>(() => NetworkStore.CheckName("  ")).Message);
        Assert.Throws<BadRequestException>(() => NetworkStore.CheckName("a/b"));
        Assert.Throws<BadRequestException>(() => NetworkStore.CheckName("a\nb"));
    }

    [Fact]
    public void Endpoint_config_is_parsed_and_refused_where_not_honoured()
    {
        var r = EndpointRequest.Parse(Json("""
            {"Aliases":["foo",""],"Links":["up:bar"],"MacAddress":"02:42:ac:11:00:02","DriverOpts":{"com.docker-py.setting":"on"},
             "IPAMConfig":{"IPv4Address":"172.28.5.24","LinkLocalIPs":["169.254.8.8"]}}
            """));
        Assert.Equal(["foo"], r.Aliases!);
        Assert.Equal(["up:bar"], r.Links!);
        Assert.Equal(("02:42:ac:11:00:02", "on", "172.28.5.24", "169.254.8.8"), (r.MacAddress, r.DriverOpts!["com.docker-py.setting"], r.IPv4Address, r.LinkLocalIPs![0]));
        Assert.Same(EndpointRequest.Empty, EndpointRequest.Parse(null));
        Assert.Equal("up:up", EndpointRequest.NormalizeLink("/up"));

        void Bad(string body, string message) => Assert.Equal(message, Assert.Throws<BadRequestException>(() => EndpointRequest.Parse(Json(body))).Message);
        Bad("""{"MacAddress":"02:42:ac:11:00"}""", "invalid MAC address: 02:42:ac:11:00");
        Bad("""{"MacAddress":"01:00:5e:00:00:01"}""", "invalid MAC address: 01:00:5e:00:00:01: a multicast address cannot be an interface's");
        Bad("""{"IPAMConfig":{"LinkLocalIPs":["10.0.0.1"]}}""", "invalid endpoint settings:\ninvalid link-local IP address: 10.0.0.1");
        Bad("""{"IPAMConfig":{"IPv6Address":"2001:389::f00d"}}""",
            "invalid endpoint settings:\nno configured subnet or ip-range contain the IP address 2001:389::f00d (MiniContainer's networks are IPv4 only)");
        Bad("""{"DriverOpts":{"com.docker.network.endpoint.ifname":"x"}}""", "endpoint driver option com.docker.network.endpoint.ifname is not supported by MiniContainer");
        Bad("""{"Links":["a:b:c"]}""", "invalid link: a:b:c: want NAME or NAME:ALIAS");
    }

    [Fact]
    public void Clients_of_api_before_1_45_see_the_short_id_among_aliases_of_user_networks()
    {
        var rec = new ContainerRecord { Id = "0123456789ab" + new string('c', 52) };
        var inspected = Json("""{"NetworkSettings":{"Networks":{"bridge":{"Aliases":null},"front":{"Aliases":["hello"]},"back":{"Aliases":null}}}}""");
        EndpointAliases.AddShortId(inspected, rec);
        var nets = inspected["NetworkSettings"]!["Networks"]!;
        Assert.Null(nets["bridge"]!["Aliases"]);
        Assert.Equal("[\"hello\",\"0123456789ab\"]", nets["front"]!["Aliases"]!.ToJsonString());
        Assert.Equal("[\"0123456789ab\"]", nets["back"]!["Aliases"]!.ToJsonString());
    }

    [Fact]
    public void Embedded_resolv_conf_is_dockers_with_the_hosts_search_and_options_and_ndots_0()
    {
        string text = ContainerEtcFiles.EmbeddedResolvConf(["nameserver 127.0.0.53", "search corp.example", "options edns0 ndots:3 trust-ad"], "127.0.0.11");
        Assert.EndsWith("nameserver 127.0.0.11\nsearch corp.example\noptions edns0 trust-ad ndots:0\n", text);
        Assert.EndsWith("nameserver 127.0.0.11\noptions ndots:0\n", ContainerEtcFiles.EmbeddedResolvConf([], "127.0.0.11"));
    }

    [Fact]
    public void Dns_nat_sends_port_53_of_127_0_0_11_to_the_daemons_sockets()
    {
        string script = ContainerDnsNat.Script("minicontainer_t1", 40123);
        Assert.StartsWith("add table ip minicontainer_t1\ndelete table ip minicontainer_t1\n", script);
        Assert.Contains("ip daddr 127.0.0.11 udp dport 53 dnat to 127.0.0.11:40123\n", script);
        Assert.Contains("ip daddr 127.0.0.11 tcp dport 53 dnat to 127.0.0.11:40123\n", script);
        Assert.Throws<ArgumentOutOfRangeException>(() => ContainerDnsNat.Script("t", 0));
    }
}

public class ContainerDnsRecordsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mc-unit-cdns-" + Guid.NewGuid().ToString("N")[..8]);
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    [Fact]
    public void A_containers_own_resolver_answers_for_it_whatever_the_source_address()
    {
        var store = new NetworkStore(new HostPaths(_root, Path.Combine(_root, "run")));
        var net = new NetworkState { Name = "front", Id = "f" + new string('0', 63), Subnet = "10.9.1.0/24", Gateway = "10.9.1.1" };
        store.Add(net);
        store.Update(net, s => s.Endpoints["app"] = new() { ContainerName = "app", IPv4Address = "10.9.1.2", DnsNames = ["app"], Links = ["up:bar", "/db"] });
        store.Update(net, s => s.Endpoints["up"] = new() { ContainerName = "up", IPv4Address = "10.9.1.3", DnsNames = ["up"] });
        store.Update(net, s => s.Endpoints["db"] = new() { ContainerName = "db", IPv4Address = "10.9.1.4", DnsNames = ["db"] });
        var app = new ContainerDnsRecords(store, "app");
        var loopback = IPAddress.Parse("127.0.0.1");
        Assert.Equal(["10.9.1.3"], app.Resolve(loopback, "bar", AddressFamily.InterNetwork)!.Select(a => a.ToString()));
        Assert.Equal(["10.9.1.4"], app.Resolve(loopback, "db", AddressFamily.InterNetwork)!.Select(a => a.ToString()));
        Assert.Null(new ContainerDnsRecords(store, "up").Resolve(loopback, "bar", AddressFamily.InterNetwork));   // links are the linker's only
        Assert.Null(new ContainerDnsRecords(store, "stranger").Resolve(loopback, "up", AddressFamily.InterNetwork));
        Assert.Equal(["up.front"], app.ResolveAddress(loopback, IPAddress.Parse("10.9.1.3"))!);
    }
}
