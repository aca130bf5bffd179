using System.Net;

namespace MiniContainer.Networking.Firewall;

/// <summary>One project bridge as the firewall sees it: its host interface, its subnet, and whether it is
/// `--internal` (no way out of the bridge except DNS to the gateway).</summary>
/// <param name="Masquerade">source NAT for its traffic leaving the host (network option enable_ip_masquerade, default true).</param>
public sealed record FirewallNetwork(string Bridge, IPNetwork Subnet, bool Internal, bool Masquerade = true);

/// <summary>One published port: HostIp:HostPort on the host (IPAddress.Any = every address) →
/// ContainerIp:ContainerPort. Protocol is "tcp" or "udp".</summary>
public sealed record PortMapping(string Protocol, IPAddress HostIp, int HostPort, IPAddress ContainerIp, int ContainerPort);
