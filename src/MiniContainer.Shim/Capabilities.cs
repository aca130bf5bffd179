namespace MiniContainer.Shim;

using Kernel = MiniContainer.Kernel.Kernel;

/// <summary>
/// Root in a container is not root on the host: like Docker, we keep only a short list of capabilities
/// in the bounding set, so no program run inside can ever gain the others (mount, modules, raw I/O…).
/// </summary>
public static class Capabilities
{
    // Docker's default set.
    private static readonly int[] Kept =
    {
        0 /* CHOWN */, 1 /* DAC_OVERRIDE */, 3 /* FOWNER */, 4 /* FSETID */, 5 /* KILL */, 6 /* SETGID */,
        7 /* SETUID */, 8 /* SETPCAP */, 10 /* NET_BIND_SERVICE */, 13 /* NET_RAW */, 18 /* SYS_CHROOT */,
        27 /* MKNOD */, 29 /* AUDIT_WRITE */, 31 /* SETFCAP */,
    };

    public static void DropToDockerDefaults()
    {
        int last = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim());
        for (int cap = 0; cap <= last; cap++)
            if (Array.IndexOf(Kept, cap) < 0)
                Kernel.Prctl(Kernel.PR_CAPBSET_DROP, (ulong)cap, $"PR_CAPBSET_DROP {cap}");
    }
}
