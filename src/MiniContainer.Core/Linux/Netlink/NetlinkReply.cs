using System.Runtime.InteropServices;
using System.Text;
using static MiniContainer.Linux.Netlink.Rtnl;

namespace MiniContainer.Linux.Netlink;

/// <summary>One message of a kernel reply: its header fields and its payload (after the 16-byte header).</summary>
public readonly record struct NetlinkMessage(ushort Type, ushort Flags, uint Sequence, byte[] Payload)
{
    /// <summary>For NLMSG_ERROR: 0 is the acknowledgement, otherwise a positive errno.</summary>
    public int ErrorNumber => -MemoryMarshal.Read<int>(Payload);
}

/// <summary>A link as RTM_NEWLINK describes it (`ip link show`).</summary>
public sealed record LinkInfo(int Index, string Name, uint Flags, byte[]? Mac, int MasterIndex, string? Kind)
{
    public bool IsUp => (Flags & IFF_UP) != 0;

    /// <summary>IFLA_LINK: for a veth, the ifindex of its peer (in the peer's own network namespace); 0 when absent.</summary>
    public int PeerIndex { get; init; }
}

/// <summary>An IPv4 address as RTM_NEWADDR describes it (`ip -4 addr show`).</summary>
public sealed record AddressInfo(int LinkIndex, string Address, int PrefixLength);

/// <summary>An IPv4 route as RTM_NEWROUTE describes it (`ip -4 route show table all`); Destination "default" for 0/0.</summary>
public sealed record RouteInfo(string Destination, string? Gateway, int OutputIndex, string? PreferredSource, uint Table, byte Scope, byte Type);

/// <summary>Parses what the kernel sends back. Pure: unit tests feed it recorded bytes.</summary>
public static class NetlinkReply
{
    /// <summary>Splits one received datagram into its messages (several may share one datagram).</summary>
    public static List<NetlinkMessage> Split(ReadOnlySpan<byte> datagram)
    {
        var messages = new List<NetlinkMessage>();
        int at = 0;
        while (at + 16 <= datagram.Length)
        {
            int length = (int)MemoryMarshal.Read<uint>(datagram[at..]);
            if (length < 16 || at + length > datagram.Length) throw new FormatException($"bad netlink message length {length}");
            messages.Add(new NetlinkMessage(
                MemoryMarshal.Read<ushort>(datagram[(at + 4)..]), MemoryMarshal.Read<ushort>(datagram[(at + 6)..]),
                MemoryMarshal.Read<uint>(datagram[(at + 8)..]), datagram.Slice(at + 16, length - 16).ToArray()));
            at += Align(length);
        }
        return messages;
    }

    /// <summary>The attributes (type → data) of an attribute area; nested ones are parsed by calling this again.</summary>
    public static Dictionary<ushort, byte[]> Attributes(ReadOnlySpan<byte> area)
    {
        var attrs = new Dictionary<ushort, byte[]>();
        int at = 0;
        while (at + 4 <= area.Length)
        {
            ushort length = MemoryMarshal.Read<ushort>(area[at..]);
            ushort type = (ushort)(MemoryMarshal.Read<ushort>(area[(at + 2)..]) & 0x3fff);   // drop NLA_F_NESTED / NET_BYTEORDER
            if (length < 4 || at + length > area.Length) break;
            attrs[type] = area.Slice(at + 4, length - 4).ToArray();
            at += Align(length);
        }
        return attrs;
    }

    /// <summary>An RTM_NEWLINK payload: ifinfomsg (16 bytes) then IFLA_* attributes.</summary>
    public static LinkInfo ParseLink(byte[] payload)
    {
        int index = MemoryMarshal.Read<int>(payload.AsSpan(4));
        uint flags = MemoryMarshal.Read<uint>(payload.AsSpan(8));
        var attrs = Attributes(payload.AsSpan(16));
        string name = attrs.TryGetValue(IFLA_IFNAME, out var n) ? CString(n) : "";
        int master = attrs.TryGetValue(IFLA_MASTER, out var m) && m.Length >= 4 ? MemoryMarshal.Read<int>(m) : 0;
        string? kind = null;
        if (attrs.TryGetValue(IFLA_LINKINFO, out var info) && Attributes(info).TryGetValue(IFLA_INFO_KIND, out var k)) kind = CString(k);
        int peer = attrs.TryGetValue(IFLA_LINK, out var l) && l.Length >= 4 ? MemoryMarshal.Read<int>(l) : 0;
        return new LinkInfo(index, name, flags, attrs.GetValueOrDefault(IFLA_ADDRESS), master, kind) { PeerIndex = peer };
    }

    /// <summary>An RTM_NEWADDR payload: ifaddrmsg (8 bytes: family, prefixlen, flags, scope, index) then IFA_*.
    /// IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer's on point-to-point links).</summary>
    public static AddressInfo ParseAddress(byte[] payload)
    {
        int prefix = payload[1];
        int index = MemoryMarshal.Read<int>(payload.AsSpan(4));
        var attrs = Attributes(payload.AsSpan(8));
        byte[]? a = attrs.GetValueOrDefault(IFA_LOCAL) ?? attrs.GetValueOrDefault(IFA_ADDRESS);
        return new AddressInfo(index, a is { Length: 4 } ? new System.Net.IPAddress(a).ToString() : "", prefix);
    }

    /// <summary>An RTM_NEWROUTE payload: rtmsg (12 bytes: family, dst_len, src_len, tos, table, protocol, scope,
    /// type, flags) then RTA_*. RTA_TABLE, when present, holds table numbers above 255.</summary>
    public static RouteInfo ParseRoute(byte[] payload)
    {
        int dstLength = payload[1];
        var attrs = Attributes(payload.AsSpan(12));
        string Ip(ushort type) => attrs.TryGetValue(type, out var b) && b.Length == 4 ? new System.Net.IPAddress(b).ToString() : "";
        string dst = dstLength == 0 ? "default" : $"{Ip(RTA_DST)}/{dstLength}";
        uint table = attrs.TryGetValue(RTA_TABLE, out var t) && t.Length >= 4 ? MemoryMarshal.Read<uint>(t) : payload[4];
        int oif = attrs.TryGetValue(RTA_OIF, out var o) && o.Length >= 4 ? MemoryMarshal.Read<int>(o) : 0;
        string gateway = Ip(RTA_GATEWAY), source = Ip(RTA_PREFSRC);
        return new RouteInfo(dst, gateway.Length > 0 ? gateway : null, oif, source.Length > 0 ? source : null, table, payload[6], payload[7]);
    }

    private static string CString(byte[] b) => Encoding.ASCII.GetString(b).TrimEnd('\0');

    private static int Align(int n) => (n + 3) & ~3;
}
