using System.Net;
using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Events;

namespace MiniContainer.Networking;

/// <summary>
/// Networks as `docker network` sees them: create (bridge + subnet from the pool or the user), inspect, remove
/// (refused while containers are attached), prune; the default `bridge` network made when the daemon starts; and,
/// after a daemon restart, reconciliation with what is really on the host. The container side (endpoints, ports,
/// DNS) is in NetworkService.Containers.cs.
/// </summary>
public sealed partial class NetworkService
{
    public NetworkStore Store { get; }
    public NetworkOptions Options { get; }
    private readonly BridgePlumbing _plumbing;

    /// <summary>Finds a container by id, name or prefix (set by the daemon once the container service exists).</summary>
    public Func<string, Container?> FindContainer { get; set; } = _ => null;
    /// <summary>The /etc/hosts lines a container's legacy links give it (ContainerService.LinkHostLines).</summary>
    public Func<ContainerRecord, List<string>> LinkHostLines { get; set; } = _ => new();

    /// <summary>Where network events go (create, connect, disconnect, destroy): the daemon's one bus.</summary>
    public MiniContainer.Events.EventBus Events { get; init; } = new();

    public NetworkService(NetworkStore store, NetworkOptions options, BridgePlumbing plumbing)
    {
        Store = store;
        Options = options;
        _plumbing = plumbing;
    }

    public static readonly string[] PredefinedNetworks = { "bridge", "host", "none" };

    /// <summary>Daemon start: the default bridge network exists (created on first start), and every network's bridge is up.</summary>
    public void Initialize()
    {
        if (Store.Find("bridge") == null)
        {
            var subnet = Options.DefaultSubnet;
            Store.Add(new NetworkState
            {
                Name = "bridge", Id = NetworkStore.NewId(), Created = DateTimeOffset.UtcNow, Subnet = subnet.ToString(),
                Gateway = subnet.FirstHost.ToString(), Bridge = Options.DefaultBridge,
                Options = new()
                {
                    ["com.docker.network.bridge.default_bridge"] = "true", ["com.docker.network.bridge.enable_icc"] = "true",
                    ["com.docker.network.bridge.enable_ip_masquerade"] = "true", ["com.docker.network.bridge.host_binding_ipv4"] = "0.0.0.0",
                    ["com.docker.network.bridge.name"] = Options.DefaultBridge, ["com.docker.network.driver.mtu"] = "1500",
                },
            });
        }
        foreach (var n in Store.All) EnsureBridge(n);
    }

    private void EnsureBridge(NetworkState n)
    {
        var subnet = Ipv4Subnet.Parse(n.Subnet);
        _plumbing.EnsureBridge(n.Bridge, IPAddress.Parse(n.Gateway), subnet.PrefixLength);
    }

    /// <summary>
    /// After the containers were reloaded: endpoints of containers that no longer run are released, veths and
    /// bridges with our prefixes that no network or endpoint owns are deleted, the firewall and DNS are rebuilt once.
    /// </summary>
    public void Reconcile(IEnumerable<Container> containers)
    {
        var running = containers.Where(c => c.Record.State.Running).ToList();
        foreach (var c in running) RestorePorts(c);
        foreach (var n in Store.All)
            foreach (var (containerId, ep) in n.Endpoints.ToList())
                if (FindContainer(containerId) is not { Record.State.Running: true })
                {
                    _plumbing.DetachEndpoint(ep.HostVeth);
                    // A full disk must not stop the daemon from starting: the release is saved with the next change.
                    try { Store.Update(n, s => s.Endpoints.Remove(containerId)); }
                    catch (IOException e) { Log.Warn($"cannot save the release of {containerId[..12]}'s endpoint on {n.Name}: {e.Message}"); }
                    Log.Info($"released stale endpoint of {containerId[..12]} on {n.Name}");
                }
        var bridges = Store.All.Select(n => n.Bridge).ToHashSet();
        var veths = Store.All.SelectMany(n => n.Endpoints.Values).Select(e => e.HostVeth).ToHashSet();
        foreach (var link in _plumbing.LinksWithPrefix(Options.BridgePrefix, Options.VethPrefix))
        {
            bool stale = link.Kind == "bridge" ? !bridges.Contains(link.Name) && link.Name.StartsWith(Options.BridgePrefix, StringComparison.Ordinal)
                       : link.Kind == "veth" && link.Name.StartsWith(Options.VethPrefix, StringComparison.Ordinal) && !veths.Contains(link.Name);
            if (stale) { Log.Info($"deleting stale link {link.Name} (no network or endpoint owns it)"); _plumbing.DeleteLink(link.Name); }
        }
        OnNetworksChanged();
        // The resolvers on 127.0.0.11 died with the old daemon: bound again, on new ports, in each namespace.
        foreach (var c in running)
            try { SyncContainerDns(c.Record); }
            catch (Exception e) when (e is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
            { Log.Warn($"container {c.Record.ShortId}: embedded DNS on 127.0.0.11 did not start again: {e.Message}"); }
    }

    // ---------------------------------------------------------------- create

    /// <summary>POST /networks/create</summary>
    public NetworkState Create(JsonObject body)
    {
        string name = (string?)body["Name"] ?? "";
        if (name.Length == 0) throw new BadRequestException("network name is required");
        NetworkStore.CheckName(name);
        if (PredefinedNetworks.Contains(name))
            throw new ForbiddenException($"operation is not permitted on predefined {name} network ");
        string driver = (string?)body["Driver"] is { Length: > 0 } d ? d : "bridge";
        if (driver != "bridge") throw new NotFoundException($"plugin \"{driver}\" not found");
        if ((bool?)body["EnableIPv6"] == true) throw new BadRequestException("IPv6 networks are not supported by this MiniContainer yet");
        if (Store.Find(name) is { } existing && existing.Name == name)
            throw new ConflictException($"network with name {name} already exists");
        var options = StringMap(body["Options"]);
        BridgeDriverOptions.Check(options);

        var ipam = body["IPAM"] as JsonObject;
        string ipamDriver = (string?)ipam?["Driver"] is { Length: > 0 } given ? given : "default";
        if (ipamDriver != "default") throw new NotFoundException($"plugin \"{ipamDriver}\" not found");
        var config = ipam?["Config"] as JsonArray;
        if (config is { Count: > 1 }) throw new BadRequestException("only one IPAM config (one IPv4 subnet) per network is supported by this MiniContainer");
        var c0 = config is { Count: 1 } ? config[0] as JsonObject : null;
        var inUse = Store.All.Select(n => Ipv4Subnet.Parse(n.Subnet)).ToList();
        var pool = IpamPoolRequest.Parse(c0, inUse, () => Ipam.ChooseSubnet(Options.AddressPool, inUse.Concat(HostRoutes.Read())));

        string id = NetworkStore.NewId();
        var n = new NetworkState
        {
            Name = name, Id = id, Created = DateTimeOffset.UtcNow, Driver = driver, Internal = (bool?)body["Internal"] ?? false,
            Attachable = (bool?)body["Attachable"] ?? false, Subnet = pool.Subnet.ToString(), Gateway = pool.Gateway.ToString(),
            UserSubnet = pool.UserSubnet, IpRange = pool.Range?.ToString(), AuxiliaryAddresses = pool.Auxiliary,
            IpamOptions = ipam?["Options"] is JsonObject ? StringMap(ipam["Options"]) : null,
            Bridge = Options.BridgePrefix + id[..Math.Min(12, 15 - Options.BridgePrefix.Length)],
            Labels = StringMap(body["Labels"]), Options = options,
        };
        EnsureBridge(n);
        try { Store.Add(n); }
        catch { _plumbing.DeleteLink(n.Bridge); throw; }
        Log.Info($"network {name} created ({n.Subnet}{(n.IpRange is null ? "" : $", range {n.IpRange}")}, bridge {n.Bridge})");
        Events.Network("create", n.Id, n.Name, n.Driver);
        OnNetworksChanged();
        return n;
    }

    private static Dictionary<string, string> StringMap(JsonNode? node) =>
        node is JsonObject o ? o.ToDictionary(kv => kv.Key, kv => (string?)kv.Value ?? "") : new();

    // ---------------------------------------------------------------- remove / prune

    /// <summary>DELETE /networks/{id}: refused for the predefined networks and while containers are attached.</summary>
    public void Remove(NetworkState n)
    {
        if (n.IsDefaultBridge) throw new ForbiddenException($"{n.Name} is a pre-defined network and cannot be removed");
        lock (Store.Lock)
        {
            if (n.Endpoints.Count > 0)
                throw new ForbiddenException($"error while removing network: network {n.Name} id {n.Id} has active endpoints");
            Store.Remove(n);
        }
        _plumbing.DeleteLink(n.Bridge);
        Log.Info($"network {n.Name} removed");
        Events.Network("destroy", n.Id, n.Name, n.Driver);
        OnNetworksChanged();
    }

    /// <summary>POST /networks/prune: every user-defined network without endpoints.</summary>
    public List<string> Prune(Func<NetworkState, bool> filter)
    {
        var deleted = new List<string>();
        foreach (var n in Store.All.Where(n => !n.IsDefaultBridge && n.Endpoints.Count == 0 && filter(n)))
        {
            try { Remove(n); deleted.Add(n.Name); }
            catch (ApiException e) { Log.Warn($"prune: {e.Message}"); }
        }
        return deleted;
    }

    // ---------------------------------------------------------------- inspect

    public NetworkInspect Inspect(NetworkState n)
    {
        var subnet = Ipv4Subnet.Parse(n.Subnet);
        lock (Store.Lock)
            return new NetworkInspect
            {
                Name = n.Name, Id = n.Id, Created = n.Created, Driver = n.Driver, Internal = n.Internal, Attachable = n.Attachable,
                IPAM = new IpamInfo
                {
                    Options = n.IpamOptions is null ? null : new(n.IpamOptions),
                    Config = new() { new IpamConfig { Subnet = n.Subnet, IPRange = n.IpRange, Gateway = n.Gateway,
                        AuxiliaryAddresses = n.AuxiliaryAddresses is null ? null : new(n.AuxiliaryAddresses) } },
                },
                Containers = n.Endpoints.ToDictionary(kv => kv.Key, kv => new NetworkContainer
                {
                    Name = kv.Value.ContainerName, EndpointID = kv.Value.EndpointId, MacAddress = kv.Value.MacAddress,
                    IPv4Address = $"{kv.Value.IPv4Address}/{subnet.PrefixLength}",
                }),
                Options = new Dictionary<string, string>(n.Options), Labels = new Dictionary<string, string>(n.Labels),
            };
    }

    /// <summary>The networks "host" and "none" exist in Docker's list too; they have no state here.</summary>
    public static NetworkInspect Predefined(string name) => new()
    {
        Name = name, Id = PredefinedId(name), Created = DateTimeOffset.UnixEpoch, Driver = name == "host" ? "host" : "null",
        IPAM = new IpamInfo(),
    };

    /// <summary>A stable id for "host" and "none" (derived from the name, so it is the same across restarts).</summary>
    public static string PredefinedId(string name) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes("minicontainer-network-" + name)));
}

public sealed class ForbiddenException(string message) : ApiException(403, message);
