using System.Net;

namespace MiniContainer.Networking.Firewall;

/// <summary>
/// Inside a container's network namespace, questions to the embedded DNS at 127.0.0.11:53 are DNATed to the port
/// where the daemon's sockets for that container really listen (a random one, picked when they were bound): so a
/// program in the container can still bind port 53 itself (a DNS server image), as with Docker, which does the
/// same with iptables. Replies need no rule: conntrack turns their source back into 127.0.0.11:53. The table lives
/// in the container's namespace and dies with it; re-applying replaces it whole (a daemon restart binds new ports).
/// </summary>
public static class ContainerDnsNat
{
    public static readonly IPAddress Address = IPAddress.Parse("127.0.0.11");

    /// <summary>The nft script for the container's own namespace (pure).</summary>
    public static string Script(string table, int port)
    {
        NftRuleset.CheckTableName(table);
        if (port is <= 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(port));
        return $"add table ip {table}\ndelete table ip {table}\n" +
               $"table ip {table} {{\n" +
               "\tchain output {\n" +
               "\t\ttype nat hook output priority -100; policy accept;\n" +
               $"\t\tip daddr {Address} udp dport 53 dnat to {Address}:{port}\n" +
               $"\t\tip daddr {Address} tcp dport 53 dnat to {Address}:{port}\n" +
               "\t}\n}\n";
    }
}
