using MiniContainer.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Cgroups;


public sealed class CgroupV2Tests : IDisposable
{
    private const string Id = "minicontainer/abc123";
    private const long MiB = 1024 * 1024;
    private readonly FakeCgroupFs _fs = new();

    public void Dispose() => _fs.Dispose();

    private ICgroup Group(bool swapAccounting = true)
    {
        _fs.V2Group(Id, swapAccounting);
        return CgroupManager.Open(Id, CgroupFs.V2(_fs.Root));
    }

    [Fact]
    public void Apply_writes_exact_values_to_the_v2_files()
    {
        ICgroup cg = Group();
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, CpuShares = 512, PidsLimit = 20 }.WithCpus(1.5));

        Assert.Equal("67108864", _fs.Read($"{Id}/memory.max"));
        Assert.Equal("67108864", _fs.Read($"{Id}/memory.swap.max"));  // swap ALONE: Docker's default total 2×64 MiB minus memory
        Assert.Equal("150000 100000", _fs.Read($"{Id}/cpu.max"));
        Assert.Equal("59", _fs.Read($"{Id}/cpu.weight"));
        Assert.Equal("20", _fs.Read($"{Id}/pids.max"));
        Assert.Empty(cg.Warnings);
        Assert.Equal(CgroupVersion.V2, cg.Version);
    }

    [Theory]
    [InlineData(-1L, "max")]                 // unlimited swap
    [InlineData(64L * MiB, "0")]             // total == memory: no swap
    [InlineData(100L * MiB, "37748736")]     // 36 MiB of swap
    public void Swap_max_is_the_total_minus_memory(long swapTotal, string expected)
    {
        ICgroup cg = Group();
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = swapTotal });
        Assert.Equal(expected, _fs.Read($"{Id}/memory.swap.max"));
    }

    [Fact]
    public void Unlimited_values_are_written_as_max()
    {
        ICgroup cg = Group();
        cg.Apply(new ResourceLimits { CpuQuotaMicros = -1, PidsLimit = 0 });
        Assert.Equal("max 100000", _fs.Read($"{Id}/cpu.max"));
        Assert.Equal("max", _fs.Read($"{Id}/pids.max"));

        cg.Apply(new ResourceLimits { CpuPeriodMicros = 50_000 });  // only --cpu-period
        Assert.Equal("max 50000", _fs.Read($"{Id}/cpu.max"));
    }

    [Fact]
    public void Without_memory_swap_max_the_swap_limit_is_skipped_with_a_warning()
    {
        ICgroup cg = Group(swapAccounting: false);
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB });
        Assert.Equal("67108864", _fs.Read($"{Id}/memory.max"));
        Assert.False(_fs.Exists($"{Id}/memory.swap.max"));
        Assert.Equal([CgroupWarnings.SwapUnsupported], cg.Warnings);

        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = -1 });  // nothing to enforce: no warning
        Assert.Empty(cg.Warnings);
    }

    [Fact]
    public void Controllers_not_enabled_by_the_parent_are_warnings()
    {
        _fs.File($"{Id}/cgroup.procs", "").File($"{Id}/cgroup.controllers", "\n");  // no memory.max, cpu.max, pids.max
        ICgroup cg = CgroupManager.Open(Id, CgroupFs.V2(_fs.Root));
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, CpuQuotaMicros = 50_000, CpuShares = 100, PidsLimit = 5 });
        Assert.Equal([CgroupWarnings.MemoryUnsupported, CgroupWarnings.CpuQuotaUnsupported, CgroupWarnings.CpuSharesUnsupported,
                      CgroupWarnings.PidsUnsupported], cg.Warnings);
    }

    [Theory]
    [InlineData(0, 0)]          // unset
    [InlineData(1, 1)]
    [InlineData(2, 1)]          // v1 minimum → v2 minimum
    [InlineData(3, 2)]
    [InlineData(256, 35)]
    [InlineData(512, 59)]
    [InlineData(1024, 100)]     // v1 default → v2 default
    [InlineData(2048, 174)]
    [InlineData(4096, 303)]
    [InlineData(262143, 10000)]
    [InlineData(262144, 10000)] // v1 maximum → v2 maximum
    [InlineData(1_000_000, 10000)]
    public void Shares_convert_to_weight_like_crun_and_runc(long shares, long weight) =>
        Assert.Equal(weight, CpuV2.SharesToWeight(shares));

    [Fact]
    public void Create_enables_controllers_top_down_in_subtree_control()
    {
        _fs.File("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n").File("cgroup.subtree_control", "\n")
           // an existing parent that already has cpu enabled and is only offered cpu, memory, pids (no io)
           .File("minicontainer/cgroup.controllers", "cpu memory pids\n").File("minicontainer/cgroup.subtree_control", "cpu\n");
        ICgroup cg = CgroupManager.Open(Id, CgroupFs.V2(_fs.Root));
        cg.Create();

        Assert.Equal("+cpu +cpuset +io +memory +pids", _fs.Read("cgroup.subtree_control"));
        Assert.Equal("+memory +pids", _fs.Read("minicontainer/cgroup.subtree_control"));
        Assert.True(Directory.Exists(_fs.PathOf(Id)));
        Assert.Equal([_fs.PathOf(Id)], cg.Directories);
    }

    [Fact]
    public void Create_writes_nothing_when_the_controllers_are_already_enabled()
    {
        _fs.File("cgroup.controllers", "cpu memory pids\n").File("cgroup.subtree_control", "cpu memory pids\n");
        CgroupManager.Open(Id, CgroupFs.V2(_fs.Root)).Create();
        Assert.Equal("cpu memory pids", _fs.Read("cgroup.subtree_control"));  // the kernel's format, untouched
    }

    [Theory]
    [InlineData("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n", true)]
    [InlineData("low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\noom_group_kill 0\n", false)]  // hit the limit, reclaimed, nobody killed
    [InlineData("low 0\nhigh 0\nmax 0\noom 0\n", false)]
    public void OomKilled_reads_memory_events(string events, bool expected)
    {
        ICgroup cg = Group();
        _fs.File($"{Id}/memory.events", events);
        Assert.Equal(expected, cg.OomKilled());
    }

    [Fact]
    public void Stats_reads_v2_files()
    {
        ICgroup cg = Group();
        _fs.File($"{Id}/memory.current", "5242880\n").File($"{Id}/memory.max", "67108864\n").File($"{Id}/memory.peak", "6291456\n")
           .File($"{Id}/memory.stat", "anon 1\nfile 2\ninactive_file 8192\n")
           .File($"{Id}/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
           .File($"{Id}/cpu.stat", "usage_usec 900\nuser_usec 600\nsystem_usec 300\nnr_periods 7\nnr_throttled 2\nthrottled_usec 1500\n")
           .File($"{Id}/pids.current", "4\n").File($"{Id}/pids.max", "20\n");

        CgroupStats s = cg.Stats();
        Assert.Equal((5242880L, 67108864L, 6291456L, 8192L, 1L),
            (s.MemoryUsageBytes, s.MemoryLimitBytes!.Value, s.MemoryMaxUsageBytes!.Value, s.MemoryInactiveFileBytes, s.OomKills));
        Assert.Equal((900L, 600L, 300L, 7L, 2L, 1500L),
            (s.CpuUsageMicros, s.CpuUserMicros, s.CpuSystemMicros, s.CpuPeriods, s.CpuThrottledPeriods, s.CpuThrottledMicros));
        Assert.Equal((4L, 20L), (s.PidsCurrent, s.PidsLimit!.Value));
    }

    [Fact]
    public void KillAll_uses_cgroup_kill_and_gives_up_with_a_clear_error()
    {
        var cg = (CgroupV2)Group();
        _fs.File($"{Id}/cgroup.procs", "2147483000\n");  // above any pid_max; the fake never empties
        cg.KillTimeout = TimeSpan.FromMilliseconds(50);
        var e = Assert.Throws<CgroupException>(cg.KillAll);
        Assert.Contains("still running", e.Message);
        Assert.Equal("1", _fs.Read($"{Id}/cgroup.kill"));
    }

    [Fact]
    public void KillAll_without_cgroup_kill_freezes_and_always_thaws()
    {
        var cg = (CgroupV2)Group();
        _fs.File($"{Id}/cgroup.procs", "2147483000\n").File($"{Id}/cgroup.events", "populated 1\nfrozen 1\n");
        cg.UseCgroupKill = false;
        cg.KillTimeout = TimeSpan.FromMilliseconds(50);
        Assert.Throws<CgroupException>(cg.KillAll);
        Assert.Equal("", _fs.Read($"{Id}/cgroup.kill"));
        Assert.Equal("0", _fs.Read($"{Id}/cgroup.freeze"));
    }

    [Fact]
    public void KillAll_on_an_empty_cgroup_returns_at_once_and_Destroy_removes_it()
    {
        var fs = CgroupFs.V2(_fs.Root);
        ICgroup cg = CgroupManager.Open(Id, fs);
        cg.Create();
        cg.KillAll();
        cg.Destroy();
        cg.Destroy();
        Assert.False(Directory.Exists(_fs.PathOf(Id)));
        Assert.True(CgroupManager.RemoveParentIfEmpty(fs));
    }

    [Fact]
    public void Pause_writes_cgroup_freeze_and_waits_for_frozen_in_cgroup_events()
    {
        _fs.V2Group(Id).File($"{Id}/cgroup.freeze", "0\n").File($"{Id}/cgroup.events", "populated 1\nfrozen 1\n");
        ICgroup cg = CgroupManager.Open(Id, CgroupFs.V2(_fs.Root));
        cg.Freeze(TimeSpan.FromSeconds(1));
        Assert.Equal("1", _fs.Read($"{Id}/cgroup.freeze"));
        cg.Thaw();
        Assert.Equal("0", _fs.Read($"{Id}/cgroup.freeze"));
    }

    [Fact]
    public void A_freeze_the_kernel_never_reports_done_is_undone_and_reported()
    {
        _fs.V2Group(Id).File($"{Id}/cgroup.freeze", "0\n").File($"{Id}/cgroup.events", "populated 1\nfrozen 0\n");
        ICgroup cg = CgroupManager.Open(Id, CgroupFs.V2(_fs.Root));
        var e = Assert.Throws<CgroupException>(() => cg.Freeze(TimeSpan.FromMilliseconds(50)));
        Assert.Contains("not frozen", e.Message);
        Assert.Equal("0", _fs.Read($"{Id}/cgroup.freeze"));
    }

    [Fact]
    public void Reservation_is_memory_low_and_swappiness_is_dropped_with_dockerds_warning()
    {
        _fs.V2Group(Id).File($"{Id}/memory.low", "0\n").File($"{Id}/cpuset.cpus", "\n");
        ICgroup cg = CgroupManager.Open(Id, CgroupFs.V2(_fs.Root));
        cg.Apply(new ResourceLimits { MemoryReservationBytes = 32 * MiB, MemorySwappiness = 40, CpusetCpus = "1" });
        Assert.Equal("33554432", _fs.Read($"{Id}/memory.low"));
        Assert.Equal("1", _fs.Read($"{Id}/cpuset.cpus"));
        Assert.Equal([CgroupWarnings.SwappinessUnsupported], cg.Warnings);
    }
}
