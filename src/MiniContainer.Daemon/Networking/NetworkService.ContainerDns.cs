using System.Net;
using MiniContainer.Containers;
using MiniContainer.Networking.Dns;
using MiniContainer.Networking.Firewall;

namespace MiniContainer.Networking;

/// <summary>
/// Docker's resolver address inside containers on user-defined networks: /etc/resolv.conf says
/// `nameserver 127.0.0.11`, and that address answers in the container's own network namespace. How: the daemon
/// binds a UDP and a TCP socket on 127.0.0.11 at a random port from a thread that joined the container's namespace
/// (the sockets stay there), serves them like any embedded DNS server — every question on them is that container's —
/// and DNATs 127.0.0.11:53 to that port with a small nft table in the namespace (<see cref="ContainerDnsNat"/>).
/// Started when a container with a user-defined network starts (or is connected to its first one while running),
/// stopped — sockets closed — when it stops or leaves its last user-defined network; rebound after a daemon restart.
/// </summary>
public sealed partial class NetworkService
{
    private readonly Dictionary<string, EmbeddedDnsServer> _containerDns = new();   // container id → its resolver

    /// <summary>Does this container get the embedded resolver (is it on a user-defined network now)?</summary>
    private bool WantsContainerDns(ContainerRecord r) =>
        Store.All.Any(n => !n.IsDefaultBridge && n.Endpoints.ContainsKey(r.Id));

    /// <summary>Starts the container's resolver on 127.0.0.11 in the namespace of pid, unless it runs already.</summary>
    private void StartContainerDns(ContainerRecord r, int pid)
    {
        lock (_containerDns)
        {
            if (_containerDns.ContainsKey(r.Id)) return;
            string nsPath = $"/proc/{pid}/ns/net";
            var (udp, tcp) = DnsSockets.BindInNamespace(nsPath, new IPEndPoint(ContainerDnsNat.Address, 0));
            EmbeddedDnsServer server;
            try
            {
                int port = ((IPEndPoint)udp.LocalEndPoint!).Port;
                long t = Explaining.Explain.Begin();
                NftFirewall.ApplyInNamespace(nsPath, ContainerDnsNat.Script(Options.NftTable, port));
                if (t != 0) Explaining.Explain.Record(t, Explaining.ExplainNetwork.ContainerDnsNat(nsPath, Options.NftTable, port));
                server = EmbeddedDnsServer.Serve(udp, tcp, new ContainerDnsRecords(Store, r.Id), Upstreams);
            }
            catch { udp.Dispose(); tcp.Dispose(); throw; }
            _containerDns[r.Id] = server;
            Log.Info($"container {r.ShortId}: embedded DNS on 127.0.0.11:53 (port {server.Endpoint.Port} in its namespace)");
        }
    }

    /// <summary>Closes the container's resolver sockets (no-op when it has none).</summary>
    private void StopContainerDns(string containerId)
    {
        EmbeddedDnsServer? server;
        lock (_containerDns) _containerDns.Remove(containerId, out server);
        server?.DisposeAsync().AsTask().Wait();
    }

    /// <summary>Starts or stops the container's resolver to match its networks now.</summary>
    private void SyncContainerDns(ContainerRecord r)
    {
        if (r.State.Running && r.State.Pid > 0 && WantsContainerDns(r)) StartContainerDns(r, r.State.Pid);
        else StopContainerDns(r.Id);
    }

    private void StopAllContainerDns()
    {
        List<string> ids;
        lock (_containerDns) ids = _containerDns.Keys.ToList();
        foreach (string id in ids) StopContainerDns(id);
    }
}
