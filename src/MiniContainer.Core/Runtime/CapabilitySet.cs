namespace MiniContainer.Runtime;

/// <summary>Capability names (as Docker's --cap-add/--cap-drop take them) and the set a container keeps.</summary>
public static class CapabilitySet
{
    /// <summary>Capability numbers from linux/capability.h, by the names Docker's flags use.</summary>
    public static readonly string[] Names =
    {
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    };

    /// <summary>Docker's default set.</summary>
    public static readonly string[] DockerDefaults =
    {
        "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE",
        "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP",
    };

    /// <summary>The set a container keeps, by Docker's rules: Docker's defaults (or nothing, with --cap-drop ALL,
    /// or everything, with --cap-add ALL), plus --cap-add, minus --cap-drop unless it was ALL.</summary>
    public static HashSet<int> Effective(IEnumerable<string>? add, IEnumerable<string>? drop)
    {
        var adds = (add ?? Array.Empty<string>()).Select(Normalize).ToList();
        var drops = (drop ?? Array.Empty<string>()).Select(Normalize).ToList();
        var kept = drops.Contains("ALL") ? new HashSet<int>() : DockerDefaults.Select(Number).ToHashSet();
        if (adds.Contains("ALL")) kept.UnionWith(Enumerable.Range(0, Names.Length));
        kept.UnionWith(adds.Where(a => a != "ALL").Select(Number));
        if (!drops.Contains("ALL")) kept.ExceptWith(drops.Select(Number));
        return kept;
    }

    public static int Number(string name)
    {
        int i = Array.IndexOf(Names, Normalize(name));
        return i >= 0 ? i : throw new ArgumentException($"invalid capability: \"{name}\"");
    }

    private static string Normalize(string name)
    {
        string n = name.Trim().ToUpperInvariant();
        return n.StartsWith("CAP_", StringComparison.Ordinal) ? n[4..] : n;
    }

}
