using System.Net;
using MiniContainer.Linux;
using MiniContainer.Linux.Netlink;

namespace MiniContainer.Networking;

/// <summary>
/// The kernel side of networks and endpoints, through rtnetlink: a bridge per network with the gateway address on
/// it, and per endpoint a veth pair — host end on the bridge, container end moved into the container's network
/// namespace, renamed to ethN, given its address and MAC, brought up, with the default route via the gateway.
/// Every step that fails undoes the steps before it: deleting the host end of a veth pair deletes the other end too,
/// wherever it is.
/// </summary>
public sealed class BridgePlumbing
{
    private readonly object _lock = new();
    private readonly RtnlClient _host = RtnlClient.Open();

    /// <summary>ip link add BRIDGE type bridge; ip addr add GATEWAY/PREFIX dev BRIDGE; ip link set BRIDGE up —
    /// unless it is there already (a daemon restart keeps the bridges of existing networks).</summary>
    public void EnsureBridge(string bridge, IPAddress gateway, int prefixLength)
    {
        lock (_lock)
        {
            if (_host.FindLink(bridge) is { } existing)
            {
                if (!existing.IsUp) _host.SetUp(bridge);
                return;
            }
            _host.CreateBridge(bridge);
            try
            {
                _host.AddAddress(bridge, gateway, prefixLength);
                _host.SetUp(bridge);
            }
            catch { _host.DeleteLinkIfExists(bridge); throw; }
            Log.Info($"bridge {bridge} created ({gateway}/{prefixLength})");
        }
    }

    public void DeleteLink(string name)
    {
        lock (_lock)
            if (_host.DeleteLinkIfExists(name)) Log.Info($"link {name} deleted");
    }

    /// <summary>The host's links whose names start with one of the prefixes (for reconciling after a restart).</summary>
    public List<LinkInfo> LinksWithPrefix(params string[] prefixes)
    {
        lock (_lock) return _host.ListLinks().Where(l => prefixes.Any(p => l.Name.StartsWith(p, StringComparison.Ordinal))).ToList();
    }

    /// <summary>
    /// Plugs a container into a bridge. pid is a process in the container's network namespace (its PID 1, still
    /// stopped before exec when called at start). The container end is named ifName and configured from inside
    /// the namespace with a netlink socket opened there (see RtnlClient.OpenInNamespace).
    /// </summary>
    public void AttachEndpoint(int pid, string bridge, string hostVeth, string ifName, IPAddress address, int prefixLength,
        byte[] mac, IPAddress? defaultGateway, IReadOnlyList<IPAddress>? linkLocal = null)
    {
        string nsPath = $"/proc/{pid}/ns/net";
        lock (_lock)
        {
            // The container's end is born inside its namespace, already named and with its MAC (moving a link
            // between namespaces waits for an RCU grace period: ~20 ms per container).
            int nsFd = Kernel.Open(nsPath, Kernel.O_RDONLY | Kernel.O_CLOEXEC);
            try { _host.CreateVethPairInto(hostVeth, ifName, nsFd, mac, nsPath); }
            finally { Kernel.Close(nsFd); }
            try
            {
                _host.SetMaster(hostVeth, bridge);
                _host.SetUp(hostVeth);
                using var inside = RtnlClient.OpenInNamespace(nsPath);
                inside.AddAddress(ifName, address, prefixLength);
                // --link-local-ip: extra 169.254.x.y/16 addresses on the same interface, as dockerd adds them.
                foreach (var extra in linkLocal ?? []) inside.AddAddress(ifName, extra, 16);
                inside.SetUp(ifName);
                inside.SetUp("lo");
                if (defaultGateway != null) inside.AddDefaultRoute(defaultGateway);
            }
            catch
            {
                _host.DeleteLinkIfExists(hostVeth);
                throw;
            }
        }
    }

    /// <summary>Unplugs an endpoint: deleting the host end removes the container's end with it.</summary>
    public void DetachEndpoint(string hostVeth) => DeleteLink(hostVeth);
}
