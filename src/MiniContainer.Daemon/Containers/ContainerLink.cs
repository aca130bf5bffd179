using MiniContainer.Api;

namespace MiniContainer.Containers;

/// <summary>
/// One --link NAME[:ALIAS], as HostConfig.Links keeps it ("NAME:ALIAS"). Clients send it as "db", "db:database" or in
/// the form inspect shows, "/db:/web/database"; all three parse to the same link. On a user-defined network a link is
/// a DNS alias only the linking container resolves (NetworkDnsRecords); on the default bridge it is Docker's legacy
/// link (LegacyLinks): /etc/hosts lines and environment variables describing the linked container.
/// </summary>
public sealed record ContainerLink(string Name, string Alias)
{
    public static ContainerLink Parse(string link)
    {
        var parts = link.Split(':', 2);
        string name = parts[0].TrimStart('/');
        string alias = parts.Length > 1 ? parts[1][(parts[1].LastIndexOf('/') + 1)..] : name;
        if (name.Length == 0 || alias.Length == 0) throw new BadRequestException($"invalid argument \"{link}\" for \"--link\" flag: bad format");
        return new ContainerLink(name, alias);
    }

    public static List<ContainerLink> Of(HostConfig h) => (h.Links ?? new()).Select(Parse).ToList();

    /// <summary>The name the link gives the linked container: "/linker/alias" (listed in its Names, removable with
    /// DELETE /containers/linker/alias?link=1).</summary>
    public string NameUnder(string linkerName) => $"/{linkerName.TrimStart('/')}/{Alias}";

    public override string ToString() => $"{Name}:{Alias}";
}
