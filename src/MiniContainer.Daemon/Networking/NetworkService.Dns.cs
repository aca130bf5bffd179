using System.Net;
using System.Net.Sockets;
using MiniContainer.Networking.Dns;
using MiniContainer.Containers;

namespace MiniContainer.Networking;

/// <summary>
/// One embedded DNS server per user-defined network, listening on the network's gateway (port 53), started when
/// the network appears and stopped when it goes. It answers container names, aliases and short ids of the
/// containers on THAT network, and only to askers that are themselves on it; everything else goes to the upstream
/// resolvers (--dns-upstream, or the host's resolv.conf read at each question). The default bridge has none, as in
/// Docker: containers there get the host's resolvers and cannot find each other by name.
/// </summary>
public sealed partial class NetworkService
{
    private readonly Dictionary<string, EmbeddedDnsServer> _dnsServers = new();

    private IReadOnlyList<IPEndPoint> Upstreams() =>
        Options.DnsUpstreams.Count > 0 ? Options.DnsUpstreams : HostResolvers.FromResolvConf();

    private void SyncDnsServers()
    {
        var wanted = Store.All.Where(n => !n.IsDefaultBridge).ToDictionary(n => n.Id);
        foreach (var (id, server) in _dnsServers.ToList())
            if (!wanted.ContainsKey(id))
            {
                server.DisposeAsync().AsTask().Wait();
                _dnsServers.Remove(id);
            }
        foreach (var (id, n) in wanted)
        {
            if (_dnsServers.ContainsKey(id)) continue;
            var endpoint = new IPEndPoint(IPAddress.Parse(n.Gateway), Options.DnsPort);
            try { _dnsServers[id] = EmbeddedDnsServer.Start(endpoint, new NetworkDnsRecords(Store, id), Upstreams); }
            catch (Exception e) when (e is SocketException or InvalidOperationException or IOException)
            {
                Log.Warn($"network {n.Name}: embedded DNS on {endpoint} did not start: {e.Message}");
            }
        }
    }

    /// <summary>The names an endpoint answers to: the container's name, its aliases on that network, its short ID.</summary>
    internal static List<string> DnsNamesFor(string containerName, IEnumerable<string> aliases, string shortId) =>
        new[] { containerName }.Concat(aliases).Append(shortId).Distinct().ToList();

    /// <summary>
    /// After `rename`: the container's endpoints on every network answer to the new name and no longer to
    /// <paramref name="oldName"/> (aliases and the short ID stay), in the persisted network state and in the container's
    /// own NetworkSettings, as libnetwork renames a sandbox's endpoints.
    /// </summary>
    public void RenameEndpoints(Containers.ContainerRecord r, string oldName)
    {
        lock (Store.Lock)
        {
            foreach (var n in Store.All)
            {
                if (!n.Endpoints.TryGetValue(r.Id, out var ep)) continue;
                var names = DnsNamesFor(r.PlainName, ep.Aliases, r.ShortId);
                Store.Update(n, _ => { ep.ContainerName = r.PlainName; ep.DnsNames = names; return 0; });
                foreach (var s in r.NetworkSettings.Networks.Values.Where(s => s.NetworkID == n.Id && s.DNSNames is not null))
                    s.DNSNames = names;
            }
        }
        Log.Info($"container {r.ShortId}: endpoints renamed from {oldName} to {r.PlainName}");
    }

    /// <summary>Daemon shutdown: the DNS servers stop (the bridges and rules stay for the running containers).</summary>
    public void StopDnsServers()
    {
        lock (_applyLock)
        {
            foreach (var server in _dnsServers.Values) server.DisposeAsync().AsTask().Wait();
            _dnsServers.Clear();
            StopAllContainerDns();
        }
    }
}

/// <summary>
/// What one network's gateway DNS server knows: the asker is the container whose address on THIS network sent the
/// question (a stranger gets nothing and is forwarded); it sees what <see cref="DnsVisibility"/> shows that container.
/// </summary>
public sealed class NetworkDnsRecords(NetworkStore store, string networkId) : IDnsRecords
{
    public IReadOnlyList<IPAddress>? Resolve(IPAddress asker, string name, AddressFamily family) =>
        DnsVisibility.Resolve(store, AskerId(asker), name, family);

    public IReadOnlyList<string>? ResolveAddress(IPAddress asker, IPAddress address) =>
        DnsVisibility.ResolveAddress(store, AskerId(asker), address);

    /// <summary>The id of the container asking, found by its address on this network, or null.</summary>
    private string? AskerId(IPAddress asker)
    {
        lock (store.Lock)
        {
            if (store.Find(networkId) is not { } n) return null;
            string askerText = asker.IsIPv4MappedToIPv6 ? asker.MapToIPv4().ToString() : asker.ToString();
            return n.Endpoints.FirstOrDefault(kv => kv.Value.IPv4Address == askerText).Key;
        }
    }
}
