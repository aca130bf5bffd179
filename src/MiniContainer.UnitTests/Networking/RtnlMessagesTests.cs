using System.Net;
using MiniContainer.Linux.Netlink;
using Xunit;

namespace MiniContainer.UnitTests.Networking;

/// <summary>The rtnetlink requests, byte for byte as `ip` would put them on the wire (x86-64, little-endian).</summary>
public class RtnlMessagesTests
{
    private static string Hex(NetlinkWriter w, uint seq = 1) => Convert.ToHexStringLower(w.Finish(seq));

    [Fact]
    public void Set_up_changes_only_the_up_flag()
    {
        Assert.Equal(
            "20000000" + "1000" + "0500" + "01000000" + "00000000" +      // len 32, RTM_NEWLINK, REQUEST|ACK, seq 1, pid 0
            "00000000" + "05000000" + "01000000" + "01000000",            // ifinfomsg: index 5, flags IFF_UP, change IFF_UP
            Hex(RtnlMessages.SetUp(5, true)));
        Assert.EndsWith("05000000" + "00000000" + "01000000", Hex(RtnlMessages.SetUp(5, false)));
    }

    [Fact]
    public void New_bridge_nests_the_kind_in_linkinfo()
    {
        Assert.Equal(
            "3c000000" + "1000" + "0506" + "07000000" + "00000000" +      // len 60, REQUEST|ACK|EXCL|CREATE, seq 7
            "00000000" + "00000000" + "00000000" + "00000000" +           // ifinfomsg: all zero
            "0a000300" + "6d632d7431000000" +                             // IFLA_IFNAME "mc-t1\0" + pad
            "10001200" + "0b000100" + "6272696467650000",                 // IFLA_LINKINFO { IFLA_INFO_KIND "bridge\0" + pad }
            Hex(RtnlMessages.NewBridge("mc-t1"), 7));
    }

    [Fact]
    public void New_veth_pair_carries_the_peer_with_its_own_ifinfomsg()
    {
        string hex = Hex(RtnlMessages.NewVethPair("mcv1", "mcv1p"));
        Assert.Equal(
            "60000000" + "1000" + "0506" + "01000000" + "00000000" +
            "00000000" + "00000000" + "00000000" + "00000000" +
            "09000300" + "6d63763100000000" +                             // IFLA_IFNAME "mcv1\0"
            "34001200" +                                                  // IFLA_LINKINFO (52 bytes)
              "09000100" + "7665746800000000" +                           //   IFLA_INFO_KIND "veth\0"
              "24000200" +                                                //   IFLA_INFO_DATA (36)
                "20000100" +                                              //     VETH_INFO_PEER (32)
                  "00000000" + "00000000" + "00000000" + "00000000" +     //       peer ifinfomsg
                  "0a000300" + "6d63763170000000",                        //       IFLA_IFNAME "mcv1p\0"
            hex);
    }

    [Fact]
    public void A_veth_peer_can_be_born_in_another_namespace_with_its_mac()
    {
        string hex = Hex(RtnlMessages.NewVethPair("mcv1", "eth0", 42, new byte[] { 2, 0x42, 10, 0, 0, 2 }));
        Assert.StartsWith("74000000" + "1000" + "0506", hex);                  // 116 bytes, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
        Assert.Contains("48001200", hex);                                     // IFLA_LINKINFO (72)
        Assert.EndsWith(
            "34000100" +                                                      // VETH_INFO_PEER (52)
              "00000000" + "00000000" + "00000000" + "00000000" +             //   peer ifinfomsg
              "09000300" + "6574683000000000" +                               //   IFLA_IFNAME "eth0\0"
              "0a000100" + "02420a000002" + "0000" +                          //   IFLA_ADDRESS
              "08001c00" + "2a000000",                                        //   IFLA_NET_NS_FD 42
            hex);
    }

    [Fact]
    public void Set_master_move_rename_and_mac()
    {
        Assert.EndsWith("08000a00" + "02000000", Hex(RtnlMessages.SetMaster(9, 2)));
        Assert.EndsWith("08001c00" + "2a000000", Hex(RtnlMessages.MoveToNamespace(9, 42)));
        Assert.EndsWith("09000300" + "6574683000000000", Hex(RtnlMessages.Rename(9, "eth0")));
        Assert.EndsWith("0a000100" + "0242ac120002" + "0000", Hex(RtnlMessages.SetMac(9, new byte[] { 2, 0x42, 172, 18, 0, 2 })));
        Assert.Equal("200000001100050001000000000000000000000009000000" + "0000000000000000", Hex(RtnlMessages.DeleteLink(9)));
    }

    [Fact]
    public void Add_address_sets_local_address_and_broadcast()
    {
        Assert.Equal(
            "30000000" + "1400" + "0506" + "01000000" + "00000000" +      // len 48, RTM_NEWADDR
            "02100000" + "03000000" +                                     // ifaddrmsg: AF_INET, /16, index 3
            "08000200" + "ac120002" +                                     // IFA_LOCAL 172.18.0.2
            "08000100" + "ac120002" +                                     // IFA_ADDRESS
            "08000400" + "ac12ffff",                                      // IFA_BROADCAST 172.18.255.255
            Hex(RtnlMessages.AddAddress(3, IPAddress.Parse("172.18.0.2"), 16)));
    }

    [Fact]
    public void Default_route_goes_to_the_main_table_via_the_gateway()
    {
        Assert.Equal(
            "24000000" + "1800" + "0506" + "01000000" + "00000000" +      // len 36, RTM_NEWROUTE
            "02000000" + "fe030001" + "00000000" +                        // rtmsg: AF_INET, dst /0, main, boot, universe, unicast
            "08000500" + "ac120001",                                      // RTA_GATEWAY 172.18.0.1
            Hex(RtnlMessages.AddDefaultRoute(IPAddress.Parse("172.18.0.1"))));
    }

    [Fact]
    public void Get_link_asks_by_name_without_ack_and_dump_asks_for_all()
    {
        Assert.Equal("2c000000" + "1200" + "0100" + "01000000" + "00000000" + "00000000000000000000000000000000" + "0a000300" + "6d632d7431000000",
            Hex(RtnlMessages.GetLink("mc-t1")));
        Assert.Equal("20000000" + "1200" + "0103", Hex(RtnlMessages.DumpLinks())[..16]);
    }

    [Fact]
    public void Ipv6_addresses_are_refused()
    {
        Assert.Throws<ArgumentException>(() => RtnlMessages.AddAddress(1, IPAddress.IPv6Loopback, 64));
    }
}

/// <summary>Replies as the kernel sends them.</summary>
public class NetlinkReplyTests
{
    // An RTM_NEWLINK for "mcv0a1b" (index 12, UP, MAC 02:42:ac:11:00:02, master 4, kind veth)
    // followed, in the same datagram, by an NLMSG_ERROR 0 (an ACK) for seq 9.
    private const string LinkThenAck =
        "50000000" + "1000" + "0000" + "08000000" + "00000000" +
        "00000100" + "0c000000" + "03100100" + "00000000" +
        "0c000300" + "6d63763061316200" +                   // IFLA_IFNAME "mcv0a1b\0"
        "0a000100" + "0242ac110002" + "0000" +              // IFLA_ADDRESS
        "08000a00" + "04000000" +                           // IFLA_MASTER 4
        "10001200" + "09000100" + "7665746800000000" +      // IFLA_LINKINFO { KIND "veth" }
        "24000000" + "0200" + "0000" + "09000000" + "00000000" +
        "00000000" + "1c000000100005000900000000000000";    // error 0 + the original header

    [Fact]
    public void Splits_a_datagram_and_reads_a_link()
    {
        var messages = NetlinkReply.Split(Convert.FromHexString(LinkThenAck));
        Assert.Equal(2, messages.Count);
        var link = NetlinkReply.ParseLink(messages[0].Payload);
        Assert.Equal(12, link.Index);
        Assert.Equal("mcv0a1b", link.Name);
        Assert.True(link.IsUp);
        Assert.Equal("0242AC110002", Convert.ToHexString(link.Mac!));
        Assert.Equal(4, link.MasterIndex);
        Assert.Equal("veth", link.Kind);
        Assert.Equal(Rtnl.NLMSG_ERROR, messages[1].Type);
        Assert.Equal(9u, messages[1].Sequence);
        Assert.Equal(0, messages[1].ErrorNumber);
    }

    [Fact]
    public void An_error_reply_carries_the_errno()
    {
        // NLMSG_ERROR with error -17 (EEXIST)
        var m = NetlinkReply.Split(Convert.FromHexString("24000000" + "0200" + "0000" + "03000000" + "00000000" + "efffffff" + "1c000000100005060300000000000000"))[0];
        Assert.Equal(17, m.ErrorNumber);
        var e = new NetlinkException("create bridge mc-x", m.ErrorNumber);
        Assert.StartsWith("create bridge mc-x: EEXIST", e.Message);
    }

    [Fact]
    public void A_truncated_message_is_refused()
    {
        Assert.Throws<FormatException>(() => NetlinkReply.Split(Convert.FromHexString("40000000" + "1000" + "0000" + "01000000" + "00000000")));
    }
}
