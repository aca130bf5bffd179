using System.Diagnostics;
using MiniContainer.Cgroups;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests.Cgroups;


/// <summary>
/// The cgroup classes against the real kernel (run as root). On the build machines that is a hybrid v1 host; the
/// v2 mechanics (cgroup.procs, cgroup.kill, cgroup.freeze, rmdir) are also exercised on the controller-less
/// cgroup2 mount such hosts have at /sys/fs/cgroup/unified. Every test destroys what it created, in finally.
/// </summary>
public sealed class CgroupNativeTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly ITestOutputHelper _out;
    private readonly List<ICgroup> _created = [];
    private readonly List<Process> _processes = [];
    private readonly List<CgroupFs> _parentsToPrune = [];  // hierarchies where this test made the "minicontainer" parent

    public CgroupNativeTests(ITestOutputHelper output)
    {
        _out = output;
        _out.WriteLine($"host: {CgroupFs.Host}");
    }

    public void Dispose()
    {
        foreach (Process p in _processes)
        {
            try { if (!p.HasExited) p.Kill(); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        foreach (ICgroup cg in _created) cg.Destroy();
        foreach (ICgroup cg in _created)
            foreach (string dir in cg.Directories)
                Assert.False(Directory.Exists(dir), $"left behind: {dir}");
        foreach (CgroupFs fs in _parentsToPrune) CgroupManager.RemoveParentIfEmpty(fs);
    }

    private ICgroup NewCgroup(CgroupFs? fs = null)
    {
        fs ??= CgroupFs.Host;
        ICgroup cg = CgroupManager.Open(CgroupManager.NameFor("test-" + Guid.NewGuid().ToString("N")[..12]), fs);
        if (!cg.Directories.All(d => Directory.Exists(Path.GetDirectoryName(d)))) _parentsToPrune.Add(fs);
        _created.Add(cg);
        cg.Create();
        return cg;
    }

    /// <summary>sh that waits for a line on stdin before running <paramref name="script"/>, so it can be moved into a cgroup before it forks.</summary>
    private Process StartHeld(string script)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("read go; " + script);
        Process p = Process.Start(psi)!;
        _processes.Add(p);
        return p;
    }

    private static void Release(Process p)
    {
        p.StandardInput.WriteLine("go");
        p.StandardInput.Close();
    }

    private static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"timed out waiting for {what}");
            Thread.Sleep(10);
        }
    }

    [Fact]
    public void Limits_land_in_the_kernel_files_and_KillAll_then_Destroy_leave_nothing()
    {
        ICgroup cg = NewCgroup();
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, PidsLimit = 20 }.WithCpus(0.5));
        _out.WriteLine($"warnings: [{string.Join(" | ", cg.Warnings)}]");

        if (cg is CgroupV1 v1)
        {
            Assert.Equal("67108864", Read(v1.DirectoryOf("memory")!, "memory.limit_in_bytes"));
            if (File.Exists(Path.Combine(v1.DirectoryOf("memory")!, "memory.memsw.limit_in_bytes")))
                Assert.Equal("134217728", Read(v1.DirectoryOf("memory")!, "memory.memsw.limit_in_bytes"));
            Assert.Equal("50000", Read(v1.DirectoryOf("cpu")!, "cpu.cfs_quota_us"));
            Assert.Equal("100000", Read(v1.DirectoryOf("cpu")!, "cpu.cfs_period_us"));
            Assert.Equal("20", Read(v1.DirectoryOf("pids")!, "pids.max"));
        }
        else
        {
            string dir = cg.Directories[0];
            Assert.Equal("67108864", Read(dir, "memory.max"));
            Assert.Equal("50000 100000", Read(dir, "cpu.max"));
            Assert.Equal("20", Read(dir, "pids.max"));
        }

        Process p = StartHeld("exec sleep 30");
        cg.AddProcess(p.Id);
        Release(p);
        Assert.Contains(p.Id, cg.Processes());
        CgroupStats stats = cg.Stats();
        _out.WriteLine($"stats: memory {stats.MemoryUsageBytes} / {stats.MemoryLimitBytes}, pids {stats.PidsCurrent}/{stats.PidsLimit}, cpu {stats.CpuUsageMicros}us");
        Assert.Equal(64 * MiB, stats.MemoryLimitBytes);
        Assert.Equal(20, stats.PidsLimit);
        Assert.True(stats.PidsCurrent >= 1);

        var clock = Stopwatch.StartNew();
        cg.KillAll();
        _out.WriteLine($"KillAll of one sleeping process: {clock.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Empty(cg.Processes());
        Assert.True(p.WaitForExit(5000));
        Assert.Equal(137, p.ExitCode);  // 128 + SIGKILL
        Assert.False(cg.OomKilled());

        cg.Destroy();
        foreach (string dir in cg.Directories) Assert.False(Directory.Exists(dir), dir);
        cg.Destroy();  // idempotent
    }

    [Fact]
    public void Raising_memory_and_swap_together_is_accepted_by_the_kernel()
    {
        ICgroup cg = NewCgroup();
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = 128 * MiB });
        cg.Apply(new ResourceLimits { MemoryBytes = 256 * MiB, MemorySwapBytes = 512 * MiB });  // memsw must go first here
        cg.Apply(new ResourceLimits { MemoryBytes = 32 * MiB, MemorySwapBytes = 48 * MiB });    // and last here
        Assert.Equal(32 * MiB, cg.Stats().MemoryLimitBytes);
        _out.WriteLine($"warnings: [{string.Join(" | ", cg.Warnings)}]");
    }

    [Fact]
    public void Pids_limit_makes_fork_fail_and_KillAll_empties_the_cgroup()
    {
        ICgroup cg = NewCgroup();
        cg.Apply(new ResourceLimits { PidsLimit = 20 });
        Process p = StartHeld("for i in $(seq 50); do sleep 30 & done; wait");
        cg.AddProcess(p.Id);
        Release(p);

        WaitFor(() => p.HasExited || cg.Stats().PidsCurrent >= 20, TimeSpan.FromSeconds(10), "20 tasks");
        Thread.Sleep(300);
        CgroupStats s = cg.Stats();
        int processes = cg.Processes().Count;
        _out.WriteLine($"pids.current {s.PidsCurrent} (limit {s.PidsLimit}); processes {processes}");
        Assert.True(s.PidsCurrent <= 20);
        Assert.True(processes >= 15);
        if (cg is CgroupV1 v1)
        {
            string events = Read(v1.DirectoryOf("pids")!, "pids.events");
            _out.WriteLine($"pids.events: {events}");
            Assert.NotEqual("max 0", events);  // the kernel refused at least one fork
        }

        var clock = Stopwatch.StartNew();
        cg.KillAll();
        _out.WriteLine($"KillAll of {s.PidsCurrent} tasks: {clock.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Empty(cg.Processes());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        string stderr = p.StandardError.ReadToEnd();  // only now: the sleeps held the pipe open
        _out.WriteLine($"sh stderr: {stderr.Trim()}");
        Assert.Contains("fork", stderr, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A fork bomb that survives its own failed forks (perl's fork returns undef instead of dying, unlike sh's
    /// "Cannot fork", which ends the shell and lets a shell bomb burn itself out): every process forks forever.
    /// perl is part of every Debian/Ubuntu base system.
    /// </summary>
    private const string ForkBomb = "exec perl -e 'while (1) { fork }'";

    [Fact]
    public void KillAll_beats_a_fork_bomb()
    {
        ICgroup cg = NewCgroup();
        cg.Apply(new ResourceLimits { PidsLimit = 20 }.WithCpus(0.5));
        ICgroup pidsLimited = cg;  // sanity: never release a bomb without a working limit
        Assert.Equal(20, pidsLimited.Stats().PidsLimit);

        Process p = StartHeld(ForkBomb);
        cg.AddProcess(p.Id);
        Release(p);
        WaitFor(() => cg.Stats().PidsCurrent >= 15, TimeSpan.FromSeconds(10), "the bomb to fill the cgroup");
        Thread.Sleep(500);
        int processes = cg.Processes().Count;
        _out.WriteLine($"bomb: pids.current {cg.Stats().PidsCurrent}, processes {processes}");
        Assert.True(processes >= 15, "the bomb burnt out by itself: this test would prove nothing");

        var clock = Stopwatch.StartNew();
        cg.KillAll();
        _out.WriteLine($"KillAll of a fork bomb: {clock.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Empty(cg.Processes());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Thread.Sleep(200);
        Assert.Empty(cg.Processes());  // nothing respawned
    }

    [Fact]
    public void Out_of_memory_is_killed_by_the_kernel_and_reported()
    {
        ICgroup cg = NewCgroup();
        cg.Apply(new ResourceLimits { MemoryBytes = 32 * MiB });
        Process p = StartHeld("exec tail /dev/zero");  // buffers an endless line: grows until the OOM killer comes
        cg.AddProcess(p.Id);
        Assert.False(cg.OomKilled());
        var clock = Stopwatch.StartNew();
        Release(p);

        Assert.True(p.WaitForExit(30_000), "tail /dev/zero was not killed");
        CgroupStats s = cg.Stats();
        _out.WriteLine($"OOM after {clock.Elapsed.TotalMilliseconds:0} ms: exit {p.ExitCode}, OomKilled {cg.OomKilled()}, oom kills {s.OomKills}, max usage {s.MemoryMaxUsageBytes}");
        Assert.Equal(137, p.ExitCode);
        Assert.True(cg.OomKilled());
        Assert.True(s.OomKills >= 1);
    }

    [Fact]
    public void V2_mechanics_work_on_the_hybrid_unified_mount()
    {
        if (CgroupFs.Host.Version == CgroupVersion.V2 || CgroupFs.Host.UnifiedMount is not string unified)
        {
            _out.WriteLine("not a hybrid host: the v2 path is covered by the other tests");
            return;
        }
        // The unified mount has no controllers here, so limits must come back as warnings, not errors…
        var v2 = (CgroupV2)NewCgroup(CgroupFs.V2(unified));
        v2.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, PidsLimit = 20 });
        _out.WriteLine($"v2 warnings: [{string.Join(" | ", v2.Warnings)}]");
        Assert.Contains(CgroupWarnings.MemoryUnsupported, v2.Warnings);
        Assert.Contains(CgroupWarnings.PidsUnsupported, v2.Warnings);

        // …and the fork bomb is bounded by a v1 pids cgroup while the v2 one kills it.
        ICgroup v1 = NewCgroup();
        v1.Apply(new ResourceLimits { PidsLimit = 20 }.WithCpus(0.5));
        Assert.Equal(20, v1.Stats().PidsLimit);

        foreach (bool useKill in new[] { true, false })
        {
            v2.UseCgroupKill = useKill;
            Process p = StartHeld(ForkBomb);
            v1.AddProcess(p.Id);
            v2.AddProcess(p.Id);
            Release(p);
            WaitFor(() => v2.Processes().Count >= 15, TimeSpan.FromSeconds(10), "the bomb to fill the cgroup");
            Thread.Sleep(300);
            int count = v2.Processes().Count;
            var clock = Stopwatch.StartNew();
            v2.KillAll();
            _out.WriteLine($"v2 KillAll ({(useKill ? "cgroup.kill" : "cgroup.freeze loop")}) of a fork bomb ({count} procs): {clock.Elapsed.TotalMilliseconds:0.0} ms");
            Assert.Empty(v2.Processes());
            Assert.Empty(v1.Processes());
            Assert.Equal("0", Read(v2.CgroupDirectory, "cgroup.freeze"));
        }
        v2.Destroy();
        Assert.False(Directory.Exists(v2.CgroupDirectory));
    }
}
