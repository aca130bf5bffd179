namespace MiniContainer.Explaining;

/// <summary>The words for rtnetlink requests (what `ip` would do) and the firewall (what `nft` does).</summary>
public static class ExplainNetwork
{
    /// <summary>`ip` run inside a namespace: `nsenter --net=PATH ip …` (null: the host's).</summary>
    private static string Ip(string? ns, string args) => ns is null ? $"ip {args}" : $"nsenter --net={ns} ip {args}";

    private static string Where(string? ns) => ns is null ? "on the host" : "inside the container's network namespace";

    public static ExplainLine VethPair(string hostEnd, string peer, string peerNamespace, byte[] mac) => new(ExplainPhase.Network,
        $"Create a veth pair — a virtual cable — with {hostEnd} on the host and {peer} born directly inside the container's network namespace ({peerNamespace}), MAC {Mac(mac)}",
        $"ip link add {hostEnd} type veth peer name {peer} netns {NetnsArgument(peerNamespace)} address {Mac(mac)}",
        $"sendmsg(netlink, RTM_NEWLINK {{IFLA_IFNAME=\"{hostEnd}\", IFLA_LINKINFO={{kind=\"veth\", peer={{IFLA_IFNAME=\"{peer}\", IFLA_NET_NS_FD, IFLA_ADDRESS={Mac(mac)}}}}}}}, NLM_F_CREATE|NLM_F_EXCL|NLM_F_ACK)");

    public static ExplainLine SetMaster(string name, string bridge) => new(ExplainPhase.Network,
        $"Plug the host end {name} into the bridge {bridge} (the network's switch)",
        $"ip link set {name} master {bridge}",
        $"sendmsg(netlink, RTM_NEWLINK {{ifindex({name}), IFLA_MASTER=ifindex({bridge})}}, NLM_F_ACK)");

    public static ExplainLine SetUp(string name, string? ns) => new(ExplainPhase.Network,
        $"Bring {name} up {Where(ns)}",
        Ip(ns, $"link set {name} up"),
        $"sendmsg(netlink, RTM_NEWLINK {{ifindex({name}), ifi_flags=IFF_UP}}, NLM_F_ACK)");

    public static ExplainLine AddAddress(string name, string cidr, string? ns) => new(ExplainPhase.Network,
        $"Give {name} the address {cidr} {Where(ns)}",
        Ip(ns, $"addr add {cidr} dev {name}"),
        $"sendmsg(netlink, RTM_NEWADDR {{ifindex({name}), IFA_LOCAL={cidr}}}, NLM_F_CREATE|NLM_F_EXCL|NLM_F_ACK)");

    public static ExplainLine DefaultRoute(string gateway, string? ns) => new(ExplainPhase.Network,
        $"Route everything else via the bridge's address {gateway} {Where(ns)}",
        Ip(ns, $"route add default via {gateway}"),
        $"sendmsg(netlink, RTM_NEWROUTE {{dst=0.0.0.0/0, RTA_GATEWAY={gateway}}}, NLM_F_CREATE|NLM_F_ACK)");

    /// <summary>The table replaced with `nft -f`; <paramref name="highlighted"/> are the rules worth showing (this
    /// container's published ports).</summary>
    public static ExplainLine NftReplace(string table, int lines, IReadOnlyList<string> highlighted) => new(ExplainPhase.Network,
        highlighted.Count > 0
            ? $"Replace the nftables table inet {table} in one transaction ({lines} lines); the published ports become DNAT rules: {string.Join("; ", highlighted)}"
            : $"Replace the nftables table inet {table} in one transaction ({lines} lines): isolation between networks and masquerade",
        $"nft -f ruleset.nft   # add table inet {table}; delete table inet {table}; table inet {table} {{ … }}" +
            string.Concat(highlighted.Select(h => $"\n  nft add rule inet {table} published_ports {h}")),
        "execve(\"/usr/sbin/nft\", [\"nft\", \"-f\", \"-\"]) → sendmsg(netlink NETLINK_NETFILTER, NFT_MSG_NEWTABLE/NEWCHAIN/NEWRULE… in one batch)");

    private static string NetnsArgument(string ns) => ns.StartsWith("/proc/", StringComparison.Ordinal) && ns.EndsWith("/ns/net", StringComparison.Ordinal)
        ? ns["/proc/".Length..^"/ns/net".Length] : ns;

    public static string Mac(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2")));
}
