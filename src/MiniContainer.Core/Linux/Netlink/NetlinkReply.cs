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
}

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
        return new LinkInfo(index, name, flags, attrs.GetValueOrDefault(IFLA_ADDRESS), master, kind);
    }

    private static string CString(byte[] b) => Encoding.ASCII.GetString(b).TrimEnd('\0');

    private static int Align(int n) => (n + 3) & ~3;
}
