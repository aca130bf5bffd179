using MiniContainer.Linux;
using MiniContainer.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Cgroups;


public sealed class CgroupV1Tests : IDisposable
{
    private const string Id = "minicontainer/abc123";
    private const long MiB = 1024 * 1024;
    private readonly FakeCgroupFs _fs = new();

    public void Dispose() => _fs.Dispose();

    /// <summary>A hybrid host like ours: separate cpu and cpuacct hierarchies, cgroups pre-created with kernel defaults.</summary>
    private ICgroup SeparateHierarchies(bool swapAccounting = true)
    {
        _fs.V1Memory($"memory/{Id}", swapAccounting).V1Cpu($"cpu/{Id}").File($"cpuacct/{Id}/cpuacct.usage", "0")
           .V1Pids($"pids/{Id}").V1Freezer($"freezer/{Id}");
        return CgroupManager.Open(Id, CgroupFs.V1Layout(_fs.Root, "memory", "cpu", "cpuacct", "pids", "freezer"));
    }

    [Fact]
    public void Apply_writes_exact_values_to_the_v1_files()
    {
        ICgroup cg = SeparateHierarchies();
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, CpuShares = 512, PidsLimit = 20 }.WithCpus(1.5));

        Assert.Equal("67108864", _fs.Read($"memory/{Id}/memory.limit_in_bytes"));
        Assert.Equal("134217728", _fs.Read($"memory/{Id}/memory.memsw.limit_in_bytes"));  // Docker default: memory + as much swap
        Assert.Equal("100000", _fs.Read($"cpu/{Id}/cpu.cfs_period_us"));
        Assert.Equal("150000", _fs.Read($"cpu/{Id}/cpu.cfs_quota_us"));
        Assert.Equal("512", _fs.Read($"cpu/{Id}/cpu.shares"));
        Assert.Equal("20", _fs.Read($"pids/{Id}/pids.max"));
        Assert.Empty(cg.Warnings);
        Assert.Equal(CgroupVersion.V1, cg.Version);
    }

    [Fact]
    public void Unset_limits_are_not_written()
    {
        ICgroup cg = SeparateHierarchies();
        cg.Apply(new ResourceLimits());
        Assert.Equal(FakeCgroupFs.Unlimited, _fs.Read($"memory/{Id}/memory.limit_in_bytes"));
        Assert.Equal("-1", _fs.Read($"cpu/{Id}/cpu.cfs_quota_us"));
        Assert.Equal("1024", _fs.Read($"cpu/{Id}/cpu.shares"));
        Assert.Equal("max", _fs.Read($"pids/{Id}/pids.max"));
    }

    [Theory]
    [InlineData(-1L, "-1")]                  // --memory-swap -1: unlimited swap
    [InlineData(64L * MiB, "67108864")]      // --memory-swap equal to --memory: no swap at all
    [InlineData(100L * MiB, "104857600")]    // memory + 36 MiB of swap
    public void Memory_swap_follows_docker_semantics(long swapTotal, string expectedMemsw)
    {
        ICgroup cg = SeparateHierarchies();
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = swapTotal });
        Assert.Equal("67108864", _fs.Read($"memory/{Id}/memory.limit_in_bytes"));
        Assert.Equal(expectedMemsw, _fs.Read($"memory/{Id}/memory.memsw.limit_in_bytes"));
    }

    [Fact]
    public void Without_swap_accounting_memory_is_limited_and_the_swap_limit_is_skipped_with_a_warning()
    {
        ICgroup cg = SeparateHierarchies(swapAccounting: false);
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = 128 * MiB });

        Assert.Equal("67108864", _fs.Read($"memory/{Id}/memory.limit_in_bytes"));
        Assert.False(_fs.Exists($"memory/{Id}/memory.memsw.limit_in_bytes"));  // never created
        Assert.Equal([CgroupWarnings.SwapUnsupported], cg.Warnings);
    }

    [Fact]
    public void Raising_memory_writes_memsw_first_and_lowering_writes_memory_first()
    {
        ICgroup cg = SeparateHierarchies();
        // Fresh cgroup, both unlimited: memory first (memsw first would be below the unlimited memory limit).
        Assert.Equal(["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"],
            MemoryWrites(() => cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB })));

        // Raising above the current memsw (128 MiB): memory first would be refused with EINVAL.
        Assert.Equal(["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"],
            MemoryWrites(() => cg.Apply(new ResourceLimits { MemoryBytes = 256 * MiB, MemorySwapBytes = 512 * MiB })));
        Assert.Equal("268435456", _fs.Read($"memory/{Id}/memory.limit_in_bytes"));
        Assert.Equal("536870912", _fs.Read($"memory/{Id}/memory.memsw.limit_in_bytes"));

        // Lowering: memsw first would go below the current memory limit.
        Assert.Equal(["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"],
            MemoryWrites(() => cg.Apply(new ResourceLimits { MemoryBytes = 32 * MiB })));
        Assert.Equal("67108864", _fs.Read($"memory/{Id}/memory.memsw.limit_in_bytes"));
    }

    /// <summary>The memory files written, in order, while <paramref name="action"/> runs (from the --explain steps).</summary>
    private List<string> MemoryWrites(Action action)
    {
        var writes = new List<string>();
        string marker = " > " + _fs.PathOf($"memory/{Id}") + "/";
        // Listening in this flow only, so tests running in parallel do not see each other's steps.
        using (Explaining.Explain.ListenInFlow(step =>
        {
            int at = step.Shell.IndexOf(marker, StringComparison.Ordinal);
            if (at > 0) lock (writes) writes.Add(step.Shell[(at + marker.Length)..]);
        }))
            action();
        return writes;
    }

    [Fact]
    public void Pids_limit_zero_or_negative_means_unlimited()
    {
        ICgroup cg = SeparateHierarchies();
        cg.Apply(new ResourceLimits { PidsLimit = 20 });
        cg.Apply(new ResourceLimits { PidsLimit = 0 });
        Assert.Equal("max", _fs.Read($"pids/{Id}/pids.max"));
        cg.Apply(new ResourceLimits { PidsLimit = -1 });
        Assert.Equal("max", _fs.Read($"pids/{Id}/pids.max"));
    }

    [Fact]
    public void Co_mounted_cpu_cpuacct_is_one_directory()
    {
        _fs.V1Memory($"memory/{Id}").V1Cpu($"cpu,cpuacct/{Id}").File($"cpu,cpuacct/{Id}/cpuacct.usage", "2500000\n")
           .V1Pids($"pids/{Id}").V1Freezer($"freezer/{Id}");
        var fs = CgroupFs.V1Layout(_fs.Root, "memory", "cpu,cpuacct", "pids", "freezer");
        var cg = (CgroupV1)CgroupManager.Open(Id, fs);

        Assert.Equal(4, cg.Directories.Count);
        Assert.Equal(cg.DirectoryOf("cpu"), cg.DirectoryOf("cpuacct"));
        cg.Apply(new ResourceLimits { CpuQuotaMicros = 50_000 });
        Assert.Equal("50000", _fs.Read($"cpu,cpuacct/{Id}/cpu.cfs_quota_us"));
        Assert.Equal(2500, cg.Stats().CpuUsageMicros);
    }

    [Fact]
    public void A_controller_the_host_lacks_is_a_warning_not_a_crash()
    {
        _fs.V1Memory($"memory/{Id}").V1Cpu($"cpu/{Id}");
        ICgroup cg = CgroupManager.Open(Id, CgroupFs.V1Layout(_fs.Root, "memory", "cpu"));  // no pids, no freezer
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, PidsLimit = 20 });
        Assert.Equal([CgroupWarnings.PidsUnsupported], cg.Warnings);
        Assert.Equal("67108864", _fs.Read($"memory/{Id}/memory.limit_in_bytes"));
    }

    [Theory]
    [InlineData("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", true)]
    [InlineData("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", false)]
    [InlineData("oom_kill_disable 1\nunder_oom 1\n", true)]   // kernel < 4.13: no oom_kill line
    [InlineData("oom_kill_disable 0\nunder_oom 0\n", false)]
    public void OomKilled_reads_memory_oom_control(string oomControl, bool expected)
    {
        ICgroup cg = SeparateHierarchies();
        _fs.File($"memory/{Id}/memory.oom_control", oomControl);
        _fs.File($"memory/{Id}/memory.failcnt", "1234\n");  // hitting the limit is not an OOM kill
        Assert.Equal(expected, cg.OomKilled());
    }

    [Fact]
    public void Processes_is_the_union_over_hierarchies_and_child_cgroups()
    {
        ICgroup cg = SeparateHierarchies();
        _fs.File($"memory/{Id}/cgroup.procs", "12\n34\n").File($"freezer/{Id}/cgroup.procs", "34\n56\n")
           .File($"pids/{Id}/sub/cgroup.procs", "78\n");
        Assert.Equal([12, 34, 56, 78], cg.Processes());
    }

    [Fact]
    public void Stats_converts_units_and_reports_unlimited_as_null()
    {
        ICgroup cg = SeparateHierarchies();
        _fs.File($"memory/{Id}/memory.usage_in_bytes", "1048576\n").File($"memory/{Id}/memory.max_usage_in_bytes", "2097152\n")
           .File($"memory/{Id}/memory.stat", "cache 5\ntotal_inactive_file 4096\n")
           .File($"memory/{Id}/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
           .File($"cpuacct/{Id}/cpuacct.usage", "3000000000\n").File($"cpuacct/{Id}/cpuacct.usage_user", "2000000000\n")
           .File($"cpuacct/{Id}/cpuacct.usage_sys", "1000000000\n")
           .File($"cpu/{Id}/cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 7000000\n")
           .File($"pids/{Id}/pids.current", "3\n");

        CgroupStats s = cg.Stats();
        Assert.Equal(1048576, s.MemoryUsageBytes);
        Assert.Null(s.MemoryLimitBytes);
        Assert.Equal(2097152, s.MemoryMaxUsageBytes);
        Assert.Equal(4096, s.MemoryInactiveFileBytes);
        Assert.Equal(2, s.OomKills);
        Assert.Equal(3_000_000, s.CpuUsageMicros);
        Assert.Equal(2_000_000, s.CpuUserMicros);
        Assert.Equal(1_000_000, s.CpuSystemMicros);
        Assert.Equal((10, 4, 7000), (s.CpuPeriods, s.CpuThrottledPeriods, s.CpuThrottledMicros));
        Assert.Equal(3, s.PidsCurrent);
        Assert.Null(s.PidsLimit);
    }

    [Fact]
    public void Create_makes_every_hierarchy_directory_and_Destroy_removes_them_idempotently()
    {
        var fs = CgroupFs.V1Layout(_fs.Root, "memory", "cpu,cpuacct", "pids", "freezer");
        ICgroup cg = CgroupManager.Open(Id, fs);
        cg.Create();
        cg.Create();  // idempotent
        foreach (string dir in cg.Directories) Assert.True(Directory.Exists(dir), dir);
        Directory.CreateDirectory(Path.Combine(cg.Directories[0], "nested"));  // a child cgroup the container made

        cg.Destroy();
        cg.Destroy();  // idempotent
        foreach (string dir in cg.Directories) Assert.False(Directory.Exists(dir), dir);
        Assert.True(_fs.Exists("memory/minicontainer"));  // the shared parent stays
        Assert.True(CgroupManager.RemoveParentIfEmpty(fs));
        Assert.False(_fs.Exists("memory/minicontainer"));
    }

    [Fact]
    public void A_new_cgroup_in_a_cpuset_hierarchy_inherits_cpus_and_mems()
    {
        _fs.File("cpuset/cpuset.cpus", "0-3\n").File("cpuset/cpuset.mems", "0\n")
           .File("cpuset/child/cpuset.cpus", "\n").File("cpuset/child/cpuset.mems", "\n");
        CpusetV1.InheritFromParent(_fs.PathOf("cpuset"), _fs.PathOf("cpuset/child"));
        Assert.Equal("0-3", _fs.Read("cpuset/child/cpuset.cpus"));
        Assert.Equal("0", _fs.Read("cpuset/child/cpuset.mems"));
    }

    [Fact]
    public void KillAll_gives_up_with_a_clear_error_when_processes_will_not_go()
    {
        var cg = (CgroupV1)SeparateHierarchies();
        _fs.File($"memory/{Id}/cgroup.procs", "2147483000\n");  // above any pid_max: kill(2) says ESRCH, the fake never empties
        cg.KillTimeout = TimeSpan.FromMilliseconds(50);
        var e = Assert.Throws<CgroupException>(cg.KillAll);
        Assert.Contains("still running", e.Message);
        Assert.Equal("THAWED", _fs.Read($"freezer/{Id}/freezer.state"));  // never left frozen
    }
}
