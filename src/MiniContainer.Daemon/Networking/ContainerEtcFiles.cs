using MiniContainer.Containers;

namespace MiniContainer.Networking;

/// <summary>
/// /etc/hosts and /etc/resolv.conf of a container on a bridge network, as Docker writes them:
/// hosts: localhost lines, the container's own address with its hostname (and name), then --add-host entries;
/// resolv.conf: on a user-defined network the embedded DNS at 127.0.0.11 with the host's search domains and options,
/// and ndots:0 (Docker's: names are tried as given first, so a container name is never suffixed); on the default bridge the host's
/// resolvers (loopback ones dropped — they mean nothing inside the container); --dns replaces either.
/// The files are bind-mounted into the container, so they are rewritten IN PLACE (same inode) — an atomic
/// rename would leave the container looking at the old file.
/// </summary>
public static class ContainerEtcFiles
{
    /// <param name="linkLines">legacy links' lines ("IP alias hostname name"), after the container's own.</param>
    public static string Hosts(ContainerRecord r, string? ownAddress, IEnumerable<string>? linkLines = null)
    {
        string fixedLines = EtcFiles.Hosts("bridge");
        string extraLines = EtcFiles.Hosts("bridge", r.HostConfig.ExtraHosts)[fixedLines.Length..];
        if (ownAddress is null) return fixedLines + extraLines;
        string names = r.Config.Hostname == r.PlainName ? r.Config.Hostname : $"{r.Config.Hostname} {r.PlainName}";
        return fixedLines + $"{ownAddress}\t{names}\n" + string.Concat((linkLines ?? []).Select(l => l + "\n")) + extraLines;
    }

    public static string ResolvConf(ContainerRecord r, string? embeddedDns)
    {
        if (r.HostConfig.Dns is { Count: > 0 } || embeddedDns is null) return EtcFiles.ResolvConf(r.HostConfig.Dns);
        var host = File.Exists("/etc/resolv.conf") ? File.ReadAllLines("/etc/resolv.conf") : [];
        return EmbeddedResolvConf(host, embeddedDns);
    }

    /// <summary>resolv.conf for the embedded DNS (pure): the host's search lines, its options but ndots, then ndots:0.</summary>
    public static string EmbeddedResolvConf(IEnumerable<string> hostLines, string embeddedDns)
    {
        var lines = hostLines.Select(l => l.Trim()).ToList();
        var search = lines.Where(l => l.StartsWith("search ", StringComparison.Ordinal) || l.StartsWith("domain ", StringComparison.Ordinal));
        var options = lines.Where(l => l.StartsWith("options ", StringComparison.Ordinal))
            .SelectMany(l => l["options ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(o => !o.StartsWith("ndots:", StringComparison.Ordinal)).Append("ndots:0");
        return "# the embedded DNS: container names, aliases and links of this container's networks; other names forwarded\n" +
               $"nameserver {embeddedDns}\n" + string.Concat(search.Select(l => l + "\n")) + $"options {string.Join(' ', options.Distinct())}\n";
    }

    public static void WriteInPlace(string path, string content)
    {
        if (string.IsNullOrEmpty(path)) return;
        using var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        fs.SetLength(0);
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        fs.Write(bytes);
    }
}
