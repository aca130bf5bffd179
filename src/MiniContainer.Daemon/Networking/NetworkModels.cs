using System.Text.Json.Serialization;

namespace MiniContainer.Networking;

/// <summary>
/// One network as the daemon keeps it (networks/&lt;id&gt;.json): what `network create` asked for, the host bridge
/// that carries it, and its endpoints (the containers attached right now, with the addresses IPAM gave them).
/// Persisting the endpoints IS the IPAM state: after a daemon restart no address is handed out twice.
/// </summary>
public sealed class NetworkState
{
    public string Name { get; set; } = "";
    public string Id { get; set; } = "";
    public DateTimeOffset Created { get; set; }
    public string Driver { get; set; } = "bridge";
    public bool Internal { get; set; }
    public bool Attachable { get; set; }
    /// <summary>IPv4 CIDR, e.g. "172.18.0.0/16".</summary>
    public string Subnet { get; set; } = "";
    public string Gateway { get; set; } = "";
    /// <summary>Did the user give the subnet (IPAM.Config shows it then; Docker shows allocated ones too).</summary>
    public bool UserSubnet { get; set; }
    /// <summary>--ip-range: the IPv4 CIDR inside Subnet that IPAM hands addresses from (null: the whole subnet).</summary>
    public string? IpRange { get; set; }
    /// <summary>--aux-address: name → address reserved in the subnet, never handed to a container.</summary>
    public Dictionary<string, string>? AuxiliaryAddresses { get; set; }
    /// <summary>IPAM.Options as sent (echoed in inspect; the default IPAM driver has no option with an effect, as in dockerd).</summary>
    public Dictionary<string, string>? IpamOptions { get; set; }
    /// <summary>The Linux bridge on the host: minicontainer0 for the default network, mc-&lt;12 hex of id&gt; for others.</summary>
    public string Bridge { get; set; } = "";
    public Dictionary<string, string> Labels { get; set; } = new();
    public Dictionary<string, string> Options { get; set; } = new();
    /// <summary>container id → its endpoint on this network.</summary>
    public Dictionary<string, EndpointState> Endpoints { get; set; } = new();

    public bool IsDefaultBridge => Name == "bridge";
}

/// <summary>A container's attachment to one network: a veth pair whose host end is on the bridge.</summary>
public sealed class EndpointState
{
    public string EndpointId { get; set; } = "";
    public string ContainerName { get; set; } = "";
    public string IPv4Address { get; set; } = "";
    public string MacAddress { get; set; } = "";
    /// <summary>The host end of the veth pair (mcv…); the container end is InterfaceName.</summary>
    public string HostVeth { get; set; } = "";
    public string InterfaceName { get; set; } = "eth0";
    /// <summary>Names this endpoint answers to in the network's DNS: container name, aliases, short id.</summary>
    public List<string> DnsNames { get; set; } = new();
    public List<string> Aliases { get; set; } = new();
    /// <summary>This container's links ("NAME:ALIAS"): names only it resolves, to NAME's address.</summary>
    public List<string> Links { get; set; } = new();
    /// <summary>IPAMConfig.LinkLocalIPs: extra link-local addresses on the container's interface.</summary>
    public List<string> LinkLocalIPs { get; set; } = new();
}

// ---------------------------------------------------------------- API shapes (Docker's JSON)

/// <summary>GET /networks/{id}: Docker's NetworkResource.</summary>
public sealed class NetworkInspect
{
    public string Name { get; set; } = "";
    public string Id { get; set; } = "";
    public DateTimeOffset Created { get; set; }
    public string Scope { get; set; } = "local";
    public string Driver { get; set; } = "bridge";
    public bool EnableIPv6 { get; set; }
    public IpamInfo IPAM { get; set; } = new();
    public bool Internal { get; set; }
    public bool Attachable { get; set; }
    public bool Ingress { get; set; }
    public ConfigReference ConfigFrom { get; set; } = new();
    public bool ConfigOnly { get; set; }
    public Dictionary<string, NetworkContainer> Containers { get; set; } = new();
    public Dictionary<string, string> Options { get; set; } = new();
    public Dictionary<string, string> Labels { get; set; } = new();
}

public sealed class IpamInfo
{
    public string Driver { get; set; } = "default";
    public Dictionary<string, string>? Options { get; set; }
    public List<IpamConfig> Config { get; set; } = new();
}

public sealed class IpamConfig
{
    public string Subnet { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? IPRange { get; set; }
    public string Gateway { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, string>? AuxiliaryAddresses { get; set; }
}

public sealed class ConfigReference
{
    public string Network { get; set; } = "";
}

public sealed class NetworkContainer
{
    public string Name { get; set; } = "";
    public string EndpointID { get; set; } = "";
    public string MacAddress { get; set; } = "";
    /// <summary>"172.18.0.2/16"</summary>
    public string IPv4Address { get; set; } = "";
    public string IPv6Address { get; set; } = "";
}

/// <summary>A container's settings for one network (container inspect NetworkSettings.Networks[name]).</summary>
public sealed class EndpointSettings
{
    public EndpointIpamConfig? IPAMConfig { get; set; }
    public List<string>? Links { get; set; }
    public List<string>? Aliases { get; set; }
    public string MacAddress { get; set; } = "";
    public Dictionary<string, string>? DriverOpts { get; set; }
    public string NetworkID { get; set; } = "";
    public string EndpointID { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string IPAddress { get; set; } = "";
    public int IPPrefixLen { get; set; }
    public string IPv6Gateway { get; set; } = "";
    public string GlobalIPv6Address { get; set; } = "";
    public int GlobalIPv6PrefixLen { get; set; }
    public List<string>? DNSNames { get; set; }
    /// <summary>The MAC the user asked for (--mac-address, EndpointConfig.MacAddress), kept while the container is stopped,
    /// when MacAddress is cleared with the rest of the runtime fields (dockerd keeps it in config.v2.json too).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? DesiredMacAddress { get; set; }
}

public sealed class EndpointIpamConfig
{
    public string? IPv4Address { get; set; }
    public string? IPv6Address { get; set; }
    public List<string>? LinkLocalIPs { get; set; }
}

/// <summary>One host binding of a published port: {"HostIp": "0.0.0.0", "HostPort": "8080"}.</summary>
public sealed class PortBinding
{
    public string HostIp { get; set; } = "";
    public string HostPort { get; set; } = "";
}

public sealed class NetworkCreateResponse
{
    public string Id { get; set; } = "";
    public string Warning { get; set; } = "";
}

public sealed class NetworkPruneResponse
{
    public List<string> NetworksDeleted { get; set; } = new();
}
