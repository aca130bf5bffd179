using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Events;
using MiniContainer.Networking.Firewall;

namespace MiniContainer.Networking;

/// <summary>
/// The container side of networking. The recipe at start (between the shim's "created" — the container's PID 1
/// exists in its new network namespace, stopped before exec — and "start"): for each network, take an address from
/// IPAM, plug a veth pair into the bridge and configure the container end (eth0, eth1…), then publish ports and
/// write /etc/hosts and /etc/resolv.conf. Any failure undoes everything done so far. When the container stops,
/// its endpoints are released (the kernel already removed the veths with the namespace).
/// </summary>
public sealed partial class NetworkService
{
    // ---------------------------------------------------------------- create

    /// <summary>POST /containers/create: checks --network and fills NetworkSettings.Networks with the endpoint
    /// configuration (aliases, --ip) of each network the container will join.</summary>
    public void PrepareCreate(ContainerRecord r, JsonObject body)
    {
        var h = r.HostConfig;
        if (h.NetworkMode is "" or "default") h.NetworkMode = "bridge";
        var endpointsConfig = (body["NetworkingConfig"] as JsonObject)?["EndpointsConfig"] as JsonObject;
        bool publishes = h.PortBindings is { Count: > 0 } || h.PublishAllPorts;
        r.NetworkSettings.Networks = new();
        switch (h.NetworkMode)
        {
            case "none":
            case "host":
                if (h.NetworkMode == "host") h.PortBindings = null;   // Docker: "Published ports are discarded when using host network mode"
                r.NetworkSettings.Networks[h.NetworkMode] = new EndpointSettings { NetworkID = PredefinedId(h.NetworkMode) };
                return;
            case var m when m.StartsWith("container:", StringComparison.Ordinal):
                string target = m["container:".Length..];
                var other = FindContainer(target) ?? throw new NotFoundException($"No such container: {target}");
                if (publishes) throw new BadRequestException("conflicting options: port publishing and the container type network mode");
                if (body["Hostname"] is JsonValue hn && ((string?)hn)?.Length > 0)
                    throw new BadRequestException("conflicting options: hostname and the network mode");
                if (other.Record.Id == r.Id) throw new BadRequestException("cannot join own network");
                h.NetworkMode = "container:" + other.Record.Id;
                return;
        }
        var primary = Store.Get(h.NetworkMode);
        var names = new List<string> { primary.Name };
        NetworkState Named(string key) => key == "default" ? primary : Store.Get(key);   // the CLI's name for --network unset
        foreach (var (key, _) in endpointsConfig ?? new JsonObject())
            if (Named(key) is var n && !names.Contains(n.Name)) names.Add(n.Name);
        var mac = body["MacAddress"] is JsonValue mv && (string?)mv is { Length: > 0 } given ? given : null;   // Config.MacAddress (API < 1.44 style)
        foreach (string name in names)
        {
            var n = Store.Get(name);
            var cfg = endpointsConfig?.FirstOrDefault(kv => Named(kv.Key).Id == n.Id).Value as JsonObject;
            var request = EndpointRequest.Parse(cfg);
            if (mac != null && n == primary)
            {
                // dockerd (API 1.44+) moves the container-wide MAC onto the endpoint of its --network.
                if (request.MacAddress is { } own && !string.Equals(own, mac, StringComparison.OrdinalIgnoreCase))
                    throw new BadRequestException("conflicting options: the container's MacAddress and the endpoint's MacAddress differ");
                request = request with { MacAddress = mac };
            }
            r.NetworkSettings.Networks[n.Name] = Settings(n, request);
        }
    }

    /// <summary>Checks what a container asks of one network (Docker's rules) and makes its endpoint settings.</summary>
    private static EndpointSettings Settings(NetworkState n, EndpointRequest request)
    {
        string? ip = request.IPv4Address;
        if (n.IsDefaultBridge && request.Aliases is { Count: > 0 })
            throw new BadRequestException("network-scoped aliases are only supported for user-defined networks");
        if (n.IsDefaultBridge && request.Links is { Count: > 0 })
            throw new BadRequestException("links on the default bridge network are set with --link (HostConfig.Links), not per endpoint");
        if (!string.IsNullOrEmpty(ip))
        {
            if (n.IsDefaultBridge) throw new BadRequestException("user specified IP address is supported on user defined networks only");
            if (!n.UserSubnet) throw new BadRequestException("user specified IP address is supported only when connecting to networks with user configured subnets");
            if (!IPAddress.TryParse(ip, out var addr) || !Ipv4Subnet.Parse(n.Subnet).Contains(addr))
                throw new BadRequestException($"invalid endpoint settings:\nno configured subnet or ip-range contain the IP address {ip}");
        }
        if (request.MacAddress is { } mac) EndpointRequest.ParseMac(mac);
        return new EndpointSettings
        {
            NetworkID = n.Id, Aliases = request.Aliases, Links = request.Links, DriverOpts = request.DriverOpts,
            IPAMConfig = ip is null && request.LinkLocalIPs is null ? null
                : new EndpointIpamConfig { IPv4Address = ip, LinkLocalIPs = request.LinkLocalIPs },
            MacAddress = request.MacAddress ?? "", DesiredMacAddress = request.MacAddress?.ToLowerInvariant(),
        };
    }

    /// <summary>--network container:ID: the network namespace the shim joins instead of creating one.</summary>
    public string? NamespaceToJoin(ContainerRecord r)
    {
        if (!r.HostConfig.NetworkMode.StartsWith("container:", StringComparison.Ordinal)) return null;
        string target = r.HostConfig.NetworkMode["container:".Length..];
        var other = FindContainer(target) ?? throw new NotFoundException($"No such container: {target}");
        if (!other.Record.State.Running)
            throw new ConflictException($"cannot join network namespace of a non running container: container {other.Record.Id} is exited");
        return $"/proc/{other.Record.State.Pid}/ns/net";
    }

    /// <summary>The bridge networks of a container, its primary one (--network) first: eth0, eth1, … in this order.</summary>
    private List<(NetworkState Network, EndpointSettings Settings)> BridgeNetworksOf(ContainerRecord r)
    {
        var list = new List<(NetworkState, EndpointSettings)>();
        foreach (var (name, settings) in r.NetworkSettings.Networks)
        {
            if (PredefinedNetworks.Contains(name) && name != "bridge") continue;
            var n = Store.Find(settings.NetworkID) ?? Store.Find(name);
            if (n == null) continue;   // the network went away while the container was stopped
            list.Add((n, settings));
        }
        return list.OrderBy(x => x.Item1.Name == r.HostConfig.NetworkMode || x.Item1.Id == r.HostConfig.NetworkMode ? 0 : 1).ToList();
    }

    // ---------------------------------------------------------------- start / stop

    /// <summary>Wires a created container (PID 1 stopped before exec) into its networks. All or nothing.</summary>
    public void ConnectAtStart(Container c, int pid)
    {
        var r = c.Record;
        string mode = r.HostConfig.NetworkMode;
        if (mode == "host" || mode.StartsWith("container:", StringComparison.Ordinal)) return;
        if (mode == "none")
        {
            ContainerEtcFiles.WriteInPlace(r.HostsPath, ContainerEtcFiles.Hosts(r, null));
            return;
        }
        var done = new List<(NetworkState, EndpointState)>();
        try
        {
            int index = 0;
            foreach (var (n, settings) in BridgeNetworksOf(r))
            {
                var ep = Attach(c, pid, n, settings, $"eth{index}", withDefaultRoute: index == 0 && !n.Internal);
                done.Add((n, ep));
                index++;
            }
            PublishPorts(c);
            if (WantsContainerDns(r)) StartContainerDns(r, pid);
            WriteEtcFiles(r);
        }
        catch (Exception e)
        {
            StopContainerDns(r.Id);
            foreach (var (n, ep) in done) Release(c, n, ep);
            UnpublishPorts(c);
            ClearRuntimeSettings(r);
            OnNetworksChanged();
            if (e is ApiException) throw;
            throw new ApiException(500, $"failed to set up container networking: {e.Message}");
        }
        OnNetworksChanged();
    }

    /// <summary>The container stopped (or never started): its endpoints, ports and DNS names go.</summary>
    public void OnStopped(Container c)
    {
        StopContainerDns(c.Record.Id);
        bool any = false;
        foreach (var n in Store.All)
            if (n.Endpoints.TryGetValue(c.Record.Id, out var ep)) { Release(c, n, ep, deleteVethInBackground: true); any = true; }
        any |= UnpublishPorts(c);
        ClearRuntimeSettings(c.Record);
        if (any) OnNetworksChanged();
    }

    private EndpointState Attach(Container c, int pid, NetworkState n, EndpointSettings settings, string ifName, bool withDefaultRoute)
    {
        var r = c.Record;
        var subnet = Ipv4Subnet.Parse(n.Subnet);
        var gateway = IPAddress.Parse(n.Gateway);
        EndpointState ep;
        lock (Store.Lock)
        {
            if (n.Endpoints.ContainsKey(r.Id))
                throw new ForbiddenException($"endpoint with name {r.PlainName} already exists in network {n.Name}");
            IPAddress ip;
            try
            {
                // An address whose old veth is still being deleted is not given out again yet (its MAC follows from it, and
                // two ports on the bridge would claim both); asked for by --ip, it is given once that deletion is done.
                var leaving = LeavingAddresses(n.Id);
                if (settings.IPAMConfig?.IPv4Address is { Length: > 0 } wanted && leaving.Contains(wanted))
                {
                    WaitForVethDeletions();
                    leaving = LeavingAddresses(n.Id);
                }
                ip = Ipam.Allocate(subnet, gateway, n.Endpoints.Values.Select(e => e.IPv4Address), settings.IPAMConfig?.IPv4Address, n.Name,
                    n.IpRange is null ? null : Ipv4Subnet.Parse(n.IpRange), (n.AuxiliaryAddresses?.Values ?? Enumerable.Empty<string>()).Concat(leaving));
            }
            catch (ArgumentException e) { throw new BadRequestException(e.Message); }
            catch (InvalidOperationException e) { throw new ForbiddenException(e.Message); }
            var aliases = settings.Aliases ?? new();
            ep = new EndpointState
            {
                EndpointId = NetworkStore.NewId(), ContainerName = r.PlainName, IPv4Address = ip.ToString(),
                MacAddress = settings.DesiredMacAddress ?? Ipam.FormatMac(Ipam.MacFor(ip)), HostVeth = NewVethName(), InterfaceName = ifName,
                Aliases = aliases, DnsNames = DnsNamesFor(r.PlainName, aliases, r.ShortId),
                Links = n.IsDefaultBridge ? new()
                    : (r.HostConfig.Links ?? new()).Concat(settings.Links ?? new()).Select(EndpointRequest.NormalizeLink).Distinct().ToList(),
                LinkLocalIPs = settings.IPAMConfig?.LinkLocalIPs?.ToList() ?? new(),
            };
            var endpoint = ep;
            long t = Explaining.Explain.Begin();
            Store.Update(n, s => s.Endpoints[r.Id] = endpoint);
            if (t != 0 && !n.IsDefaultBridge) Explaining.Explain.Record(t, Explaining.ExplainNetwork.DnsNames(n.Name, ep.IPv4Address, ep.DnsNames, Store.FileOf(n), added: true));
        }
        try
        {
            var ipAddress = IPAddress.Parse(ep.IPv4Address);
            _plumbing.AttachEndpoint(pid, n.Bridge, ep.HostVeth, ifName, ipAddress, subnet.PrefixLength, EndpointRequest.ParseMac(ep.MacAddress),
                withDefaultRoute ? gateway : null, ep.LinkLocalIPs.Select(IPAddress.Parse).ToList());
        }
        catch
        {
            Store.Update(n, s => s.Endpoints.Remove(r.Id));
            throw;
        }
        settings.NetworkID = n.Id;
        settings.EndpointID = ep.EndpointId;
        settings.Gateway = n.Gateway;
        settings.IPAddress = ep.IPv4Address;
        settings.IPPrefixLen = subnet.PrefixLength;
        settings.MacAddress = ep.MacAddress;
        settings.DNSNames = n.IsDefaultBridge ? null : ep.DnsNames;
        if (n.IsDefaultBridge)
        {
            r.NetworkSettings.IPAddress = ep.IPv4Address;
            r.NetworkSettings.IPPrefixLen = subnet.PrefixLength;
            r.NetworkSettings.Gateway = n.Gateway;
            r.NetworkSettings.MacAddress = ep.MacAddress;
            r.NetworkSettings.EndpointID = ep.EndpointId;
        }
        r.NetworkSettings.SandboxKey = $"/proc/{pid}/ns/net";
        Log.Info($"container {r.ShortId}: {ifName} {ep.IPv4Address}/{subnet.PrefixLength} on {n.Name} (veth {ep.HostVeth})");
        Events.Network("connect", n.Id, n.Name, n.Driver, r.Id);
        return ep;
    }

    private void Release(Container c, NetworkState n, EndpointState ep, bool deleteVethInBackground = false)
    {
        if (deleteVethInBackground) DeleteVethInBackground(ep.HostVeth, n.Id, ep.IPv4Address);
        else _plumbing.DetachEndpoint(ep.HostVeth);
        long t = Explaining.Explain.Begin();
        Store.Update(n, s => s.Endpoints.Remove(c.Record.Id));
        if (t != 0 && !n.IsDefaultBridge) Explaining.Explain.Record(t, Explaining.ExplainNetwork.DnsNames(n.Name, ep.IPv4Address, ep.DnsNames, Store.FileOf(n), added: false));
        Events.Network("disconnect", n.Id, n.Name, n.Driver, c.Record.Id);
    }

    /// <summary>
    /// A stopped container's veth is deleted on a thread of its own: the kernel's unregistering of a network device
    /// waits for RCU grace periods and for the last references to go (10-20 ms measured here, `exit: network` in the
    /// --debug timings), and `run --rm` and `wait` need not wait for it. The pair would go with the container's network
    /// namespace anyway once nothing holds that; deleting the host end makes it certain. The daemon waits for these at
    /// shutdown (<see cref="WaitForVethDeletions"/>). A disconnect, and a start's rollback, still delete at once.
    /// </summary>
    private void DeleteVethInBackground(string hostVeth, string networkId, string address)
    {
        using var _ = ExecutionContext.SuppressFlow();   // no caller's explain session or request context goes along
        LeavingVeth? leaving = null;
        var deletion = new Task(() =>
        {
            try { _plumbing.DetachEndpoint(hostVeth); }
            catch (Exception e) { Log.Warn($"deleting veth {hostVeth} failed: {e.Message}"); }
            finally { lock (_vethDeletions) _vethDeletions.Remove(leaving!); }
        });
        leaving = new LeavingVeth(networkId, address, deletion);
        lock (_vethDeletions) _vethDeletions.Add(leaving);   // before it starts: its end removes it
        deletion.Start(TaskScheduler.Default);
    }

    private sealed record LeavingVeth(string NetworkId, string Address, Task Deletion);

    private readonly List<LeavingVeth> _vethDeletions = new();

    private List<string> LeavingAddresses(string networkId)
    {
        lock (_vethDeletions) return _vethDeletions.Where(v => v.NetworkId == networkId).Select(v => v.Address).ToList();
    }

    /// <summary>Waits (up to 10 s) for the veth deletions started when containers stopped: at daemon shutdown, and before
    /// an address asked for with --ip whose old veth is still going.</summary>
    public void WaitForVethDeletions()
    {
        Task[] pending;
        lock (_vethDeletions) pending = _vethDeletions.Select(v => v.Deletion).ToArray();
        Task.WaitAll(pending, TimeSpan.FromSeconds(10));
    }

    private static void ClearRuntimeSettings(ContainerRecord r)
    {
        foreach (var s in r.NetworkSettings.Networks.Values)
        {
            s.EndpointID = ""; s.Gateway = ""; s.IPAddress = ""; s.IPPrefixLen = 0; s.MacAddress = s.DesiredMacAddress ?? ""; s.DNSNames = null;
        }
        var ns = r.NetworkSettings;
        ns.IPAddress = ""; ns.IPPrefixLen = 0; ns.Gateway = ""; ns.MacAddress = ""; ns.EndpointID = ""; ns.SandboxKey = "";
        ns.Ports = new();
    }

    /// <summary>Host end of a veth pair: the prefix and random hex, 14 characters at most (the peer adds "p"; IFNAMSIZ is 16).</summary>
    private string NewVethName() =>
        Options.VethPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))[..Math.Min(8, 14 - Options.VethPrefix.Length)];

    private void WriteEtcFiles(ContainerRecord r)
    {
        var networks = BridgeNetworksOf(r);
        var primary = networks.FirstOrDefault();
        string? ownIp = primary.Settings?.IPAddress is { Length: > 0 } ip ? ip : null;
        // The embedded DNS on 127.0.0.11 (it answers for every network the container is on) when it is on a user-defined
        // network; none on the default bridge alone, as in Docker. A default-bridge container connected to a user network gets it too.
        bool embedded = networks.Any(x => !x.Network.IsDefaultBridge);
        ContainerEtcFiles.WriteInPlace(r.HostsPath, ContainerEtcFiles.Hosts(r, ownIp, LinkHostLines(r)));
        ContainerEtcFiles.WriteInPlace(r.ResolvConfPath, ContainerEtcFiles.ResolvConf(r, embedded ? ContainerDnsNat.Address.ToString() : null));
    }

    // ---------------------------------------------------------------- connect / disconnect

    /// <summary>POST /networks/{id}/connect: a running container gets a new interface now; a stopped one at its next start.</summary>
    public void Connect(NetworkState n, Container c, EndpointRequest request)
    {
        var r = c.Record;
        string mode = r.HostConfig.NetworkMode;
        if (mode == "host") throw new ForbiddenException("container cannot be disconnected from host network or connected to host network");
        if (mode == "none" || mode.StartsWith("container:", StringComparison.Ordinal))
            throw new ForbiddenException("container sharing network namespace with another container or host cannot be connected to any other network");
        if (r.NetworkSettings.Networks.Values.Any(s => s.NetworkID == n.Id) || n.Endpoints.ContainsKey(r.Id))
            throw new ForbiddenException($"endpoint with name {r.PlainName} already exists in network {n.Name}");
        var settings = Settings(n, request);
        if (r.State.Running)
        {
            var used = BridgeNetworksOf(r).Select(x => n.Endpoints.GetValueOrDefault(r.Id)?.InterfaceName)
                .Concat(Store.All.Select(x => x.Endpoints.GetValueOrDefault(r.Id)?.InterfaceName)).OfType<string>().ToHashSet();
            string ifName = Enumerable.Range(0, 64).Select(i => $"eth{i}").First(name => !used.Contains(name));
            Attach(c, r.State.Pid, n, settings, ifName, withDefaultRoute: false);
        }
        r.NetworkSettings.Networks[n.Name] = settings;
        if (r.State.Running) { SyncContainerDns(r); WriteEtcFiles(r); }
        c.Save();
        OnNetworksChanged();
    }

    /// <summary>POST /networks/{id}/disconnect: the interface goes away at once if the container runs.</summary>
    public void Disconnect(NetworkState n, Container c, bool force)
    {
        var r = c.Record;
        string? key = r.NetworkSettings.Networks.FirstOrDefault(kv => kv.Value.NetworkID == n.Id || kv.Key == n.Name).Key;
        if (key == null && !n.Endpoints.ContainsKey(r.Id))
            throw new ForbiddenException($"container {r.Id} is not connected to network {n.Name}");
        if (n.Endpoints.TryGetValue(r.Id, out var ep)) Release(c, n, ep);
        if (key != null) r.NetworkSettings.Networks.Remove(key);
        if (n.IsDefaultBridge) { r.NetworkSettings.IPAddress = ""; r.NetworkSettings.Gateway = ""; r.NetworkSettings.MacAddress = ""; r.NetworkSettings.IPPrefixLen = 0; }
        if (r.State.Running) { SyncContainerDns(r); WriteEtcFiles(r); }
        c.Save();
        OnNetworksChanged();
    }

    /// <summary>disconnect --force of a container that no longer exists: drop its endpoint by name or id.</summary>
    public void ForceDisconnect(NetworkState n, string container)
    {
        var stale = n.Endpoints.FirstOrDefault(kv => kv.Value.ContainerName == container || kv.Key.StartsWith(container, StringComparison.Ordinal));
        if (stale.Value == null) throw new NotFoundException($"No such container: {container}");
        _plumbing.DetachEndpoint(stale.Value.HostVeth);
        Store.Update(n, s => s.Endpoints.Remove(stale.Key));
        Events.Network("disconnect", n.Id, n.Name, n.Driver, stale.Key);
        OnNetworksChanged();
    }

    /// <summary>Every network a container is configured for (inspect's keys), to refuse removing a network in use.</summary>
    public bool IsMember(ContainerRecord r, NetworkState n) => r.NetworkSettings.Networks.Values.Any(s => s.NetworkID == n.Id);
}
