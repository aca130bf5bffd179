using System.Net.Sockets;

namespace MiniContainer.Networking.Firewall;

/// <summary>
/// The kernel only routes packets between interfaces (container bridge ↔ the host's uplink) when forwarding is on.
/// We turn it on when a network needs it and never turn it back off: other software on the host (Docker, libvirt,
/// a VPN) may rely on it, and we cannot know whether it was on for them.
/// </summary>
internal static class IpForwarding
{
    public static void Enable(AddressFamily family)
    {
        // net.ipv6.conf.all.forwarding=1 also stops the host's interfaces from accepting router advertisements
        // (unless accept_ra=2); Docker does the same for its IPv6 networks.
        string path = family == AddressFamily.InterNetworkV6 ? "/proc/sys/net/ipv6/conf/all/forwarding" : "/proc/sys/net/ipv4/ip_forward";
        if (File.ReadAllText(path).Trim() == "1") return;
        // A write to the sysctl file is the sysctl: the kernel switches forwarding on for every interface.
        File.WriteAllText(path, "1");
    }
}
