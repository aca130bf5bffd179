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

    public static ExplainLine CreateBridge(string bridge) => new(ExplainPhase.Network,
        $"Create the bridge {bridge}: a virtual switch on the host; every container of the network plugs a veth into it",
        $"ip link add {bridge} type bridge",
        $"sendmsg(netlink, RTM_NEWLINK {{IFLA_IFNAME=\"{bridge}\", IFLA_LINKINFO={{kind=\"bridge\"}}}}, NLM_F_CREATE|NLM_F_EXCL|NLM_F_ACK)");

    /// <summary>A link deleted; deleting one end of a veth pair deletes the other, wherever it is.</summary>
    public static ExplainLine DeleteLink(string name, string? kind) => new(ExplainPhase.Network,
        kind switch
        {
            "veth" => $"Delete {name}, the host end of a veth pair: its other end, inside the container's network namespace, goes with it (and the address and routes on it)",
            "bridge" => $"Delete the bridge {name}: the network's switch and the gateway address on it",
            _ => $"Delete the link {name}",
        },
        $"ip link del {name}",
        $"sendmsg(netlink, RTM_DELLINK {{ifindex({name})}}, NLM_F_ACK)");

    /// <summary>The names other containers on a network may resolve to this endpoint, kept by the daemon's embedded
    /// DNS (no kernel object: the record is the network's state file, which the DNS server reads).</summary>
    public static ExplainLine DnsNames(string network, string address, IReadOnlyList<string> names, string stateFile, bool added) => new(ExplainPhase.Network,
        added
            ? $"Register {string.Join(", ", names)} → {address} with the embedded DNS of network {network}: containers on {network} resolve these names (through 127.0.0.11 in their namespace); no kernel object, a record in the network's state"
            : $"Withdraw {string.Join(", ", names)} → {address} from the embedded DNS of network {network}",
        added ? $"# like adding '{address} {string.Join(' ', names)}' to a hosts file only {network}'s containers read"
              : $"# like deleting '{address} {string.Join(' ', names)}' from that hosts file",
        $"openat(AT_FDCWD, \"{TempOf(stateFile)}\", O_WRONLY|O_CREAT|O_EXCL, 0600); write(fd, …); fsync(fd); rename(\"{TempOf(stateFile)}\", {ExplainText.Quote(stateFile)})");

    /// <summary>How AtomicFile names its temporary file next to the real one.</summary>
    private static string TempOf(string file) => $"{Path.GetDirectoryName(file)}/.{Path.GetFileName(file)}.tmp-…";

    /// <summary>127.0.0.11:53 inside a container, DNATed to the daemon's resolver socket in that namespace.</summary>
    public static ExplainLine ContainerDnsNat(string nsPath, string table, int port) => new(ExplainPhase.Network,
        $"Inside the container's network namespace, send 127.0.0.11:53 (the nameserver its /etc/resolv.conf names) to port {port}, where the daemon's resolver socket for this container listens",
        $"nsenter --net={nsPath} nft -f -   # table ip {table} {{ chain output {{ … ip daddr 127.0.0.11 udp dport 53 dnat to 127.0.0.11:{port} … }} }}",
        $"setns(fd, CLONE_NEWNET); execve(\"/usr/sbin/nft\", [\"nft\", \"-f\", \"-\"]) → sendmsg(netlink NETLINK_NETFILTER, NFT_MSG_NEWTABLE/NEWCHAIN/NEWRULE…)");

    /// <summary>
    /// The table replaced with `nft -f`, described by what changed: <paramref name="before"/> is the table's text as
    /// this daemon last applied it (null: not yet), <paramref name="after"/> the new one. Each added rule is shown as
    /// the `nft add rule` that would add it alone, each removed one as the `nft delete rule` that would remove it.
    /// </summary>
    public static ExplainLine NftReplace(string table, string? before, string after)
    {
        var (added, removed) = RuleChanges(before, after);
        int lines = after.TrimEnd('\n').Split('\n').Length;
        string what = added.Count + removed.Count == 0 ? "no rule changed"
            : string.Join("; ", new[]
            {
                added.Count > 0 ? $"{added.Count} rule{(added.Count == 1 ? "" : "s")} added" : null,
                removed.Count > 0 ? $"{removed.Count} removed" : null,
            }.OfType<string>());
        string sentence = before is null
            ? $"Load the nftables table inet {table} in one transaction ({lines} lines): NAT for published ports, masquerade for each network, and the forward rules that keep networks apart"
            : $"Replace the nftables table inet {table} in one transaction ({lines} lines): {what}";
        var published = added.Where(r => r.Chain == "published_ports").Select(r => r.Rule).ToList();
        if (published.Count > 0) sentence += $"; the published ports become DNAT rules: {string.Join("; ", published)}";
        if (added.Any(r => r.Chain == "forward" && r.Rule.Contains(" drop", StringComparison.Ordinal)))
            sentence += "; isolation: nothing from outside a bridge enters it (`oifname BRIDGE iifname != BRIDGE drop`)";
        return new(ExplainPhase.Network, sentence,
            $"nft -f ruleset.nft   # add table inet {table}; delete table inet {table}; table inet {table} {{ … }}" +
                string.Concat(added.Select(r => $"\n  nft add rule inet {table} {r.Chain} {r.Rule}")) +
                string.Concat(removed.Select(r => $"\n  nft delete rule inet {table} {r.Chain} handle N   # N: the handle of '{r.Rule}' (nft -a list table inet {table})")),
            "execve(\"/usr/sbin/nft\", [\"nft\", \"-f\", \"-\"]) → sendmsg(netlink NETLINK_NETFILTER, NFT_MSG_NEWTABLE/NEWCHAIN/NEWRULE… in one batch)");
    }

    /// <summary>One rule of an `nft -f` table text, with the chain it is in.</summary>
    public readonly record struct NftRule(string Chain, string Rule);

    /// <summary>The rules in <paramref name="after"/> and not in <paramref name="before"/>, and the other way round
    /// (chain headers and hook lines are not rules).</summary>
    public static (List<NftRule> Added, List<NftRule> Removed) RuleChanges(string? before, string after)
    {
        var old = Rules(before ?? "");
        var now = Rules(after);
        return (now.Where(r => !old.Contains(r)).ToList(), old.Where(r => !now.Contains(r)).ToList());
    }

    private static List<NftRule> Rules(string text)
    {
        var rules = new List<NftRule>();
        string? chain = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("chain ", StringComparison.Ordinal)) chain = line["chain ".Length..].TrimEnd('{', ' ');
            else if (line == "}") chain = null;
            else if (chain is not null && line.Length > 0 && !line.StartsWith("type ", StringComparison.Ordinal)) rules.Add(new(chain, line));
        }
        return rules;
    }

    private static string NetnsArgument(string ns) => ns.StartsWith("/proc/", StringComparison.Ordinal) && ns.EndsWith("/ns/net", StringComparison.Ordinal)
        ? ns["/proc/".Length..^"/ns/net".Length] : ns;

    public static string Mac(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2")));
}
