using System.Net;

namespace MiniContainer.Networking;

/// <summary>
/// Address management for one network (pure): the gateway and every endpoint's address are taken; a new
/// endpoint gets the lowest free host address, or the one it asked for (--ip) if that is free and in the subnet.
/// The taken set comes from the persisted endpoints, so it survives daemon restarts.
/// </summary>
public static class Ipam
{
    /// <param name="range">--ip-range: a new endpoint without --ip gets its address from here only (null: the whole subnet).
    /// An explicit --ip may lie anywhere in the subnet, as with dockerd.</param>
    /// <param name="reserved">addresses never handed out (--aux-address).</param>
    public static IPAddress Allocate(Ipv4Subnet subnet, IPAddress gateway, IEnumerable<string> taken, string? requested, string networkName,
        Ipv4Subnet? range = null, IEnumerable<string>? reserved = null)
    {
        var used = taken.Concat(reserved ?? []).Select(IPAddress.Parse).Select(Ipv4Subnet.ToUInt).ToHashSet();
        used.Add(Ipv4Subnet.ToUInt(gateway));
        if (!string.IsNullOrEmpty(requested))
        {
            if (!IPAddress.TryParse(requested, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                throw new ArgumentException($"invalid IPv4 address: {requested}");
            uint v = Ipv4Subnet.ToUInt(ip);
            if (!subnet.Contains(ip) || v == subnet.Network || v == subnet.Broadcast)
                throw new ArgumentException($"no configured subnet or ip-range contain the IP address {requested}");
            if (used.Contains(v)) throw new InvalidOperationException($"Address already in use");
            return ip;
        }
        var pool = range ?? subnet;
        // The range's own first and last addresses are usable unless they are the subnet's network or broadcast address.
        uint first = Math.Max(pool.Network, subnet.Network + 1), last = Math.Min(pool.Broadcast, subnet.Broadcast - 1);
        for (ulong v = first; v <= last; v++)
            if (!used.Contains((uint)v)) return Ipv4Subnet.FromUInt((uint)v);
        throw new InvalidOperationException($"no available IPv4 addresses on this network's address pools: {networkName}");
    }

    /// <summary>Docker's MAC for an address: 02:42 and the four bytes of the IPv4 address (02:42:ac:11:00:02).</summary>
    public static byte[] MacFor(IPAddress ip) => new byte[] { 0x02, 0x42 }.Concat(ip.GetAddressBytes()).ToArray();

    public static string FormatMac(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2")));

    /// <summary>A subnet for a new network: the first pool entry that overlaps no existing network and no host route.</summary>
    public static Ipv4Subnet ChooseSubnet(IEnumerable<Ipv4Subnet> pool, IEnumerable<Ipv4Subnet> inUse)
    {
        var busy = inUse.ToList();
        foreach (var candidate in pool)
            if (!busy.Any(b => b.Overlaps(candidate))) return candidate;
        throw new InvalidOperationException("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
    }

    /// <summary>Docker's --default-address-pool base=CIDR,size=N: the base cut into /N subnets.</summary>
    public static IEnumerable<Ipv4Subnet> Split(Ipv4Subnet poolBase, int size)
    {
        if (size < poolBase.PrefixLength || size > 30) throw new ArgumentException($"invalid pool size {size} for base {poolBase}");
        uint step = 1u << (32 - size);
        for (ulong v = poolBase.Network; v <= poolBase.Broadcast; v += step) yield return new Ipv4Subnet((uint)v, size);
    }
}
