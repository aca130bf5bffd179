using System.Globalization;
using MiniContainer.Cgroups;
using MiniContainer.Runtime;

namespace MiniContainer.Inspection;

/// <summary>
/// Pure decoders for what /proc shows about a process. Each takes the file's text, so unit tests feed them
/// recorded lines; <see cref="KernelReader"/> feeds them the live files.
/// </summary>
public static class ProcDecoders
{
    /// <summary>
    /// A capability mask as /proc/PID/status prints it (CapEff: 00000000a80425fb, 64 bits in hex) → the names of the
    /// set bits, lowest first, as Docker's --cap-add spells them (bit 0 CHOWN … bit 21 SYS_ADMIN …; linux/capability.h).
    /// A bit this table does not know (a newer kernel's) is kept as CAP_N, never dropped.
    /// </summary>
    public static List<string> CapabilityNames(string hexMask)
    {
        ulong mask = ulong.Parse(hexMask.Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var names = new List<string>();
        for (int bit = 0; bit < 64; bit++)
            if ((mask & (1UL << bit)) != 0)
                names.Add(bit < CapabilitySet.Names.Length ? CapabilitySet.Names[bit] : $"CAP_{bit}");
        return names;
    }

    /// <summary>/proc/PID/status as "Key:\tvalue" pairs (the value trimmed).</summary>
    public static Dictionary<string, string> StatusFields(string statusText)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in statusText.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) fields[line[..colon]] = line[(colon + 1)..].Trim();
        }
        return fields;
    }

    /// <summary>The Seccomp field of /proc/PID/status: 0 disabled, 1 strict (read/write/exit only), 2 filter (a BPF program decides).</summary>
    public static string SeccompMode(string value) => value.Trim() switch
    {
        "0" => "disabled",
        "1" => "strict",
        "2" => "filter",
        var other => $"unknown ({other})",
    };

    /// <summary>The last NSpid number: the process's pid in the innermost PID namespace it is in.</summary>
    public static int InnermostPid(string nsPidField) =>
        int.Parse(nsPidField.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[^1], CultureInfo.InvariantCulture);

    /// <summary>/proc/PID/uid_map or gid_map: lines of "inside outside count".</summary>
    public static List<IdMapRange> IdMap(string text)
    {
        var ranges = new List<IdMapRange>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3)
                ranges.Add(new IdMapRange(long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture),
                    long.Parse(f[2], CultureInfo.InvariantCulture)));
        }
        return ranges;
    }

    /// <summary>The target of /proc/PID/ns/TYPE ("net:[4026531840]") → its inode number.</summary>
    public static ulong NamespaceInode(string linkTarget)
    {
        int open = linkTarget.IndexOf('['), close = linkTarget.IndexOf(']');
        if (open < 0 || close < open) throw new FormatException($"not a namespace link: {linkTarget}");
        return ulong.Parse(linkTarget[(open + 1)..close], CultureInfo.InvariantCulture);
    }

    /// <summary>/proc/PID/cgroup: "ID:controllers:path" per hierarchy; v2's unified hierarchy is "0::path".</summary>
    public static List<(int Id, string Controllers, string Path)> CgroupLines(string text)
    {
        var lines = new List<(int, string, string)>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(':', 3);
            if (f.Length == 3 && int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int id)) lines.Add((id, f[1], f[2]));
        }
        return lines;
    }

    /// <summary>/proc/PID/mountinfo → the mount table as the process sees it (parsed by the one mountinfo parser, <see cref="MountInfo"/>).</summary>
    public static List<MountView> Mounts(string mountInfoText) =>
        MountInfo.Parse(mountInfoText)
            .Select(e => new MountView(e.MountPoint, e.FsType, e.Source, e.Root, e.MountOptions.ToList(), e.SuperOptions.ToList()))
            .ToList();
}
