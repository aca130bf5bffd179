using System.Net;
using System.Net.Sockets;

namespace MiniContainer.Networking;

/// <summary>IPv4 subnet arithmetic for IPAM (pure). Addresses as 32-bit numbers in host order.</summary>
public readonly record struct Ipv4Subnet(uint Network, int PrefixLength)
{
    public static Ipv4Subnet Parse(string cidr)
    {
        if (!TryParse(cidr, out var s)) throw new FormatException($"invalid CIDR address: {cidr}");
        return s;
    }

    public static bool TryParse(string cidr, out Ipv4Subnet subnet)
    {
        subnet = default;
        string[] parts = cidr.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork ||
            !int.TryParse(parts[1], out int prefix) || prefix is < 0 or > 32) return false;
        subnet = new Ipv4Subnet(ToUInt(ip) & Mask(prefix), prefix);
        return true;
    }

    /// <summary>Was the address part already the network address (Docker refuses "172.18.0.5/16" as a subnet)?</summary>
    public static bool IsCanonical(string cidr) => TryParse(cidr, out var s) && ToUInt(IPAddress.Parse(cidr.Split('/')[0])) == s.Network;

    public uint Size => PrefixLength == 0 ? uint.MaxValue : 1u << (32 - PrefixLength);
    public uint Broadcast => Network | ~Mask(PrefixLength);
    public bool Contains(IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetwork && (ToUInt(ip) & Mask(PrefixLength)) == Network;
    public bool Overlaps(Ipv4Subnet other)
    {
        int p = Math.Min(PrefixLength, other.PrefixLength);
        return (Network & Mask(p)) == (other.Network & Mask(p));
    }

    /// <summary>The first host address (network + 1): Docker's default gateway.</summary>
    public IPAddress FirstHost => FromUInt(Network + 1);

    public override string ToString() => $"{FromUInt(Network)}/{PrefixLength}";

    public static uint Mask(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    public static uint ToUInt(IPAddress ip)
    {
        byte[] b = ip.GetAddressBytes();
        return (uint)b[0] << 24 | (uint)b[1] << 16 | (uint)b[2] << 8 | b[3];
    }

    public static IPAddress FromUInt(uint v) => new(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
}
