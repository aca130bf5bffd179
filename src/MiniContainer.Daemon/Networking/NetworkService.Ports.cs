using System.Globalization;
using System.Net;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Networking.Firewall;
using MiniContainer.Networking.Ports;

namespace MiniContainer.Networking;

/// <summary>
/// Published ports (-p, -P). Each binding gets a userland proxy listening on the host (this is what answers
/// `curl 127.0.0.1:8080`, which no DNAT rule sees) and a DNAT rule in the firewall table for the host's other
/// addresses. A taken host port fails the start with Docker's message, after closing the proxies already opened.
/// </summary>
public sealed partial class NetworkService
{
    private readonly Dictionary<string, List<(PortMapping Mapping, PortProxy Proxy)>> _published = new();

    private List<PortMapping> PublishedMappings()
    {
        lock (_published) return _published.Values.SelectMany(list => list.Select(p => p.Mapping)).ToList();
    }

    private void PublishPorts(Container c)
    {
        var r = c.Record;
        var ports = new Dictionary<string, List<PortBinding>?>();
        foreach (string key in r.Config.ExposedPorts?.Keys ?? Enumerable.Empty<string>()) ports[key] = null;
        var bindings = new Dictionary<string, List<PortBinding>>(r.HostConfig.PortBindings ?? new());
        if (r.HostConfig.PublishAllPorts)
            foreach (string key in ports.Keys.Where(k => !bindings.ContainsKey(k)).ToList()) bindings[key] = new() { new PortBinding() };
        if (bindings.Count == 0) { r.NetworkSettings.Ports = ports; return; }

        var primary = BridgeNetworksOf(r).FirstOrDefault();
        if (primary.Settings is not { IPAddress.Length: > 0 } settings)
            throw new BadRequestException("published ports need a bridge network");
        var containerIp = IPAddress.Parse(settings.IPAddress);
        var started = new List<(PortMapping, PortProxy)>();
        try
        {
            foreach (var (key, list) in bindings.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var (containerPort, proto) = PortPublishing.SplitKey(key);
                var shown = new List<PortBinding>();
                foreach (var b in list)
                {
                    var hostIp = string.IsNullOrEmpty(b.HostIp) ? IPAddress.Any : IPAddress.Parse(b.HostIp);
                    var proxy = StartProxy(proto, hostIp, b.HostPort, containerIp, containerPort);
                    var mapping = new PortMapping(proto, hostIp, proxy.BoundPort, containerIp, containerPort);
                    started.Add((mapping, proxy));
                    shown.Add(new PortBinding { HostIp = hostIp.ToString(), HostPort = proxy.BoundPort.ToString(CultureInfo.InvariantCulture) });
                }
                ports[key] = shown;
            }
        }
        catch (PortInUseException e)
        {
            foreach (var (_, proxy) in started) proxy.DisposeAsync().AsTask().Wait();
            throw new ApiException(500, $"driver failed programming external connectivity on endpoint {r.PlainName} ({settings.EndpointID}): {e.Message}");
        }
        catch
        {
            foreach (var (_, proxy) in started) proxy.DisposeAsync().AsTask().Wait();
            throw;
        }
        lock (_published) _published[r.Id] = started;
        r.NetworkSettings.Ports = ports;
        Log.Info($"container {r.ShortId}: published {string.Join(", ", started.Select(p => $"{p.Item1.HostIp}:{p.Item1.HostPort}->{p.Item1.ContainerPort}/{p.Item1.Protocol}"))}");
    }

    /// <summary>After a daemon restart: the proxies lived in the old daemon process, so the running containers'
    /// published ports are opened again on the same host ports (their DNAT rules come back with the next Apply).</summary>
    private void RestorePorts(Container c)
    {
        var r = c.Record;
        var primary = BridgeNetworksOf(r).FirstOrDefault();
        if (primary.Settings is not { IPAddress.Length: > 0 } settings) return;
        var containerIp = IPAddress.Parse(settings.IPAddress);
        var started = new List<(PortMapping, PortProxy)>();
        foreach (var (key, bindings) in r.NetworkSettings.Ports)
        {
            var (containerPort, proto) = PortPublishing.SplitKey(key);
            foreach (var b in bindings ?? new())
            {
                var mapping = new PortMapping(proto, IPAddress.Parse(b.HostIp), int.Parse(b.HostPort, CultureInfo.InvariantCulture), containerIp, containerPort);
                try { started.Add((mapping, PortProxy.Start(mapping))); }
                catch (PortInUseException e) { Log.Warn($"container {r.ShortId}: cannot publish {key} again: {e.Message}"); }
            }
        }
        if (started.Count > 0) lock (_published) _published[r.Id] = started;
    }

    /// <summary>HostPort "" or "0": an ephemeral port; "8000-8010": the first free one of the range; else exactly that one.</summary>
    private PortProxy StartProxy(string proto, IPAddress hostIp, string hostPort, IPAddress containerIp, int containerPort)
    {
        int first = 0, last = 0;
        if (hostPort.Contains('-'))
        {
            string[] range = hostPort.Split('-', 2);
            first = int.Parse(range[0], CultureInfo.InvariantCulture);
            last = int.Parse(range[1], CultureInfo.InvariantCulture);
        }
        else if (hostPort.Length > 0) first = last = int.Parse(hostPort, CultureInfo.InvariantCulture);
        for (int port = first; ; port++)
        {
            try
            {
                if (port != 0 && IsAllocated(proto, hostIp, port)) throw new PortInUseException(hostIp, port, proto);
                return PortProxy.Start(new PortMapping(proto, hostIp, port, containerIp, containerPort));
            }
            catch (PortInUseException) when (port < last) { }
        }
    }

    /// <summary>Docker's port allocator: a host port one of our containers holds is taken, before the kernel is asked
    /// (a 0.0.0.0 binding and a 127.0.0.1 one of the same port conflict here, as in Docker).</summary>
    private bool IsAllocated(string proto, IPAddress hostIp, int port)
    {
        lock (_published)
            return _published.Values.SelectMany(l => l).Any(p => p.Mapping.Protocol == proto && p.Mapping.HostPort == port &&
                (p.Mapping.HostIp.Equals(hostIp) || p.Mapping.HostIp.Equals(IPAddress.Any) || hostIp.Equals(IPAddress.Any)));
    }

    /// <summary>Closes the container's proxies; true when it had any.</summary>
    private bool UnpublishPorts(Container c)
    {
        List<(PortMapping, PortProxy Proxy)>? list;
        lock (_published)
        {
            if (!_published.Remove(c.Record.Id, out list)) return false;
        }
        foreach (var p in list) p.Proxy.DisposeAsync().AsTask().Wait();
        return true;
    }

    /// <summary>GET /containers/json's Ports: one entry per binding, and one without PublicPort per exposed-only port.</summary>
    public static List<ContainerPort> PortSummary(ContainerRecord r)
    {
        var list = new List<ContainerPort>();
        foreach (var (key, bindings) in r.NetworkSettings.Ports)
        {
            var (port, proto) = PortPublishing.SplitKey(key);
            if (bindings is null || bindings.Count == 0) list.Add(new ContainerPort { PrivatePort = port, Type = proto });
            else list.AddRange(bindings.Select(b => new ContainerPort
            {
                IP = b.HostIp, PrivatePort = port, PublicPort = int.Parse(b.HostPort, CultureInfo.InvariantCulture), Type = proto,
            }));
        }
        return list;
    }
}

/// <summary>One port of a container in GET /containers/json: {"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"}.</summary>
public sealed class ContainerPort
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? IP { get; set; }
    public int PrivatePort { get; set; }
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? PublicPort { get; set; }
    public string Type { get; set; } = "tcp";
}
