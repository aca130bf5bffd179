using System.Runtime.InteropServices;
using System.Text;

namespace MiniContainer.Linux.Netlink;

/// <summary>
/// Builds one netlink message: the 16-byte header (struct nlmsghdr), a fixed family header (ifinfomsg,
/// ifaddrmsg, rtmsg), then attributes (struct rtattr: u16 length, u16 type, data, padded to 4 bytes).
/// Attributes may nest (IFLA_LINKINFO → IFLA_INFO_DATA → VETH_INFO_PEER). Numbers are in host byte order,
/// addresses in network order, as the kernel expects. Pure: unit tests compare its bytes.
/// </summary>
public sealed class NetlinkWriter
{
    private readonly List<byte> _bytes = new();

    public NetlinkWriter(ushort type, ushort flags)
    {
        U32(0);           // nlmsg_len: patched in Finish
        U16(type);        // nlmsg_type
        U16(flags);       // nlmsg_flags
        U32(0);           // nlmsg_seq: patched in Finish
        U32(0);           // nlmsg_pid: 0 = to the kernel
    }

    /// <summary>struct ifinfomsg { u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change; }</summary>
    public NetlinkWriter IfInfo(int index = 0, uint flags = 0, uint change = 0, byte family = 0)
    {
        _bytes.Add(family); _bytes.Add(0); U16(0); U32((uint)index); U32(flags); U32(change);
        return this;
    }

    /// <summary>struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }</summary>
    public NetlinkWriter IfAddr(byte family, byte prefixLength, int index)
    {
        _bytes.Add(family); _bytes.Add(prefixLength); _bytes.Add(0); _bytes.Add(0); U32((uint)index);
        return this;
    }

    /// <summary>struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }</summary>
    public NetlinkWriter RtMsg(byte family, byte dstLength, byte table, byte protocol, byte scope, byte type)
    {
        _bytes.AddRange(new byte[] { family, dstLength, 0, 0, table, protocol, scope, type });
        U32(0);
        return this;
    }

    public NetlinkWriter Attr(ushort type, ReadOnlySpan<byte> data)
    {
        U16((ushort)(4 + data.Length));
        U16(type);
        foreach (byte b in data) _bytes.Add(b);
        Pad();
        return this;
    }

    /// <summary>A NUL-terminated string attribute (interface names, link kinds).</summary>
    public NetlinkWriter AttrString(ushort type, string value) => Attr(type, Encoding.ASCII.GetBytes(value + "\0"));

    public NetlinkWriter AttrU32(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        MemoryMarshal.Write(b, in value);
        return Attr(type, b);
    }

    /// <summary>Opens a nested attribute; close it with <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int start = _bytes.Count;
        U16(0);
        U16(type);
        return start;
    }

    public NetlinkWriter EndNested(int start)
    {
        Patch16(start, (ushort)(_bytes.Count - start));
        return this;
    }

    /// <summary>The finished message with its length and sequence number filled in.</summary>
    public byte[] Finish(uint sequence)
    {
        var bytes = _bytes.ToArray();
        uint length = (uint)bytes.Length;
        MemoryMarshal.Write(bytes.AsSpan(0), in length);
        MemoryMarshal.Write(bytes.AsSpan(8), in sequence);
        return bytes;
    }

    private void U16(ushort v) { _bytes.Add((byte)v); _bytes.Add((byte)(v >> 8)); if (!BitConverter.IsLittleEndian) Swap(2); }
    private void U32(uint v) { for (int i = 0; i < 4; i++) _bytes.Add((byte)(v >> (8 * i))); if (!BitConverter.IsLittleEndian) Swap(4); }
    private void Swap(int n) => _bytes.Reverse(_bytes.Count - n, n);
    private void Pad() { while (_bytes.Count % 4 != 0) _bytes.Add(0); }

    private void Patch16(int at, ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        MemoryMarshal.Write(b, in v);
        _bytes[at] = b[0]; _bytes[at + 1] = b[1];
    }
}
