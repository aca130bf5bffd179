namespace MiniContainer.UnitTests.Cgroups;

/// <summary>
/// A temp directory laid out like cgroupfs, with the control files the kernel would show and their default
/// contents. Tests point the cgroup classes at it and read back what was written. It cannot play the kernel's
/// part (no files appear on mkdir, nothing is enforced): that is what native-tests/ are for.
/// </summary>
internal sealed class FakeCgroupFs : IDisposable
{
    public const string Unlimited = "9223372036854771712";  // what v1 shows for "no limit"

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "mc-fake-cgroupfs-" + Guid.NewGuid().ToString("N"));

    public FakeCgroupFs() => Directory.CreateDirectory(Root);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Writes <paramref name="content"/> to Root/relative, creating directories as needed.</summary>
    public FakeCgroupFs File(string relative, string content)
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return this;
    }

    public string Read(string relative) => System.IO.File.ReadAllText(PathOf(relative)).Trim();

    public bool Exists(string relative) => System.IO.File.Exists(PathOf(relative)) || Directory.Exists(PathOf(relative));

    /// <summary>A v1 memory cgroup as the kernel creates it; without memsw files when swap accounting is off.</summary>
    public FakeCgroupFs V1Memory(string dir, bool swapAccounting = true)
    {
        File($"{dir}/cgroup.procs", "");
        File($"{dir}/memory.limit_in_bytes", Unlimited + "\n");
        File($"{dir}/memory.usage_in_bytes", "0\n");
        File($"{dir}/memory.max_usage_in_bytes", "0\n");
        File($"{dir}/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
        File($"{dir}/memory.stat", "cache 0\nrss 0\ntotal_inactive_file 0\n");
        if (swapAccounting) File($"{dir}/memory.memsw.limit_in_bytes", Unlimited + "\n");
        return this;
    }

    public FakeCgroupFs V1Cpu(string dir) => File($"{dir}/cgroup.procs", "")
        .File($"{dir}/cpu.cfs_period_us", "100000\n").File($"{dir}/cpu.cfs_quota_us", "-1\n").File($"{dir}/cpu.shares", "1024\n")
        .File($"{dir}/cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");

    public FakeCgroupFs V1Pids(string dir) => File($"{dir}/cgroup.procs", "").File($"{dir}/pids.max", "max\n").File($"{dir}/pids.current", "0\n");

    public FakeCgroupFs V1Freezer(string dir) => File($"{dir}/cgroup.procs", "").File($"{dir}/freezer.state", "THAWED\n");

    /// <summary>A v2 cgroup with the memory, cpu and pids controllers enabled by its parent.</summary>
    public FakeCgroupFs V2Group(string dir, bool swapAccounting = true)
    {
        File($"{dir}/cgroup.procs", "").File($"{dir}/cgroup.controllers", "cpu io memory pids\n").File($"{dir}/cgroup.subtree_control", "\n");
        File($"{dir}/cgroup.events", "populated 0\nfrozen 0\n").File($"{dir}/cgroup.kill", "").File($"{dir}/cgroup.freeze", "0\n");
        File($"{dir}/memory.max", "max\n").File($"{dir}/memory.current", "0\n");
        File($"{dir}/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
        if (swapAccounting) File($"{dir}/memory.swap.max", "max\n");
        File($"{dir}/cpu.max", "max 100000\n").File($"{dir}/cpu.weight", "100\n");
        File($"{dir}/pids.max", "max\n").File($"{dir}/pids.current", "0\n");
        return this;
    }
}
