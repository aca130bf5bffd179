using System.Diagnostics;
using MiniContainer.Runtime;

namespace MiniContainer.Containers;

/// <summary>
/// minicontainerd --userns-remap, as dockerd reads it: "default" (the user and group dockremap, created when
/// missing), "USER", "USER:GROUP", "UID" or "UID:GID". Container ids 0, 1, 2… are the host ids of the user's
/// ranges in /etc/subuid (and the group's in /etc/subgid), one range after another.
/// </summary>
public sealed record UsernsRemap(string User, string Group, IReadOnlyList<IdMapping> Uids, IReadOnlyList<IdMapping> Gids)
{
    public const string DefaultName = "dockremap";

    /// <summary>The host uid and gid of root inside.</summary>
    public uint RootUid => Uids[0].HostId;
    public uint RootGid => Gids[0].HostId;

    public uint ToHostUid(uint id) => ToHost(Uids, id);
    public uint ToHostGid(uint id) => ToHost(Gids, id);
    public uint ToContainerUid(uint id) => ToContainer(Uids, id);
    public uint ToContainerGid(uint id) => ToContainer(Gids, id);

    /// <summary>An id the container cannot have stays as it is (the kernel refuses it later, as it should).</summary>
    private static uint ToHost(IReadOnlyList<IdMapping> map, uint id) =>
        map.FirstOrDefault(m => id >= m.ContainerId && id - m.ContainerId < m.Size) is { } m ? m.HostId + (id - m.ContainerId) : id;

    /// <summary>A host id outside the ranges shows as the overflow id 65534 ("nobody"), as the kernel shows it.</summary>
    private static uint ToContainer(IReadOnlyList<IdMapping> map, uint id) =>
        map.FirstOrDefault(m => id >= m.HostId && id - m.HostId < m.Size) is { } m ? m.ContainerId + (id - m.HostId) : 65534u;

    public override string ToString() => $"{User}:{Group} (uids {Describe(Uids)}, gids {Describe(Gids)})";
    private static string Describe(IReadOnlyList<IdMapping> map) => string.Join(", ", map.Select(m => $"{m.HostId}-{m.HostId + m.Size - 1}"));

    /// <summary>
    /// The remap for <paramref name="value"/>, from the texts of /etc/passwd, /etc/group, /etc/subuid and /etc/subgid
    /// (pure: unit-tested). A user or group that does not exist, or has no subordinate range, is an error that says so.
    /// </summary>
    public static UsernsRemap FromFiles(string value, string passwd, string group, string subuid, string subgid)
    {
        string[] parts = value.Split(':');
        if (parts.Length > 2 || parts.Any(p => p.Length == 0))
            throw new ArgumentException($"invalid --userns-remap value \"{value}\": use default, USER, USER:GROUP, UID or UID:GID");
        if (parts[0] == "default") parts = [DefaultName, DefaultName];

        var user = Lookup(passwd, parts[0])
            ?? throw new ArgumentException(uint.TryParse(parts[0], out _)
                ? $"--userns-remap: uid {parts[0]} has no entry in /etc/passwd"
                : $"--userns-remap: no user \"{parts[0]}\" in /etc/passwd");
        // Without a group: a uid's group is the gid of the same number, a name's the group of the same name (dockerd's rule).
        string groupKey = parts.Length == 2 ? parts[1] : parts[0];
        var grp = Lookup(group, groupKey)
            ?? throw new ArgumentException(uint.TryParse(groupKey, out _)
                ? $"--userns-remap: gid {groupKey} has no entry in /etc/group"
                : $"--userns-remap: no group \"{groupKey}\" in /etc/group");

        var uids = SubordinateIds.Ranges(subuid, user.Name, user.Id);
        if (uids.Count == 0)
            throw new ArgumentException($"--userns-remap: no subordinate uid range for user \"{user.Name}\" in /etc/subuid; add one, e.g. 'usermod --add-subuids 200000-265535 {user.Name}'");
        var gids = SubordinateIds.Ranges(subgid, grp.Name, grp.Id);
        if (gids.Count == 0)
            throw new ArgumentException($"--userns-remap: no subordinate gid range for group \"{grp.Name}\" in /etc/subgid; add one, e.g. 'usermod --add-subgids 200000-265535 {grp.Name}'");
        return new UsernsRemap(user.Name, grp.Name, SubordinateIds.ToMappings(uids), SubordinateIds.ToMappings(gids));
    }

    /// <summary>A name or number looked up in a passwd or group file: (name, id), or null.</summary>
    internal static (string Name, uint Id)? Lookup(string file, string nameOrId)
    {
        foreach (string line in file.Split('\n'))
        {
            string[] f = line.Trim().Split(':');
            if (f.Length < 3 || line.TrimStart().StartsWith('#') || !uint.TryParse(f[2], out uint id)) continue;
            if (f[0] == nameOrId || f[2] == nameOrId) return (f[0], id);
        }
        return null;
    }

    /// <summary>
    /// Reads the host's files. For "default", creates the system user and group dockremap when missing
    /// (useradd --system, as dockerd does) and gives it a 65536-id range in /etc/subuid and /etc/subgid when it has
    /// none: the first free one from 100000 (system users get no range from useradd).
    /// </summary>
    public static UsernsRemap Resolve(string value)
    {
        if (value == "default" && Lookup(Read("/etc/passwd"), DefaultName) is null)
        {
            Log.Info($"userns-remap: creating the system user and group {DefaultName}");
            Run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/bin/false", DefaultName);
        }
        if (value == "default")
        {
            if (SubordinateIds.Ranges(Read("/etc/subuid"), DefaultName, null).Count == 0)
            {
                uint start = SubordinateIds.NextFreeStart(Read("/etc/subuid"));
                Run("usermod", "--add-subuids", $"{start}-{start + SubordinateIds.DefaultLength - 1}", DefaultName);
            }
            if (SubordinateIds.Ranges(Read("/etc/subgid"), DefaultName, null).Count == 0)
            {
                uint start = SubordinateIds.NextFreeStart(Read("/etc/subgid"));
                Run("usermod", "--add-subgids", $"{start}-{start + SubordinateIds.DefaultLength - 1}", DefaultName);
            }
        }
        return FromFiles(value, Read("/etc/passwd"), Read("/etc/group"), Read("/etc/subuid"), Read("/etc/subgid"));
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    private static void Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ArgumentException($"--userns-remap default: cannot run {program} ({e.Message}); create the user {DefaultName} and its /etc/subuid and /etc/subgid ranges yourself");
        }
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new ArgumentException($"--userns-remap default: {program} {string.Join(' ', args)} failed (exit {p.ExitCode}): {output.Trim()}");
    }
}

/// <summary>/etc/subuid and /etc/subgid: lines "NAME_OR_ID:START:COUNT", the id ranges a user may map.</summary>
public static class SubordinateIds
{
    public const uint DefaultStart = 100000, DefaultLength = 65536;

    public readonly record struct Range(uint Start, uint Count);

    /// <summary>The ranges of the user or group called <paramref name="name"/> (or, as shadow's tools allow, its
    /// number <paramref name="id"/>), in file order.</summary>
    public static List<Range> Ranges(string text, string name, uint? id)
    {
        var ranges = new List<Range>();
        foreach (var (owner, range) in Parse(text))
            if (owner == name || (id is { } n && owner == n.ToString())) ranges.Add(range);
        return ranges;
    }

    /// <summary>Container ids 0.. laid over the ranges one after another.</summary>
    public static List<IdMapping> ToMappings(IEnumerable<Range> ranges)
    {
        var map = new List<IdMapping>();
        uint next = 0;
        foreach (var r in ranges)
        {
            map.Add(new IdMapping { ContainerId = next, HostId = r.Start, Size = r.Count });
            next += r.Count;
        }
        return map;
    }

    /// <summary>The first start at or above 100000 where 65536 ids overlap no range in the file (dockerd's choice
    /// for a user it creates).</summary>
    public static uint NextFreeStart(string text)
    {
        ulong start = DefaultStart;
        foreach (var (_, r) in Parse(text).OrderBy(e => e.Range.Start))
            if (start < (ulong)r.Start + r.Count && r.Start < start + DefaultLength) start = (ulong)r.Start + r.Count;
        if (start + DefaultLength > uint.MaxValue) throw new ArgumentException("no free range of 65536 subordinate ids left");
        return (uint)start;
    }

    private static IEnumerable<(string Owner, Range Range)> Parse(string text)
    {
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string[] f = line.Split(':');
            if (f.Length != 3 || !uint.TryParse(f[1], out uint start) || !uint.TryParse(f[2], out uint count) || count == 0) continue;
            yield return (f[0], new Range(start, count));
        }
    }
}
