using System.Net;
using System.Net.Sockets;
using MiniContainer.Containers;
using MiniContainer.Networking.Dns;

namespace MiniContainer.Networking;

/// <summary>
/// What the embedded DNS tells one container (Docker's rules): the names of the containers on EVERY user-defined
/// network it is attached to — container names, aliases, short ids — and its own links (names only it resolves,
/// to the linked container); never names of networks it is not on. The asker is known by id: the container's own
/// resolver on 127.0.0.11 (<see cref="ContainerDnsRecords"/>) or, on a network's gateway server, the container whose
/// address asked (<see cref="NetworkDnsRecords"/>).
/// </summary>
public static class DnsVisibility
{
    public static IReadOnlyList<IPAddress>? Resolve(NetworkStore store, string? askerId, string name, AddressFamily family)
    {
        lock (store.Lock)
        {
            if (VisibleNetworks(store, askerId) is not { } visible) return null;   // not a member: not our business
            // A link of the asker's ("db_1:db") is a name only it resolves, to the linked container.
            string? linked = visible.SelectMany(x => x.Endpoints.TryGetValue(askerId!, out var own) ? own.Links : new())
                .Select(ContainerLink.Parse).Where(l => string.Equals(l.Alias, name, StringComparison.OrdinalIgnoreCase))
                .Select(l => l.Name).FirstOrDefault();
            var matches = visible.SelectMany(x => x.Endpoints.Values)
                .Where(e => linked is not null
                    ? string.Equals(e.ContainerName, linked, StringComparison.Ordinal)
                    : e.DnsNames.Any(d => string.Equals(d, name, StringComparison.OrdinalIgnoreCase)))
                .Select(e => e.IPv4Address).Distinct().ToList();
            if (matches.Count == 0) return null;
            if (family != AddressFamily.InterNetwork) return Array.Empty<IPAddress>();   // ours, but IPv4 only
            return matches.Select(IPAddress.Parse).ToList();
        }
    }

    /// <summary>PTR: "db-notes.authnet" for a container address on a network the asker shares with it.</summary>
    public static IReadOnlyList<string>? ResolveAddress(NetworkStore store, string? askerId, IPAddress address)
    {
        lock (store.Lock)
        {
            if (VisibleNetworks(store, askerId) is not { } visible) return null;
            string text = address.ToString();
            var names = visible.SelectMany(x => x.Endpoints.Values.Where(e => e.IPv4Address == text).Select(e => $"{e.ContainerName}.{x.Name}")).ToList();
            return names.Count > 0 ? names : null;
        }
    }

    /// <summary>The user-defined networks the container is on now, or null when it is on none.</summary>
    private static List<NetworkState>? VisibleNetworks(NetworkStore store, string? askerId)
    {
        if (askerId is null) return null;
        var visible = store.All.Where(x => !x.IsDefaultBridge && x.Endpoints.ContainsKey(askerId)).ToList();
        return visible.Count > 0 ? visible : null;
    }
}

/// <summary>The records of one container's own resolver (127.0.0.11 in its network namespace): every question on
/// its sockets is that container's, whatever source address it came from.</summary>
public sealed class ContainerDnsRecords(NetworkStore store, string containerId) : IDnsRecords
{
    public IReadOnlyList<IPAddress>? Resolve(IPAddress asker, string name, AddressFamily family) =>
        DnsVisibility.Resolve(store, containerId, name, family);

    public IReadOnlyList<string>? ResolveAddress(IPAddress asker, IPAddress address) =>
        DnsVisibility.ResolveAddress(store, containerId, address);
}
