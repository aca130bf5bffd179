using System.Net;

namespace MiniContainer.Networking;

/// <summary>
/// The daemon's networking flags. The defaults are the real installation's names; a test daemon passes its own
/// (--bridge mct1a2b0 --bridge-prefix mct1a2b- --veth-prefix mct1a2bv --nft-table minicontainer_t1a2b
/// --default-subnet 10.213.0.0/24 --default-address-pool base=10.214.0.0/16,size=24) so that it never collides
/// with another daemon on the same host. --dns-upstream sets the resolvers the embedded DNS forwards to
/// (default: the host's /etc/resolv.conf, read at each question).
/// </summary>
public sealed class NetworkOptions
{
    public string DefaultBridge { get; set; } = "minicontainer0";
    public string BridgePrefix { get; set; } = "mc-";
    public string VethPrefix { get; set; } = "mcv";
    public string NftTable { get; set; } = "minicontainer";
    public Ipv4Subnet DefaultSubnet { get; set; } = Ipv4Subnet.Parse("172.17.0.0/16");
    public List<Ipv4Subnet> AddressPool { get; set; } = DockerDefaultPool().ToList();
    public List<IPEndPoint> DnsUpstreams { get; set; } = new();
    /// <summary>The port the embedded DNS listens on, on each network's gateway (53; a test may pick another).</summary>
    public int DnsPort { get; set; } = 53;

    /// <summary>Docker's default pools: 172.18.0.0/16 … 172.31.0.0/16, then 192.168.0.0/16 in /20s.</summary>
    public static IEnumerable<Ipv4Subnet> DockerDefaultPool() =>
        Enumerable.Range(18, 14).Select(b => Ipv4Subnet.Parse($"172.{b}.0.0/16"))
            .Concat(Ipam.Split(Ipv4Subnet.Parse("192.168.0.0/16"), 20));

    private bool _poolGiven;

    /// <summary>Consumes one networking flag at args[i] (advancing i past its value); false if it is not one of ours.</summary>
    public bool TryParse(string flag, Func<string> next)
    {
        switch (flag)
        {
            case "--bridge": DefaultBridge = Name(next(), 15); return true;
            case "--bridge-prefix": BridgePrefix = Name(next(), 11); return true;
            case "--veth-prefix": VethPrefix = Name(next(), 10); return true;
            case "--nft-table": NftTable = next(); return true;
            case "--dns-port": DnsPort = int.TryParse(next(), out int port) && port is > 0 and < 65536 ? port : throw new ArgumentException("invalid --dns-port: want 1-65535"); return true;
            case "--default-subnet":
                string s = next();
                if (!Ipv4Subnet.TryParse(s, out var subnet)) throw new ArgumentException($"invalid --default-subnet {s}: want an IPv4 CIDR like 172.17.0.0/16");
                DefaultSubnet = subnet;
                return true;
            case "--default-address-pool":
                if (!_poolGiven) { AddressPool.Clear(); _poolGiven = true; }
                AddressPool.AddRange(ParsePool(next()));
                return true;
            case "--dns-upstream":
                string u = next();
                if (!IPEndPoint.TryParse(u, out var ep)) throw new ArgumentException($"invalid --dns-upstream {u}: want IP or IP:PORT");
                if (ep.Port == 0) ep.Port = 53;
                DnsUpstreams.Add(ep);
                return true;
            default: return false;
        }
    }

    public const string Usage = "[--bridge NAME] [--bridge-prefix P] [--veth-prefix P] [--nft-table NAME] [--default-subnet CIDR] " +
                                "[--default-address-pool base=CIDR,size=N] [--dns-upstream IP[:PORT]] [--dns-port N]";

    /// <summary>"base=10.214.0.0/16,size=24"</summary>
    private static IEnumerable<Ipv4Subnet> ParsePool(string spec)
    {
        string? b = null; int size = 0;
        foreach (string part in spec.Split(','))
        {
            string[] kv = part.Split('=', 2);
            if (kv.Length != 2) throw new ArgumentException($"invalid --default-address-pool {spec}");
            if (kv[0] == "base") b = kv[1];
            else if (kv[0] == "size" && int.TryParse(kv[1], out int n)) size = n;
            else throw new ArgumentException($"invalid --default-address-pool {spec}");
        }
        if (b == null || !Ipv4Subnet.TryParse(b, out var poolBase) || size == 0)
            throw new ArgumentException($"invalid --default-address-pool {spec}: want base=CIDR,size=N");
        return Ipam.Split(poolBase, size).ToList();
    }

    private static string Name(string value, int maxLength)
    {
        if (value.Length == 0 || value.Length > maxLength || value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new ArgumentException($"invalid interface name or prefix \"{value}\" (at most {maxLength} characters: letters, digits, - and _)");
        return value;
    }
}
