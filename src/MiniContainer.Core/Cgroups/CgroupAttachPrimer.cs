using MiniContainer.Linux;

namespace MiniContainer.Cgroups;

/// <summary>
/// Starts, ahead of time, the wait that moving a process into a cgroup costs, and keeps it paid until the move.
///
/// A write to cgroup.procs takes the kernel's cgroup_threadgroup_rwsem for writing. Its first writer waits for an RCU
/// grace period (5–15 ms measured here, on cgroup v1 and v2 alike, unless the host mounts its cgroups with
/// favordynmods); the lock then stays in its writer-ready state until one more grace period has passed after the last
/// writer left, and a writer that comes in that window does not wait at all. The shim moves each new container's
/// (and exec's) process into its cgroup a few milliseconds after the daemon spawns it, so the daemon pays the wait
/// ahead: it writes its own PID to the cgroup.procs of the cgroup it is already in. Moving a process to where it is
/// changes nothing, but the lock is taken.
///
/// One such write at the start was not enough: by the time the shim wrote, the window had often closed again, and
/// strace caught an exec's shim waiting 1.5–7 ms. So a <see cref="Lease"/> keeps the window open — a no-op write
/// every <see cref="Interval"/> (each ~20–100 µs once the window is open) — from the create until the daemon's start
/// has seen the process in its cgroup. While a lease is held, the host's forks and exits take the lock's slower
/// shared path, as they always do on a host mounted with favordynmods.
///
/// On cgroup v2 nothing is moved: the shim has a container's PID 1, and an exec's process, born in the cgroup (clone3
/// with CLONE_INTO_CGROUP). So this is for v1, and for an exec into a container with its own user namespace on v2,
/// where the kernel refuses that birth to the shim's child (the namespace's root may not write the host's cgroup).
/// On v1 a container started by a warm shim is not moved either (its init stage waits in a spare cgroup that is
/// renamed to the container's): the daemon takes no lease for it. Its first write would wait for the grace period
/// holding the kernel's cgroup_mutex, and so hold up that rename.
/// </summary>
public static class CgroupAttachPrimer
{
    /// <summary>Shorter than a grace period (one or more scheduler ticks: 4 ms at the usual HZ=250).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(2);

    /// <summary>A lease nobody ends (a container created and never started) ends itself after this.</summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(1);

    private static readonly Lazy<string?> s_ownProcsFile = new(() => OwnProcsFile(CgroupFs.Host, File.ReadAllText("/proc/self/cgroup")));
    private static readonly object s_gate = new();
    private static readonly List<Lease> s_leases = new();
    private static bool s_writing;

    /// <summary>Until disposed (or <see cref="MaxHold"/>), the move of a process into a cgroup waits no grace period.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly long _expires = Environment.TickCount64 + (long)MaxHold.TotalMilliseconds;
        private volatile bool _ended;
        /// <summary>Ended by its holder, or by itself after <see cref="MaxHold"/>; <paramref name="now"/> is Environment.TickCount64.</summary>
        public bool IsOver(long now) => _ended || now >= _expires;
        public void Dispose() => _ended = true;
    }

    /// <summary>
    /// A lease when the process about to start will be moved into its cgroup: always on cgroup v1; on v2 only when
    /// <paramref name="birthRefused"/> (an exec into a container with its own user namespace, whose root may not create
    /// a process in the host's cgroup). Otherwise the process is born there (clone3 with CLONE_INTO_CGROUP), and a
    /// primer's write waiting for the grace period would only hold the cgroup lock against it: null.
    /// </summary>
    public static Lease? WarmForMove(bool birthRefused = false) => s_hostMoves.Value || birthRefused ? Warm() : null;

    private static readonly Lazy<bool> s_hostMoves = new(() =>
    {
        try { return CgroupFs.Host.Version == CgroupVersion.V1; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CgroupException) { return true; }
    });

    /// <summary>Takes a lease, and starts the writer thread if none runs (its first write blocks for the grace period).</summary>
    public static Lease Warm()
    {
        var lease = new Lease();
        string? file;
        try { file = s_ownProcsFile.Value; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CgroupException) { return lease; }
        if (file is null) return lease;
        lock (s_gate)
        {
            s_leases.Add(lease);
            if (s_writing) return lease;
            s_writing = true;
        }
        new Thread(() => KeepWarm(file)) { IsBackground = true, Name = "cgroup primer" }.Start();
        return lease;
    }

    private static void KeepWarm(string procsFile)
    {
        byte[] pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        while (true)
        {
            try
            {
                int fd = Kernel.Open(procsFile, Kernel.O_WRONLY | Kernel.O_CLOEXEC);
                try { Kernel.WriteAll(fd, pid); } finally { Kernel.Close(fd); }
            }
            catch (KernelException) { }   // only a head start is lost
            Thread.Sleep(Interval);
            lock (s_gate)
            {
                long now = Environment.TickCount64;
                s_leases.RemoveAll(l => l.IsOver(now));
                if (s_leases.Count == 0) { s_writing = false; return; }
            }
        }
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
