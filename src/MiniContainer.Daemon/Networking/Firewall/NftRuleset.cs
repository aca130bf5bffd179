using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace MiniContainer.Networking.Firewall;

/// <summary>
/// The project's whole nftables table as `nft -f` text, rendered from the networks and published ports alone
/// (pure: same state, same text). Six chains:
/// <list type="bullet">
/// <item>prerouting / output (nat, dstnat priority): traffic for a local address jumps to published_ports.
///   output skips loopback destinations: those reach the userland proxy, which listens on the host port.</item>
/// <item>published_ports: one DNAT per published port. Not for traffic from the container's own bridge, which
///   goes to the proxy too (as Docker does with its userland proxy), so replies come back the way they went.</item>
/// <item>postrouting (nat, srcnat priority): masquerade for a non-internal subnet leaving through a
///   non-project interface (unless the network was made with enable_ip_masquerade=false).</item>
/// <item>forward (filter): replies pass; published ports pass; nothing else enters a bridge from outside it
///   (this is what keeps networks apart, and what keeps unpublished container ports unreachable from outside,
///   as in Docker ≥ 28); an internal network's traffic never leaves its bridge.</item>
/// <item>input (filter): an internal network may reach the host only for DNS on its gateway.</item>
/// </list>
/// Every chain has policy accept: this table only drops what it must, so it leaves the rest of the host's
/// firewall alone. A drop in another table (e.g. Docker's iptables FORWARD policy) still applies to our traffic:
/// in nftables every base chain on a hook sees the packet, and an accept here does not overrule a drop there.
/// </summary>
internal static partial class NftRuleset
{
    public static string Render(string table, IReadOnlyList<FirewallNetwork> networks, IReadOnlyList<PortMapping> ports)
    {
        CheckNames(table, networks, ports);
        var dnats = new List<string>();
        var publishedAccepts = new List<string>();
        foreach (var port in ports)
        {
            if (PublishedRules(port, networks) is not var (dnat, accept)) continue;
            dnats.Add(dnat);
            publishedAccepts.Add(accept);
        }

        var t = new StringBuilder();
        t.Append("table inet ").Append(table).Append(" {\n");

        Chain(t, "prerouting", "type nat hook prerouting priority dstnat; policy accept;",
            ["fib daddr type local jump published_ports"]);
        // -100 is dstnat: nft 1.0.6 (Debian 12) accepts that keyword in prerouting only.
        Chain(t, "output", "type nat hook output priority -100; policy accept;",
            ["ip daddr != 127.0.0.0/8 fib daddr type local jump published_ports",
             "ip6 daddr != ::1 fib daddr type local jump published_ports"]);
        Chain(t, "published_ports", null, dnats.Distinct());

        string allBridges = Set(networks.Select(n => Quote(n.Bridge)));
        Chain(t, "postrouting", "type nat hook postrouting priority srcnat; policy accept;",
            networks.Where(n => !n.Internal && n.Masquerade).Select(n => $"{Ip(n.Subnet)} saddr {n.Subnet} oifname != {allBridges} masquerade"));

        var forward = new List<string> { "ct state established,related accept" };
        forward.AddRange(publishedAccepts.Distinct());
        foreach (var n in networks)
        {
            string bridge = Quote(n.Bridge);
            if (n.Internal) forward.Add($"iifname {bridge} oifname != {bridge} drop");
            forward.Add($"oifname {bridge} iifname != {bridge} drop");
        }
        Chain(t, "forward", "type filter hook forward priority filter; policy accept;", forward);

        var input = new List<string>();
        foreach (var n in networks.Where(n => n.Internal))
        {
            string bridge = Quote(n.Bridge);
            input.Add($"iifname {bridge} ct state established,related accept");
            // The only local address inside the subnet is the gateway: this is "DNS to the gateway".
            input.Add($"iifname {bridge} {Ip(n.Subnet)} daddr {n.Subnet} meta l4proto {{ tcp, udp }} th dport 53 accept");
            // IPv6 finds the gateway's link address with ICMPv6 neighbour discovery (IPv4's ARP is not inet traffic).
            if (n.Subnet.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6)
                input.Add($"iifname {bridge} icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} accept");
            input.Add($"iifname {bridge} drop");
        }
        Chain(t, "input", "type filter hook input priority filter; policy accept;", input);

        t.Append("}\n");
        return t.ToString();
    }

    /// <summary>The DNAT rule and the forward accept of one published port, or null when it gets none: a loopback
    /// host address (only the proxy serves it), a container on an internal network (Docker publishes nothing there),
    /// or host and container addresses of different families (the kernel cannot translate IPv6 to IPv4).</summary>
    static (string Dnat, string Accept)? PublishedRules(PortMapping port, IReadOnlyList<FirewallNetwork> networks)
    {
        if (IPAddress.IsLoopback(port.HostIp)) return null;
        if (port.HostIp.AddressFamily != port.ContainerIp.AddressFamily) return null;
        var network = networks.FirstOrDefault(n => n.Subnet.Contains(port.ContainerIp));
        if (network is { Internal: true }) return null;

        string ip = Ip(port.ContainerIp);
        bool anyHostAddress = port.HostIp.Equals(IPAddress.Any) || port.HostIp.Equals(IPAddress.IPv6Any);
        string fromElsewhere = network is null ? "" : $"iifname != {Quote(network.Bridge)} ";
        string hostMatch = anyHostAddress ? $"meta nfproto {(ip == "ip" ? "ipv4" : "ipv6")} " : $"{ip} daddr {port.HostIp} ";
        string target = ip == "ip" ? $"{port.ContainerIp}:{port.ContainerPort}" : $"[{port.ContainerIp}]:{port.ContainerPort}";
        string dnat = $"{fromElsewhere}{hostMatch}{port.Protocol} dport {port.HostPort} dnat {ip} to {target}";
        string toBridge = network is null ? "" : $"oifname {Quote(network.Bridge)} ";
        string accept = $"{toBridge}ct status dnat {ip} daddr {port.ContainerIp} {port.Protocol} dport {port.ContainerPort} accept";
        return (dnat, accept);
    }

    static void Chain(StringBuilder t, string name, string? hook, IEnumerable<string> rules)
    {
        t.Append("\tchain ").Append(name).Append(" {\n");
        if (hook is not null) t.Append("\t\t").Append(hook).Append('\n');
        foreach (string rule in rules) t.Append("\t\t").Append(rule).Append('\n');
        t.Append("\t}\n");
    }

    static string Ip(IPNetwork subnet) => Ip(subnet.BaseAddress);
    static string Ip(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "ip";
    static string Quote(string name) => "\"" + name + "\"";
    static string Set(IEnumerable<string> items) => items.ToList() is [var one] ? one : "{ " + string.Join(", ", items) + " }";

    /// <summary>Names go into the text unescaped, so only plain ones are accepted; numbers must be real ports.</summary>
    static void CheckNames(string table, IReadOnlyList<FirewallNetwork> networks, IReadOnlyList<PortMapping> ports)
    {
        CheckTableName(table);
        foreach (var n in networks)
            if (!InterfaceName().IsMatch(n.Bridge)) throw new ArgumentException($"invalid bridge name \"{n.Bridge}\"");
        foreach (var p in ports)
        {
            if (p.Protocol is not ("tcp" or "udp" or "sctp")) throw new ArgumentException($"invalid proto: {p.Protocol}");
            if (p.HostPort is < 1 or > 65535 || p.ContainerPort is < 1 or > 65535)
                throw new ArgumentException($"invalid port mapping {p.HostPort}:{p.ContainerPort}: ports must be 1-65535 (an ephemeral host port must be bound before its rule is made)");
        }
    }

    public static void CheckTableName(string table)
    {
        if (!TableName().IsMatch(table)) throw new ArgumentException($"invalid nftables table name \"{table}\" (letters, digits and _ only)");
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")] private static partial Regex TableName();
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$")] private static partial Regex InterfaceName();
}
