using MiniContainer.Cgroups;

namespace MiniContainer.Inspection;

/// <summary>
/// The cgroup files worth showing, per version and controller: the limits the shim wrote at start (what `-m`,
/// `--cpus`, `--pids-limit`… became) and the usage the kernel keeps beside them. Files the kernel lacks (no swap
/// accounting, an older kernel) are left out by the reader, never invented.
/// </summary>
public static class CgroupFiles
{
    public sealed record Entry(string Controller, string File, string Role, string Meaning);

    public static readonly IReadOnlyList<Entry> V1 =
    [
        new("memory", "memory.limit_in_bytes", "limit", "most memory (RAM + page cache) the group may use; past it the OOM killer picks a process (-m)"),
        new("memory", "memory.memsw.limit_in_bytes", "limit", "most memory plus swap (--memory-swap)"),
        new("memory", "memory.soft_limit_in_bytes", "limit", "memory the group is pushed back to under host pressure (--memory-reservation)"),
        new("memory", "memory.usage_in_bytes", "usage", "memory used now"),
        new("memory", "memory.max_usage_in_bytes", "usage", "the most memory used so far"),
        new("memory", "memory.failcnt", "usage", "how often the limit was hit"),
        new("cpu", "cpu.cfs_quota_us", "limit", "µs of CPU time the group may use per period, -1 for no limit (--cpus, --cpu-quota)"),
        new("cpu", "cpu.cfs_period_us", "limit", "the period the quota is measured over, in µs (--cpu-period)"),
        new("cpu", "cpu.shares", "limit", "relative CPU weight when CPUs are contended (--cpu-shares; 1024 is the default)"),
        new("cpuacct", "cpuacct.usage", "usage", "CPU time used so far, in ns"),
        new("cpuset", "cpuset.cpus", "limit", "CPUs the group may run on (--cpuset-cpus)"),
        new("cpuset", "cpuset.mems", "limit", "memory nodes the group may allocate from (--cpuset-mems)"),
        new("pids", "pids.max", "limit", "most tasks (processes and threads) at once; fork fails with EAGAIN past it (--pids-limit)"),
        new("pids", "pids.current", "usage", "tasks now"),
    ];

    public static readonly IReadOnlyList<Entry> V2 =
    [
        new("memory", "memory.max", "limit", "most memory the group may use; past it the OOM killer picks a process (-m)"),
        new("memory", "memory.swap.max", "limit", "most swap the group may use (--memory-swap minus -m)"),
        new("memory", "memory.low", "limit", "memory protected from reclaim under host pressure (--memory-reservation)"),
        new("memory", "memory.current", "usage", "memory used now"),
        new("memory", "memory.swap.current", "usage", "swap used now"),
        new("memory", "memory.peak", "usage", "the most memory used so far"),
        new("cpu", "cpu.max", "limit", "\"QUOTA PERIOD\" in µs: CPU time allowed per period, max for no limit (--cpus, --cpu-quota)"),
        new("cpu", "cpu.weight", "limit", "relative CPU weight when CPUs are contended (--cpu-shares, mapped to 1..10000; 100 is the default)"),
        new("cpu", "cpu.stat", "usage", "CPU time used so far, in µs"),
        new("cpuset", "cpuset.cpus", "limit", "CPUs the group may run on (--cpuset-cpus; empty: its parent's)"),
        new("cpuset", "cpuset.mems", "limit", "memory nodes the group may allocate from (--cpuset-mems; empty: its parent's)"),
        new("pids", "pids.max", "limit", "most tasks (processes and threads) at once; fork fails with EAGAIN past it (--pids-limit)"),
        new("pids", "pids.current", "usage", "tasks now"),
    ];

    /// <summary>
    /// The hierarchies of /proc/PID/cgroup text with their host directories, and the files of <see cref="V1"/> or
    /// <see cref="V2"/> that exist there with their values. Pure apart from reading the files, so unit tests run it
    /// against a fake cgroupfs.
    /// </summary>
    public static CgroupView Read(string procCgroupText, CgroupFs fs)
    {
        var hierarchies = new List<CgroupHierarchyView>();
        var files = new List<CgroupFileView>();
        var lines = ProcDecoders.CgroupLines(procCgroupText);
        foreach (var (_, controllers, path) in lines)
        {
            string? mount = controllers.Length == 0
                ? fs.UnifiedMount
                : controllers.Split(',').Select(fs.MountOf).FirstOrDefault(m => m != null);
            hierarchies.Add(new CgroupHierarchyView(controllers, path, mount is null ? null : Join(mount, path)));
        }

        string? DirectoryOf(string controller)
        {
            if (fs.Version == CgroupVersion.V2)
                return lines.Where(l => l.Controllers.Length == 0).Select(l => Join(fs.UnifiedMount!, l.Path)).FirstOrDefault();
            var line = lines.FirstOrDefault(l => l.Controllers.Split(',').Contains(controller));
            return line.Controllers is null || fs.MountOf(controller) is not { } m ? null : Join(m, line.Path);
        }

        foreach (var entry in fs.Version == CgroupVersion.V2 ? V2 : V1)
        {
            if (DirectoryOf(entry.Controller) is not { } dir) continue;
            string file = Path.Combine(dir, entry.File);
            string value;
            try { value = FileValue(File.ReadAllText(file)); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { continue; }
            files.Add(new CgroupFileView(entry.Controller, entry.File, file, value, entry.Role, entry.Meaning));
        }
        return new CgroupView(fs.Version == CgroupVersion.V2 ? "v2" : "v1", hierarchies, files);
    }

    /// <summary>A file's content on one line: trimmed, several lines (cpu.stat) joined with "; ".</summary>
    public static string FileValue(string content) =>
        string.Join("; ", content.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Join(string mount, string path) => path == "/" ? mount : mount.TrimEnd('/') + path;
}
