namespace MiniContainer.Runtime;

/// <summary>
/// Resolves Docker's --user value ("name", "uid", "uid:gid", "name:group", "") against the container's
/// own /etc/passwd and /etc/group, as the init stage must after pivot_root. Pure text logic: unit-tested.
/// </summary>
public static class UserLookup
{
    public sealed record Resolved(uint Uid, uint Gid, uint[] Groups, string Home);

    public static Resolved Resolve(string user, string? passwdText, string? groupText)
    {
        if (string.IsNullOrEmpty(user)) user = "0";
        string userPart = user, groupPart = "";
        int colon = user.IndexOf(':');
        if (colon >= 0) { userPart = user[..colon]; groupPart = user[(colon + 1)..]; }

        var passwd = ParseColonFile(passwdText);
        uint uid, gid;
        string home = "/";
        string? userName = null;
        string[]? entry = passwd.FirstOrDefault(e => e.Length >= 6 && (e[0] == userPart || e[2] == userPart));
        if (entry != null)
        {
            uid = uint.Parse(entry[2]);
            gid = uint.Parse(entry[3]);
            home = entry[5];
            userName = entry[0];
        }
        else if (uint.TryParse(userPart, out uid))
        {
            gid = 0;     // a uid with no passwd entry keeps group 0, as runc does
            if (uid == 0) home = "/root";
        }
        else
        {
            throw new ArgumentException($"unable to find user {userPart}: no matching entries in passwd file");
        }

        var groups = ParseColonFile(groupText);
        if (groupPart.Length > 0)
        {
            string[]? g = groups.FirstOrDefault(e => e.Length >= 3 && (e[0] == groupPart || e[2] == groupPart));
            if (g != null) gid = uint.Parse(g[2]);
            else if (!uint.TryParse(groupPart, out gid))
                throw new ArgumentException($"unable to find group {groupPart}: no matching entries in group file");
        }

        // Supplementary groups: every group that lists the user by name, plus the primary group —
        // unless a group was given explicitly, which then is the only one (runc's rule).
        var supplementary = new List<uint> { gid };
        if (userName != null && groupPart.Length == 0)
            foreach (var g in groups)
                if (g.Length >= 4 && g[3].Split(',').Contains(userName) && uint.TryParse(g[2], out uint sg) && !supplementary.Contains(sg))
                    supplementary.Add(sg);
        return new Resolved(uid, gid, supplementary.ToArray(), home);
    }

    /// <summary>--group-add: the resolved user's supplementary groups plus each given group (a name in the
    /// container's /etc/group, or a number, which need not be listed there), without repeats.</summary>
    public static Resolved AddGroups(Resolved user, IEnumerable<string>? extra, string? groupText)
    {
        if (extra is null) return user;
        var groups = ParseColonFile(groupText);
        var all = new List<uint>(user.Groups);
        foreach (string name in extra)
        {
            string[]? g = groups.FirstOrDefault(e => e.Length >= 3 && e[0] == name);
            uint gid = g != null && uint.TryParse(g[2], out uint listed) ? listed
                : uint.TryParse(name, out uint numeric) ? numeric
                : throw new ArgumentException($"unable to find group {name}: no matching entries in group file");
            if (!all.Contains(gid)) all.Add(gid);
        }
        return user with { Groups = all.ToArray() };
    }

    private static List<string[]> ParseColonFile(string? text) =>
        (text ?? "").Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(':'))
            .ToList();
}
