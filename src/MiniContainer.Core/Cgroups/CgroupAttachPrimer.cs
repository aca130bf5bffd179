namespace MiniContainer.Cgroups;

/// <summary>
/// Starts, ahead of time, the wait that moving a process into a cgroup costs.
///
/// A write to cgroup.procs takes the kernel's cgroup_threadgroup_rwsem for writing, and the first writer waits for an
/// RCU grace period before it gets it: 10–15 ms measured here, on cgroup v1 and v2 alike (unless the host mounts its
/// cgroups with favordynmods). Writers that come while that grace period runs, or soon after it, share it. The shim
/// moves each new container's (and exec's) process into its cgroup a few milliseconds after the daemon spawns it, so
/// the daemon starts the grace period at the spawn: it writes its own PID to the cgroup.procs of the cgroup it is
/// already in. Moving a process to where it is changes nothing, but the lock is taken, and the wait runs while the
/// shim starts up instead of after it. Measured on this host: the shim's move of the process went from ~14 ms to ~2 ms.
/// </summary>
public static class CgroupAttachPrimer
{
    private static readonly Lazy<string?> s_ownProcsFile = new(() => OwnProcsFile(CgroupFs.Host, File.ReadAllText("/proc/self/cgroup")));
    private static int s_inFlight;

    /// <summary>Starts the no-op move on a thread of its own (it blocks for the grace period); one in flight is enough.</summary>
    public static void Prime()
    {
        string? file;
        try { file = s_ownProcsFile.Value; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CgroupException) { return; }
        if (file is null || Interlocked.Exchange(ref s_inFlight, 1) == 1) return;
        new Thread(() =>
        {
            try { File.WriteAllText(file, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // only a head start is lost
            finally { Volatile.Write(ref s_inFlight, 0); }
        }) { IsBackground = true, Name = "cgroup primer" }.Start();
    }

    /// <summary>The cgroup.procs of the cgroup this process is in: on v1, in the pids hierarchy (moving there has no
    /// side effect, unlike cpuset); on v2, in the unified one. Null when there is none. Pure, for tests.</summary>
    public static string? OwnProcsFile(CgroupFs fs, string procSelfCgroup)
    {
        foreach (string line in procSelfCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(':', 3);
            if (f.Length != 3) continue;
            string? mount = fs.Version == CgroupVersion.V2
                ? (f[0] == "0" && f[1] == "" ? fs.UnifiedMount : null)
                : (f[1].Split(',').Contains("pids") ? fs.MountOf("pids") : null);
            if (mount is not null) return Path.Combine(mount, f[2].TrimStart('/'), "cgroup.procs");
        }
        return null;
    }
}
