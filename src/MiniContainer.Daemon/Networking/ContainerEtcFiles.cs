using MiniContainer.Containers;

namespace MiniContainer.Networking;

/// <summary>
/// /etc/hosts and /etc/resolv.conf of a container on a bridge network, as Docker writes them:
/// hosts: localhost lines, the container's own address with its hostname (and name), then --add-host entries;
/// resolv.conf: on a user-defined network the embedded DNS on the gateway; on the default bridge the host's
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
        var keep = File.Exists("/etc/resolv.conf")
            ? File.ReadAllLines("/etc/resolv.conf").Where(l => l.TrimStart() is var t && (t.StartsWith("search") || t.StartsWith("options")))
            : Enumerable.Empty<string>();
        return $"# the embedded DNS of this container's network: container names, aliases; other names forwarded\nnameserver {embeddedDns}\n" +
               string.Concat(keep.Select(l => l + "\n"));
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
