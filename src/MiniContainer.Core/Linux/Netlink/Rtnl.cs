namespace MiniContainer.Linux.Netlink;

/// <summary>The numbers of rtnetlink (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h).</summary>
public static class Rtnl
{
    // nlmsghdr.nlmsg_type
    public const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3;
    public const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18;
    public const ushort RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24, RTM_GETROUTE = 26;

    // nlmsghdr.nlmsg_flags
    public const ushort NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4;
    public const ushort NLM_F_DUMP = 0x300;                         // NLM_F_ROOT | NLM_F_MATCH
    public const ushort NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;   // for NEW requests: create, fail if it exists

    // IFLA_* link attributes
    public const ushort IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_LINK = 5, IFLA_MTU = 4, IFLA_MASTER = 10, IFLA_LINKINFO = 18, IFLA_NET_NS_FD = 28;
    public const ushort IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2;
    public const ushort VETH_INFO_PEER = 1;

    // IFA_* address attributes
    public const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4;

    // RTA_* route attributes
    public const ushort RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PREFSRC = 7, RTA_TABLE = 15;

    public const byte AF_UNSPEC = 0, AF_INET = 2;
    public const byte RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RT_SCOPE_UNIVERSE = 0, RTN_UNICAST = 1;
    public const uint IFF_UP = 1;
}
