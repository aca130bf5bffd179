using System.Net;
using System.Text.Json.Nodes;
using MiniContainer.Api;

namespace MiniContainer.Networking;

/// <summary>
/// One IPAM.Config entry of POST /networks/create, checked as dockerd checks it: the subnet (given, or chosen from
/// the address pool), the gateway (given, or the subnet's first host), --ip-range (a canonical CIDR inside the
/// subnet: containers without --ip get addresses from it only) and --aux-address (names → addresses in the subnet
/// that IPAM never hands out).
/// </summary>
public sealed record IpamPoolRequest(Ipv4Subnet Subnet, IPAddress Gateway, bool UserSubnet, Ipv4Subnet? Range, Dictionary<string, string>? Auxiliary)
{
    public static IpamPoolRequest Parse(JsonObject? config, IReadOnlyList<Ipv4Subnet> inUse, Func<Ipv4Subnet> choose)
    {
        string? subnetText = (string?)config?["Subnet"], gatewayText = (string?)config?["Gateway"], rangeText = (string?)config?["IPRange"];
        var aux = config?["AuxiliaryAddresses"] is JsonObject a ? a.ToDictionary(kv => kv.Key, kv => (string?)kv.Value ?? "") : null;
        Ipv4Subnet subnet;
        bool userSubnet = !string.IsNullOrEmpty(subnetText);
        if (userSubnet)
        {
            RefuseIpv6(subnetText!);
            if (!Ipv4Subnet.TryParse(subnetText!, out subnet)) throw new BadRequestException($"invalid CIDR address: {subnetText}");
            if (!Ipv4Subnet.IsCanonical(subnetText!)) throw new BadRequestException($"invalid subnet {subnetText}: it should be {subnet}");
            if (subnet.PrefixLength > 30) throw new BadRequestException($"subnet {subnetText} is too small for a network");
            if (inUse.Any(s => s.Overlaps(subnet)))
                throw new ForbiddenException("invalid pool request: Pool overlaps with other one on this address space");
        }
        else
        {
            if (!string.IsNullOrEmpty(gatewayText)) throw new BadRequestException("a gateway needs a subnet (--subnet)");
            if (!string.IsNullOrEmpty(rangeText)) throw new BadRequestException("an ip-range needs a subnet (--subnet)");
            if (aux is { Count: > 0 }) throw new BadRequestException("an auxiliary address needs a subnet (--subnet)");
            try { subnet = choose(); }
            catch (InvalidOperationException e) { throw new BadRequestException(e.Message); }
        }

        IPAddress gateway = subnet.FirstHost;
        if (!string.IsNullOrEmpty(gatewayText) && (!IPAddress.TryParse(gatewayText, out gateway!) || !subnet.Contains(gateway)))
            throw new BadRequestException($"no matching subnet for gateway {gatewayText}");

        Ipv4Subnet? range = null;
        if (!string.IsNullOrEmpty(rangeText))
        {
            RefuseIpv6(rangeText);
            if (!Ipv4Subnet.TryParse(rangeText, out var r)) throw new BadRequestException($"invalid CIDR address: {rangeText}");
            if (!Ipv4Subnet.IsCanonical(rangeText)) throw new BadRequestException($"invalid ip-range {rangeText}: it should be {r}");
            if (r.PrefixLength < subnet.PrefixLength || !subnet.Contains(Ipv4Subnet.FromUInt(r.Network)))
                throw new BadRequestException($"invalid ip-range {rangeText}: it should be within subnet {subnet}");
            range = r;
        }

        foreach (var (key, value) in aux ?? new())
            if (!IPAddress.TryParse(value, out var ip) || !subnet.Contains(ip))
                throw new BadRequestException($"invalid auxiliary address {key}={value}: it should be within subnet {subnet}");
        return new IpamPoolRequest(subnet, gateway, userSubnet, range, aux);
    }

    /// <summary>A valid IPv6 CIDR (docker network create --subnet 2001:db8::/64) is refused as what it is, not as a bad
    /// address: the bridges here are IPv4 only.</summary>
    private static void RefuseIpv6(string cidr)
    {
        if (IPNetwork.TryParse(cidr, out var n) && n.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            throw new BadRequestException($"IPv6 subnets are not supported by this MiniContainer yet: {cidr}");
    }
}
