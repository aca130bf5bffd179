using System.Net;
using MiniContainer.Explaining;
using static MiniContainer.Linux.Netlink.Rtnl;

namespace MiniContainer.Linux.Netlink;

/// <summary>
/// A small rtnetlink client: what `ip link`, `ip addr` and `ip route` do, without running them. Each request
/// carries NLM_F_ACK and a sequence number; we read until the kernel's NLMSG_ERROR for that number (0 = done,
/// otherwise an errno that becomes a <see cref="NetlinkException"/> naming the operation and the link).
/// One client = one socket = one network namespace (the one it was opened in). Not thread-safe: one user at a time.
/// </summary>
public sealed class RtnlClient : IDisposable
{
    private const int ENODEV = 19;
    private readonly int _fd;
    private uint _sequence;
    private readonly byte[] _buffer = new byte[64 * 1024];

    /// <summary>The namespace this client's socket lives in (for --explain): null for the daemon's own.</summary>
    private readonly string? _namespace;

    private RtnlClient(int fd, string? nsPath = null) { _fd = fd; _namespace = nsPath; }

    /// <summary>A client for the network namespace of the calling thread (the host's, for the daemon).</summary>
    public static RtnlClient Open() => new(Kernel.OpenRtnetlink());

    /// <summary>A client for the network namespace at nsPath (e.g. /proc/PID/ns/net): its socket is made by a thread
    /// that joined that namespace (see <see cref="NetNamespace"/>).</summary>
    public static RtnlClient OpenInNamespace(string nsPath)
    {
        try { return new RtnlClient(NetNamespace.Create(nsPath, Kernel.OpenRtnetlink), nsPath); }
        catch (IOException e) { throw new IOException($"cannot open a netlink socket in {nsPath}: {e.InnerException?.Message ?? e.Message}", e); }
    }

    public void Dispose() => Kernel.Close(_fd);

    // ------------------------------------------------------------ links

    public void CreateBridge(string name) => Ack(RtnlMessages.NewBridge(name), $"create bridge {name}", () => ExplainNetwork.CreateBridge(name));

    public void CreateVethPair(string name, string peer) => Ack(RtnlMessages.NewVethPair(name, peer), $"create veth pair {name}/{peer}");

    /// <summary>A veth pair whose peer is created directly in the network namespace open at namespaceFd, named and addressed.</summary>
    public void CreateVethPairInto(string name, string peer, int namespaceFd, byte[] peerMac, string? peerNamespace = null) =>
        Ack(RtnlMessages.NewVethPair(name, peer, namespaceFd, peerMac), $"create veth pair {name}/{peer} (peer in network namespace fd {namespaceFd})",
            () => ExplainNetwork.VethPair(name, peer, peerNamespace ?? $"fd {namespaceFd}", peerMac));

    public void SetMaster(string name, string bridge) =>
        Ack(RtnlMessages.SetMaster(IndexOf(name), IndexOf(bridge)), $"attach {name} to bridge {bridge}",
            () => ExplainNetwork.SetMaster(name, bridge));

    public void SetUp(string name) => Ack(RtnlMessages.SetUp(IndexOf(name), true), $"set {name} up", () => ExplainNetwork.SetUp(name, _namespace));

    public void SetDown(string name) => Ack(RtnlMessages.SetUp(IndexOf(name), false), $"set {name} down");

    public void SetMac(string name, byte[] mac) =>
        Ack(RtnlMessages.SetMac(IndexOf(name), mac), $"set MAC of {name} to {Convert.ToHexString(mac)}");

    /// <summary>Moves the link into the network namespace open at namespaceFd; it vanishes from this one.</summary>
    public void MoveToNamespace(string name, int namespaceFd) =>
        Ack(RtnlMessages.MoveToNamespace(IndexOf(name), namespaceFd), $"move {name} into network namespace fd {namespaceFd}");

    public void Rename(string name, string newName) => Ack(RtnlMessages.Rename(IndexOf(name), newName), $"rename {name} to {newName}");

    public void AddAddress(string name, IPAddress address, int prefixLength) =>
        Ack(RtnlMessages.AddAddress(IndexOf(name), address, prefixLength), $"add address {address}/{prefixLength} to {name}",
            () => ExplainNetwork.AddAddress(name, $"{address}/{prefixLength}", _namespace));

    public void DeleteAddress(string name, IPAddress address, int prefixLength) =>
        Ack(RtnlMessages.DeleteAddress(IndexOf(name), address, prefixLength), $"delete address {address}/{prefixLength} from {name}");

    public void AddDefaultRoute(IPAddress gateway) => Ack(RtnlMessages.AddDefaultRoute(gateway), $"add default route via {gateway}",
        () => ExplainNetwork.DefaultRoute(gateway.ToString(), _namespace));

    public void DeleteLink(string name) => Ack(RtnlMessages.DeleteLink(IndexOf(name)), $"delete link {name}");

    /// <summary>Deletes the link if it exists; true when it did.</summary>
    public bool DeleteLinkIfExists(string name)
    {
        if (FindLink(name) is not { } link) return false;
        try { Ack(RtnlMessages.DeleteLink(link.Index), $"delete link {name}", () => ExplainNetwork.DeleteLink(name, link.Kind)); return true; }
        catch (NetlinkException e) when (e.Errno == ENODEV) { return false; }
    }

    /// <summary>The link called name, or null when there is none.</summary>
    public LinkInfo? FindLink(string name)
    {
        uint seq = Send(RtnlMessages.GetLink(name), $"get link {name}");
        foreach (var m in ReceiveFor(seq, $"get link {name}"))
        {
            if (m.Type == NLMSG_ERROR)
            {
                if (m.ErrorNumber == ENODEV) return null;
                throw new NetlinkException($"get link {name}", m.ErrorNumber);
            }
            if (m.Type == RTM_NEWLINK) return NetlinkReply.ParseLink(m.Payload);   // GETLINK without NLM_F_ACK: one reply only
        }
        return null;
    }

    public LinkInfo GetLink(string name) => FindLink(name) ?? throw new NetlinkException($"find link {name}", ENODEV);

    /// <summary>Every link of this namespace (`ip link show`).</summary>
    public List<LinkInfo> ListLinks() => Dump(RtnlMessages.DumpLinks(), RTM_NEWLINK, NetlinkReply.ParseLink, "list links");

    /// <summary>Every IPv4 address of this namespace (`ip -4 addr show`).</summary>
    public List<AddressInfo> ListAddresses() => Dump(RtnlMessages.DumpAddresses(), RTM_NEWADDR, NetlinkReply.ParseAddress, "list addresses");

    /// <summary>Every IPv4 route of this namespace, all tables (`ip -4 route show table all`).</summary>
    public List<RouteInfo> ListRoutes() => Dump(RtnlMessages.DumpRoutes(), RTM_NEWROUTE, NetlinkReply.ParseRoute, "list routes");

    /// <summary>A dump request: the kernel answers with many datagrams of messages of one type, then NLMSG_DONE.</summary>
    private List<T> Dump<T>(NetlinkWriter request, ushort replyType, Func<byte[], T> parse, string operation)
    {
        uint seq = Send(request, operation);
        var items = new List<T>();
        while (true)
            foreach (var m in Receive(operation))
            {
                if (m.Sequence != seq) continue;
                if (m.Type == NLMSG_DONE) return items;
                if (m.Type == NLMSG_ERROR) throw new NetlinkException(operation, m.ErrorNumber);
                if (m.Type == replyType) items.Add(parse(m.Payload));
            }
    }

    private int IndexOf(string name) => GetLink(name).Index;

    // ------------------------------------------------------------ request / reply

    /// <summary>Sends the request and waits for its acknowledgement; an error reply throws naming the operation.</summary>
    /// <remarks>With --explain listening, <paramref name="explain"/> names the step, measured from send to acknowledgement.</remarks>
    private void Ack(NetlinkWriter request, string operation, Func<ExplainLine>? explain = null)
    {
        long t = explain is null ? 0 : Explain.Begin();
        uint seq = Send(request, operation);
        while (true)
            foreach (var m in ReceiveFor(seq, operation))
                if (m.Type == NLMSG_ERROR)
                {
                    if (m.ErrorNumber != 0) throw new NetlinkException(operation, m.ErrorNumber);
                    if (t != 0) Explain.Record(t, explain!());
                    return;
                }
    }

    private uint Send(NetlinkWriter request, string operation)
    {
        uint seq = ++_sequence;
        Kernel.NetlinkSend(_fd, request.Finish(seq), operation);
        return seq;
    }

    private List<NetlinkMessage> Receive(string operation)
    {
        int n = Kernel.NetlinkReceive(_fd, _buffer, operation);
        return NetlinkReply.Split(_buffer.AsSpan(0, n));
    }

    /// <summary>The next datagram's messages that answer request seq (stale replies of earlier requests are skipped).</summary>
    private IEnumerable<NetlinkMessage> ReceiveFor(uint seq, string operation)
    {
        while (true)
        {
            var mine = Receive(operation).Where(m => m.Sequence == seq).ToList();
            if (mine.Count > 0) return mine;
        }
    }
}
