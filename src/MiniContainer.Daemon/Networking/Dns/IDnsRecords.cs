using System.Net;
using System.Net.Sockets;

namespace MiniContainer.Networking.Dns;

/// <summary>What one network's embedded DNS knows (implemented from the network/endpoint state).</summary>
public interface IDnsRecords
{
    /// <summary>
    /// Addresses of <paramref name="name"/> (lower-case, no trailing dot) of <paramref name="family"/>
    /// (InterNetwork = A, InterNetworkV6 = AAAA) for a client at <paramref name="asker"/>. Null when the name is not a
    /// container name / alias / short id on this network as seen by that asker (then the server forwards the question
    /// upstream). Empty when the name is ours but has no address of that family (then the answer is NOERROR with no
    /// records, never forwarded).
    /// </summary>
    IReadOnlyList<IPAddress>? Resolve(IPAddress asker, string name, AddressFamily family);

    /// <summary>
    /// The names of <paramref name="address"/> for a reverse (PTR) question from <paramref name="asker"/>, as Docker
    /// answers them ("db-notes.authnet", no trailing dot). Null when the address is not a container's on this network
    /// as that asker sees it (then the question is forwarded). Without an implementation every PTR is forwarded.
    /// </summary>
    IReadOnlyList<string>? ResolveAddress(IPAddress asker, IPAddress address) => null;
}
