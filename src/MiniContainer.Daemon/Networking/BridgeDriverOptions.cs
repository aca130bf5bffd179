using MiniContainer.Api;

namespace MiniContainer.Networking;

/// <summary>
/// `network create -o KEY=VALUE` (the bridge driver's options). Docker's bridge driver reads a handful of keys; those
/// MiniContainer honours pass, with the values it honours, and are echoed in inspect's Options. Anything else is a
/// 400 naming the key, never an option accepted and then ignored:
/// <list type="bullet">
/// <item>enable_ip_masquerade: "false" takes the network's subnet out of the masquerade rule (no source NAT when
///   its traffic leaves the host).</item>
/// <item>enable_icc, host_binding_ipv4, mtu: only the values every network here has (true, 0.0.0.0, 1500).
///   enable_icc=false would need br_netfilter to see switched traffic.</item>
/// <item>bridge.name is refused: the host bridge is named from the network's id and the daemon's prefix, so
///   the daemon and scripts/cleanup.sh can tell its own links from the host's.</item>
/// </list>
/// </summary>
public static class BridgeDriverOptions
{
    public const string Masquerade = "com.docker.network.bridge.enable_ip_masquerade";
    private const string Icc = "com.docker.network.bridge.enable_icc", HostBinding = "com.docker.network.bridge.host_binding_ipv4",
        Mtu = "com.docker.network.driver.mtu";

    public static void Check(IReadOnlyDictionary<string, string> options)
    {
        foreach (var (key, value) in options)
        {
            bool ok = key switch
            {
                Masquerade => bool.TryParse(value, out _),
                Icc => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase),
                HostBinding => value == "0.0.0.0",
                Mtu => value == "1500",
                _ => throw new BadRequestException($"network option {key} is not supported by MiniContainer's bridge driver " +
                    $"(supported: {Masquerade}, and {Icc}=true, {HostBinding}=0.0.0.0, {Mtu}=1500)"),
            };
            if (!ok) throw new BadRequestException($"invalid value {value} for network option {key}: MiniContainer supports " +
                (key == Masquerade ? "true or false" : key == Icc ? "only true (isolating containers on one bridge needs br_netfilter)" :
                 key == HostBinding ? "only 0.0.0.0" : "only 1500"));
        }
    }

    /// <summary>Is source NAT on for traffic of this network leaving the host (the default)?</summary>
    public static bool Masquerades(IReadOnlyDictionary<string, string> options) =>
        !options.TryGetValue(Masquerade, out var v) || !bool.TryParse(v, out bool b) || b;
}
