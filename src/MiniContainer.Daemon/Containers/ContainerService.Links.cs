using MiniContainer.Api;

namespace MiniContainer.Containers;

/// <summary>
/// Docker's legacy links, for containers on the default bridge (on a user-defined network a link is a DNS alias: see
/// NetworkDnsRecords). Linking web to db as "database" gives web, at start:
///   • /etc/hosts: "DB-IP  database DB-HOSTNAME db" (the alias, the linked container's hostname and name);
///   • environment: DATABASE_NAME=/web/database; for each port db exposes, DATABASE_PORT_5432_TCP=tcp://IP:5432 and its
///     _ADDR, _PORT and _PROTO parts, with DATABASE_PORT for the lowest; DATABASE_ENV_X=v for each of db's own
///     variables but HOME and PATH;
/// and db gets the name "/web/database" (in its Names), which DELETE /containers/web/database?link=1 removes.
/// The linked container must be running when web starts, as dockerd requires.
/// </summary>
public sealed partial class ContainerService
{
    private static bool OnDefaultBridge(ContainerRecord r) => r.HostConfig.NetworkMode is "default" or "bridge";

    /// <summary>The legacy links of a container on the default bridge, each with its running target. At start
    /// (<paramref name="strict"/>) a missing or stopped target is dockerd's error; later (rewriting /etc/hosts) it is left out.</summary>
    private List<(ContainerLink Link, ContainerRecord Target)> LegacyLinks(ContainerRecord r, bool strict = true)
    {
        if (!OnDefaultBridge(r)) return new();
        var links = new List<(ContainerLink, ContainerRecord)>();
        foreach (var link in ContainerLink.Of(r.HostConfig))
        {
            var target = Find(link.Name);
            if (!strict && (target is not { Record.State.Running: true } || !OnDefaultBridge(target.Record))) continue;
            if (target is null) throw new ApiException(500, $"could not get container for {link.Name}: No such container: {link.Name}");
            if (!target.Record.State.Running)
                throw new ApiException(500, $"Cannot link to a non running container: {target.Record.Name} AS {link.NameUnder(r.Name)}");
            if (!OnDefaultBridge(target.Record))
                throw new ApiException(500, $"Cannot link to {target.Record.Name}, as it does not belong to the default network");
            links.Add((link, target.Record));
        }
        return links;
    }

    private static string BridgeAddress(ContainerRecord r) =>
        r.NetworkSettings.Networks.TryGetValue("bridge", out var e) && e.IPAddress is { Length: > 0 } ip ? ip : r.NetworkSettings.IPAddress;

    /// <summary>The environment variables legacy links give a container (before its own, which win on a clash).</summary>
    private List<string> LinkEnvironment(ContainerRecord r)
    {
        var env = new List<string>();
        foreach (var (link, target) in LegacyLinks(r))
        {
            string prefix = link.Alias.ToUpperInvariant().Replace('-', '_');
            string ip = BridgeAddress(target);
            var ports = (target.Config.ExposedPorts?.Keys ?? Enumerable.Empty<string>())
                .Select(p => p.Split('/', 2)).Select(p => (Port: int.TryParse(p[0], out int n) ? n : 0, Proto: p.Length > 1 ? p[1] : "tcp"))
                .Where(p => p.Port > 0).OrderBy(p => p.Port).ThenBy(p => p.Proto, StringComparer.Ordinal).ToList();
            if (ports.Count > 0) env.Add($"{prefix}_PORT={ports[0].Proto}://{ip}:{ports[0].Port}");
            foreach (var (port, proto) in ports)
            {
                string key = $"{prefix}_PORT_{port}_{proto.ToUpperInvariant()}";
                env.AddRange([$"{key}={proto}://{ip}:{port}", $"{key}_ADDR={ip}", $"{key}_PORT={port}", $"{key}_PROTO={proto}"]);
            }
            env.Add($"{prefix}_NAME={link.NameUnder(r.Name)}");
            foreach (string kv in target.Config.Env)
                if (kv.Split('=', 2) is [var k, var v] && k is not ("HOME" or "PATH"))
                    env.Add($"{prefix}_ENV_{k}={v}");
        }
        return env;
    }

    /// <summary>The /etc/hosts lines legacy links give a container: "IP alias hostname [name]".</summary>
    public List<string> LinkHostLines(ContainerRecord r) =>
        LegacyLinks(r, strict: false).Select(x => $"{BridgeAddress(x.Target)}\t{x.Link.Alias} {x.Target.Config.Hostname}" +
                                   (x.Link.Alias == x.Target.PlainName ? "" : $" {x.Target.PlainName}")).ToList();

    /// <summary>The names legacy links give a container ("/web/database"), for its row in `docker ps`.</summary>
    public IEnumerable<string> LinkNamesOf(ContainerRecord target) =>
        All.Where(c => OnDefaultBridge(c.Record)).SelectMany(c => ContainerLink.Of(c.Record.HostConfig)
            .Where(l => Find(l.Name)?.Record.Id == target.Id).Select(l => l.NameUnder(c.Record.Name)));

    /// <summary>DELETE /containers/LINKER/ALIAS?link=1: the link goes (from LINKER's HostConfig.Links); both containers stay.</summary>
    public void RemoveLink(string linkName)
    {
        string full = "/" + linkName.TrimStart('/');
        int slash = full.LastIndexOf('/');
        if (slash == 0) throw new ConflictException("Conflict, cannot remove the default link name of the container");
        string linkerName = full[..slash], alias = full[(slash + 1)..];
        var linker = Find(linkerName) ?? throw new NotFoundException($"No such container: {linkName.TrimStart('/')}");
        var links = ContainerLink.Of(linker.Record.HostConfig);
        if (!links.Any(l => l.Alias == alias)) throw new NotFoundException($"No such container: {linkName.TrimStart('/')}");
        var kept = links.Where(l => l.Alias != alias).Select(l => l.ToString()).ToList();
        linker.Record.HostConfig.Links = kept.Count > 0 ? kept : null;
        linker.Save();
        Log.Info($"link {full} removed");
    }
}
