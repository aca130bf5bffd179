using System.Net;

namespace MiniContainer.Networking.Dns;

/// <summary>The host's own DNS resolvers, which the embedded servers forward to.</summary>
public static class HostResolvers
{
    public const int DnsPort = 53;

    /// <summary>
    /// The nameservers of a resolv.conf (default /etc/resolv.conf) in file order, port 53. The daemon forwards from
    /// the host's network namespace, so loopback resolvers (systemd-resolved's 127.0.0.53) work as upstreams.
    /// Comments (# or ;), other keywords (search, options…) and addresses that do not parse are skipped; IPv6
    /// addresses may carry a zone ("fe80::1%eth0"). A missing or unreadable file means no resolvers.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> FromResolvConf(string path = "/etc/resolv.conf")
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
        return Parse(text);
    }

    /// <summary>The nameservers in a resolv.conf's text.</summary>
    public static IReadOnlyList<IPEndPoint> Parse(string resolvConf)
    {
        var servers = new List<IPEndPoint>();
        foreach (var raw in resolvConf.Split('\n'))
        {
            var line = raw;
            int comment = line.IndexOfAny(['#', ';']);
            if (comment >= 0) line = line[..comment];
            var fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0] != "nameserver") continue;
            if (!IPAddress.TryParse(fields[1], out var address)) continue;
            var server = new IPEndPoint(address, DnsPort);
            if (!servers.Contains(server)) servers.Add(server);
        }
        return servers;
    }
}
