using System.Net;
using MiniContainer.Networking.Firewall;

namespace MiniContainer.Networking;

/// <summary>
/// Keeping the kernel's view in step with the networks: after any change (network created or removed, container
/// started, stopped, connected, disconnected) the project's nftables table is rendered again from the whole state
/// and replaced in one transaction — never patched rule by rule, so it cannot drift or hold duplicates.
/// </summary>
public sealed partial class NetworkService
{
    private readonly object _applyLock = new();
    private NftFirewall? _firewall;
    private string? _appliedRules;   // the table's text as last applied by this daemon

    private NftFirewall Firewall => _firewall ??= new NftFirewall(Options.NftTable);

    /// <summary>The firewall's view of the state: every network's bridge and subnet, every published port.</summary>
    private (List<FirewallNetwork> Networks, List<PortMapping> Ports) FirewallState()
    {
        lock (Store.Lock)
        {
            var networks = Store.All.Select(n => new FirewallNetwork(n.Bridge, IPNetwork.Parse(n.Subnet), n.Internal, BridgeDriverOptions.Masquerades(n.Options))).ToList();
            return (networks, PublishedMappings());
        }
    }

    private void OnNetworksChanged()
    {
        lock (_applyLock)
        {
            var (networks, ports) = FirewallState();
            // Most starts and stops change no rule (no published port, no new network): running nft then would only
            // cost a process start (~30 ms of every `run`). The table is replaced whenever its text would differ.
            string rules = NftFirewall.Render(Options.NftTable, networks, ports);
            if (rules != _appliedRules)
            {
                long t = Explaining.Explain.Begin();
                try { Firewall.Apply(networks, ports); }
                catch (InvalidOperationException e) { _appliedRules = null; Log.Warn(e.Message); throw new Api.ApiException(500, e.Message); }
                if (t != 0) Explaining.Explain.Record(t, Explaining.ExplainNetwork.NftReplace(Options.NftTable, _appliedRules, rules));
                _appliedRules = rules;
            }
            SyncDnsServers();
        }
    }

    /// <summary>Daemon shutdown with no networks left, or cleanup: drops the table.</summary>
    public void RemoveFirewall() { Firewall.Remove(); _appliedRules = null; }
}
