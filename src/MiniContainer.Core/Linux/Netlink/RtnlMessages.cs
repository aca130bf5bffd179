using System.Net;
using static MiniContainer.Linux.Netlink.Rtnl;

namespace MiniContainer.Linux.Netlink;

/// <summary>
/// The rtnetlink requests MiniContainer sends, one small factory each — what `ip link add … type bridge`,
/// `ip link set … master`, `ip addr add`, `ip route add default via` put on the wire. Pure (unit-tested byte
/// for byte); <see cref="RtnlClient"/> sends them and waits for the kernel's acknowledgement.
/// </summary>
public static class RtnlMessages
{
    private const ushort Create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    private const ushort Change = NLM_F_REQUEST | NLM_F_ACK;

    /// <summary>ip link add NAME type bridge</summary>
    public static NetlinkWriter NewBridge(string name)
    {
        var w = new NetlinkWriter(RTM_NEWLINK, Create).IfInfo().AttrString(IFLA_IFNAME, name);
        int info = w.BeginNested(IFLA_LINKINFO);
        w.AttrString(IFLA_INFO_KIND, "bridge");
        return w.EndNested(info);
    }

    /// <summary>ip link add NAME type veth peer name PEER: two ends of one virtual cable.</summary>
    public static NetlinkWriter NewVethPair(string name, string peer) => NewVethPair(name, peer, -1, null);

    /// <summary>ip link add NAME type veth peer name PEER [netns FD] [address MAC]: with a namespace fd the peer is born
    /// inside that namespace — no later move, whose synchronize_net() costs ~20 ms of every container start.</summary>
    public static NetlinkWriter NewVethPair(string name, string peer, int peerNamespaceFd, byte[]? peerMac)
    {
        var w = new NetlinkWriter(RTM_NEWLINK, Create).IfInfo().AttrString(IFLA_IFNAME, name);
        int info = w.BeginNested(IFLA_LINKINFO);
        w.AttrString(IFLA_INFO_KIND, "veth");
        int data = w.BeginNested(IFLA_INFO_DATA);
        int peerInfo = w.BeginNested(VETH_INFO_PEER);
        w.IfInfo().AttrString(IFLA_IFNAME, peer);   // the peer's own ifinfomsg, then its attributes
        if (peerMac != null) w.Attr(IFLA_ADDRESS, peerMac);
        if (peerNamespaceFd >= 0) w.AttrU32(IFLA_NET_NS_FD, (uint)peerNamespaceFd);
        w.EndNested(peerInfo);
        w.EndNested(data);
        return w.EndNested(info);
    }

    /// <summary>ip link set dev INDEX master MASTER (plug a veth end into a bridge).</summary>
    public static NetlinkWriter SetMaster(int index, int masterIndex) =>
        new NetlinkWriter(RTM_NEWLINK, Change).IfInfo(index).AttrU32(IFLA_MASTER, (uint)masterIndex);

    /// <summary>ip link set dev INDEX up|down: only the IFF_UP bit changes.</summary>
    public static NetlinkWriter SetUp(int index, bool up) =>
        new NetlinkWriter(RTM_NEWLINK, Change).IfInfo(index, up ? IFF_UP : 0, IFF_UP);

    /// <summary>ip link set dev INDEX address MAC</summary>
    public static NetlinkWriter SetMac(int index, ReadOnlySpan<byte> mac) =>
        new NetlinkWriter(RTM_NEWLINK, Change).IfInfo(index).Attr(IFLA_ADDRESS, mac);

    /// <summary>ip link set dev INDEX netns FD: move the link into the network namespace open at FD.</summary>
    public static NetlinkWriter MoveToNamespace(int index, int namespaceFd) =>
        new NetlinkWriter(RTM_NEWLINK, Change).IfInfo(index).AttrU32(IFLA_NET_NS_FD, (uint)namespaceFd);

    /// <summary>ip link set dev INDEX name NEWNAME (the link must be down).</summary>
    public static NetlinkWriter Rename(int index, string newName) =>
        new NetlinkWriter(RTM_NEWLINK, Change).IfInfo(index).AttrString(IFLA_IFNAME, newName);

    /// <summary>ip link del dev INDEX (a veth takes its peer with it; a bridge frees its ports).</summary>
    public static NetlinkWriter DeleteLink(int index) =>
        new NetlinkWriter(RTM_DELLINK, Change).IfInfo(index);

    /// <summary>ip link show NAME: the reply is one RTM_NEWLINK, or an error (ENODEV).</summary>
    public static NetlinkWriter GetLink(string name) =>
        new NetlinkWriter(RTM_GETLINK, NLM_F_REQUEST).IfInfo().AttrString(IFLA_IFNAME, name);

    /// <summary>ip link show: every link of the namespace, as a multi-part reply ending in NLMSG_DONE.</summary>
    public static NetlinkWriter DumpLinks() =>
        new NetlinkWriter(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP).IfInfo();

    /// <summary>ip -4 addr show: every IPv4 address of the namespace, as a multi-part reply ending in NLMSG_DONE.</summary>
    public static NetlinkWriter DumpAddresses() =>
        new NetlinkWriter(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP).IfAddr(AF_INET, 0, 0);

    /// <summary>ip -4 route show table all: every IPv4 route of the namespace, multi-part, ending in NLMSG_DONE.</summary>
    public static NetlinkWriter DumpRoutes() =>
        new NetlinkWriter(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP).RtMsg(AF_INET, 0, 0, 0, 0, 0);

    /// <summary>ip addr add ADDRESS/PREFIX brd + dev INDEX (IPv4).</summary>
    public static NetlinkWriter AddAddress(int index, IPAddress address, int prefixLength) =>
        AddressMessage(RTM_NEWADDR, Create, index, address, prefixLength);

    /// <summary>ip addr del ADDRESS/PREFIX dev INDEX.</summary>
    public static NetlinkWriter DeleteAddress(int index, IPAddress address, int prefixLength) =>
        AddressMessage(RTM_DELADDR, Change, index, address, prefixLength);

    private static NetlinkWriter AddressMessage(ushort type, ushort flags, int index, IPAddress address, int prefixLength)
    {
        byte[] a = Ipv4Bytes(address);
        var w = new NetlinkWriter(type, flags).IfAddr(AF_INET, (byte)prefixLength, index)
            .Attr(IFA_LOCAL, a).Attr(IFA_ADDRESS, a);
        if (type == RTM_NEWADDR && prefixLength < 31) w.Attr(IFA_BROADCAST, Broadcast(a, prefixLength));
        return w;
    }

    /// <summary>ip route add default via GATEWAY (main table, IPv4).</summary>
    public static NetlinkWriter AddDefaultRoute(IPAddress gateway) =>
        new NetlinkWriter(RTM_NEWROUTE, Create).RtMsg(AF_INET, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST)
            .Attr(RTA_GATEWAY, Ipv4Bytes(gateway));

    private static byte[] Ipv4Bytes(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? address.GetAddressBytes()
            : throw new ArgumentException($"{address} is not an IPv4 address");

    private static byte[] Broadcast(byte[] address, int prefixLength)
    {
        uint a = (uint)address[0] << 24 | (uint)address[1] << 16 | (uint)address[2] << 8 | address[3];
        uint hostMask = prefixLength == 0 ? uint.MaxValue : (1u << (32 - prefixLength)) - 1;
        uint b = a | hostMask;
        return new[] { (byte)(b >> 24), (byte)(b >> 16), (byte)(b >> 8), (byte)b };
    }
}
