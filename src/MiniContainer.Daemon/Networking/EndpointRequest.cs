using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;

namespace MiniContainer.Networking;

/// <summary>
/// What a container asks of one network: an EndpointConfig of POST /networks/{id}/connect or of create's
/// NetworkingConfig.EndpointsConfig, parsed and checked (dockerd's rules and words). Everything here is honoured:
/// <list type="bullet">
/// <item>Aliases: extra DNS names on the network (user-defined networks only).</item>
/// <item>IPAMConfig.IPv4Address (--ip): that address, on a network with a user-given subnet.</item>
/// <item>IPAMConfig.LinkLocalIPs (--link-local-ip): extra 169.254.0.0/16 addresses on the container's interface.</item>
/// <item>Links ("NAME:ALIAS"): names only this container resolves, to NAME's address (user-defined networks).</item>
/// <item>MacAddress (--mac-address): the MAC of the container's interface instead of the one derived from its IP.</item>
/// <item>DriverOpts: echoed as given. The bridge driver reads none of them, as dockerd's reads none but its own
///   com.docker.network.* keys — which are refused here, since none of them is honoured.</item>
/// </list>
/// IPAMConfig.IPv6Address is refused: MiniContainer's networks are IPv4 only.
/// </summary>
public sealed record EndpointRequest(List<string>? Aliases, string? IPv4Address, List<string>? LinkLocalIPs, List<string>? Links,
    string? MacAddress, Dictionary<string, string>? DriverOpts)
{
    public static readonly EndpointRequest Empty = new(null, null, null, null, null, null);

    public static EndpointRequest Parse(JsonObject? endpoint)
    {
        if (endpoint is null) return Empty;
        var ipam = endpoint["IPAMConfig"] as JsonObject;
        if ((string?)ipam?["IPv6Address"] is { Length: > 0 } v6)
            throw new BadRequestException($"invalid endpoint settings:\nno configured subnet or ip-range contain the IP address {v6} " +
                                          "(MiniContainer's networks are IPv4 only)");
        var linkLocal = CreateRequest.StringList(ipam?["LinkLocalIPs"])?.Where(a => a.Length > 0).ToList();
        foreach (string a in linkLocal ?? [])
            if (!IPAddress.TryParse(a, out var ip) || !IsLinkLocal(ip))
                throw new BadRequestException($"invalid endpoint settings:\ninvalid link-local IP address: {a}");
        string? mac = (string?)endpoint["MacAddress"] is { Length: > 0 } m ? m : null;
        if (mac != null) ParseMac(mac);
        var driverOpts = endpoint["DriverOpts"] is JsonObject o ? o.ToDictionary(kv => kv.Key, kv => (string?)kv.Value ?? "") : null;
        foreach (string key in driverOpts?.Keys ?? Enumerable.Empty<string>())
            if (key.StartsWith("com.docker.network.", StringComparison.Ordinal))
                throw new BadRequestException($"endpoint driver option {key} is not supported by MiniContainer");
        var links = CreateRequest.StringList(endpoint["Links"])?.Where(l => l.Length > 0).ToList();
        foreach (string l in links ?? [])
            if (l.Split(':') is not ({ Length: 1 } or { Length: 2 }) || l.Split(':').Any(p => p.Trim('/').Length == 0))
                throw new BadRequestException($"invalid link: {l}: want NAME or NAME:ALIAS");
        return new EndpointRequest(
            CreateRequest.StringList(endpoint["Aliases"])?.Where(a => a.Length > 0).ToList() is { Count: > 0 } aliases ? aliases : null,
            (string?)ipam?["IPv4Address"] is { Length: > 0 } v4 ? v4 : null,
            linkLocal is { Count: > 0 } ? linkLocal : null, links is { Count: > 0 } ? links : null, mac,
            driverOpts is { Count: > 0 } ? driverOpts : null);
    }

    /// <summary>A link as the DNS uses it: "NAME:ALIAS" ("NAME" alone is its own alias; a leading '/' is dropped).</summary>
    public static string NormalizeLink(string link) => ContainerLink.Parse(link).ToString();

    /// <summary>169.254.0.0/16 (an IPv6 link-local address would need IPv6 on the interface, which is not set up here).</summary>
    public static bool IsLinkLocal(IPAddress ip) =>
        ip.AddressFamily == AddressFamily.InterNetwork && ip.GetAddressBytes() is [169, 254, _, _];

    /// <summary>"02:42:ac:11:00:02" → 6 bytes; dockerd's 400 for anything else, and for a multicast MAC (no unicast interface can have it).</summary>
    public static byte[] ParseMac(string mac)
    {
        string[] parts = mac.Split(':');
        var bytes = new byte[6];
        bool ok = parts.Length == 6;
        for (int i = 0; ok && i < 6; i++)
            ok = parts[i].Length == 2 && byte.TryParse(parts[i], System.Globalization.NumberStyles.HexNumber, null, out bytes[i]);
        if (!ok) throw new BadRequestException($"invalid MAC address: {mac}");
        if ((bytes[0] & 1) != 0) throw new BadRequestException($"invalid MAC address: {mac}: a multicast address cannot be an interface's");
        return bytes;
    }
}
