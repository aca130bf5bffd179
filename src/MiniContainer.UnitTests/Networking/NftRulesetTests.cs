using System.Net;
using MiniContainer.Networking.Firewall;
using Xunit;

namespace MiniContainer.UnitTests.Networking;

/// <summary>The nftables table rendered for representative states, compared with the exact text nft gets.</summary>
public sealed class NftRulesetTests
{
    static readonly FirewallNetwork Default = new("minicontainer0", IPNetwork.Parse("172.17.0.0/16"), false);
    static readonly FirewallNetwork Front = new("mc-0123456789ab", IPNetwork.Parse("172.18.0.0/16"), false);
    static readonly FirewallNetwork Back = new("mc-ba9876543210", IPNetwork.Parse("172.19.0.0/16"), true);

    [Fact]
    public void No_networks_is_an_empty_table_with_its_hooks()
    {
        Assert.Equal("""
            table inet minicontainer {
            	chain prerouting {
            		type nat hook prerouting priority dstnat; policy accept;
            		fib daddr type local jump published_ports
            	}
            	chain output {
            		type nat hook output priority -100; policy accept;
            		ip daddr != 127.0.0.0/8 fib daddr type local jump published_ports
            		ip6 daddr != ::1 fib daddr type local jump published_ports
            	}
            	chain published_ports {
            	}
            	chain postrouting {
            		type nat hook postrouting priority srcnat; policy accept;
            	}
            	chain forward {
            		type filter hook forward priority filter; policy accept;
            		ct state established,related accept
            	}
            	chain input {
            		type filter hook input priority filter; policy accept;
            	}
            }

            """, NftFirewall.Render("minicontainer", [], []));
    }

    [Fact]
    public void Two_networks_an_internal_one_and_published_ports()
    {
        PortMapping[] ports =
        [
            new("tcp", IPAddress.Any, 8080, IPAddress.Parse("172.17.0.2"), 80),
            new("udp", IPAddress.Parse("10.1.2.3"), 5353, IPAddress.Parse("172.18.0.5"), 53),
            // Loopback only: served by the userland proxy alone.
            new("tcp", IPAddress.Loopback, 9000, IPAddress.Parse("172.18.0.5"), 9000),
            // A container on an internal network is never published (Docker ignores -p there).
            new("tcp", IPAddress.Any, 9001, IPAddress.Parse("172.19.0.7"), 80),
        ];
        Assert.Equal("""
            table inet minicontainer_t1a2b {
            	chain prerouting {
            		type nat hook prerouting priority dstnat; policy accept;
            		fib daddr type local jump published_ports
            	}
            	chain output {
            		type nat hook output priority -100; policy accept;
            		ip daddr != 127.0.0.0/8 fib daddr type local jump published_ports
            		ip6 daddr != ::1 fib daddr type local jump published_ports
            	}
            	chain published_ports {
            		iifname != "minicontainer0" meta nfproto ipv4 tcp dport 8080 dnat ip to 172.17.0.2:80
            		iifname != "mc-0123456789ab" ip daddr 10.1.2.3 udp dport 5353 dnat ip to 172.18.0.5:53
            	}
            	chain postrouting {
            		type nat hook postrouting priority srcnat; policy accept;
            		ip saddr 172.17.0.0/16 oifname != { "minicontainer0", "mc-0123456789ab", "mc-ba9876543210" } masquerade
            		ip saddr 172.18.0.0/16 oifname != { "minicontainer0", "mc-0123456789ab", "mc-ba9876543210" } masquerade
            	}
            	chain forward {
            		type filter hook forward priority filter; policy accept;
            		ct state established,related accept
            		oifname "minicontainer0" ct status dnat ip daddr 172.17.0.2 tcp dport 80 accept
            		oifname "mc-0123456789ab" ct status dnat ip daddr 172.18.0.5 udp dport 53 accept
            		oifname "minicontainer0" iifname != "minicontainer0" drop
            		oifname "mc-0123456789ab" iifname != "mc-0123456789ab" drop
            		iifname "mc-ba9876543210" oifname != "mc-ba9876543210" drop
            		oifname "mc-ba9876543210" iifname != "mc-ba9876543210" drop
            	}
            	chain input {
            		type filter hook input priority filter; policy accept;
            		iifname "mc-ba9876543210" ct state established,related accept
            		iifname "mc-ba9876543210" ip daddr 172.19.0.0/16 meta l4proto { tcp, udp } th dport 53 accept
            		iifname "mc-ba9876543210" drop
            	}
            }

            """, NftFirewall.Render("minicontainer_t1a2b", [Default, Front, Back], ports));
    }

    [Fact]
    public void One_network_masquerades_past_its_own_bridge_only()
    {
        string text = NftFirewall.Render("minicontainer", [Front], []);
        Assert.Contains("\t\tip saddr 172.18.0.0/16 oifname != \"mc-0123456789ab\" masquerade\n", text);
    }

    [Fact]
    public void IPv6_networks_use_ip6_matches_and_bracketed_targets()
    {
        var v6 = new FirewallNetwork("mc-v6", IPNetwork.Parse("fd00:1::/64"), false);
        var v6Internal = new FirewallNetwork("mc-v6i", IPNetwork.Parse("fd00:2::/64"), true);
        string text = NftFirewall.Render("minicontainer", [v6, v6Internal],
            [new("tcp", IPAddress.IPv6Any, 8443, IPAddress.Parse("fd00:1::2"), 443),
             // An IPv4 host address cannot be translated to an IPv6 container: the proxy alone serves it.
             new("tcp", IPAddress.Any, 8443, IPAddress.Parse("fd00:1::2"), 443)]);
        Assert.Contains("\t\tiifname != \"mc-v6\" meta nfproto ipv6 tcp dport 8443 dnat ip6 to [fd00:1::2]:443\n", text);
        Assert.Contains("\t\toifname \"mc-v6\" ct status dnat ip6 daddr fd00:1::2 tcp dport 443 accept\n", text);
        Assert.Contains("\t\tip6 saddr fd00:1::/64 oifname != { \"mc-v6\", \"mc-v6i\" } masquerade\n", text);
        Assert.Contains("\t\tiifname \"mc-v6i\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n", text);
        Assert.Single(text.Split('\n'), l => l.Contains(" dnat ip6 to "));
    }

    [Fact]
    public void The_same_port_on_two_host_addresses_accepts_once()
    {
        string text = NftFirewall.Render("minicontainer", [Front],
            [new("tcp", IPAddress.Parse("10.0.0.1"), 80, IPAddress.Parse("172.18.0.2"), 80),
             new("tcp", IPAddress.Parse("10.0.0.2"), 80, IPAddress.Parse("172.18.0.2"), 80)]);
        Assert.Equal(2, text.Split('\n').Count(l => l.Contains("dnat ip to 172.18.0.2:80")));
        Assert.Single(text.Split('\n'), l => l.EndsWith("tcp dport 80 accept"));
    }

    [Fact]
    public void Replacing_deletes_the_old_table_in_the_same_transaction()
    {
        string script = NftFirewall.ReplaceScript("minicontainer", [], []);
        Assert.StartsWith("add table inet minicontainer\ndelete table inet minicontainer\ntable inet minicontainer {\n", script);
    }

    [Theory]
    [InlineData("bad name")]
    [InlineData("1table")]
    [InlineData("t;flush ruleset")]
    public void Table_names_that_could_inject_text_are_refused(string table)
    {
        Assert.Throws<ArgumentException>(() => new NftFirewall(table));
        Assert.Throws<ArgumentException>(() => NftFirewall.Render(table, [], []));
    }

    [Fact]
    public void Bad_bridge_names_protocols_and_ports_are_refused()
    {
        Assert.Throws<ArgumentException>(() => NftFirewall.Render("t", [Front with { Bridge = "a\" drop" }], []));
        Assert.Throws<ArgumentException>(() => NftFirewall.Render("t", [], [new("icmp", IPAddress.Any, 1, IPAddress.Loopback, 1)]));
        Assert.Throws<ArgumentException>(() => NftFirewall.Render("t", [], [new("tcp", IPAddress.Any, 0, IPAddress.Loopback, 1)]));
    }
}
