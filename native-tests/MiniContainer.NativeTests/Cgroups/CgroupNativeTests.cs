using System.Diagnostics;
using MiniContainer.Cgroups;
using MiniContainer.Linux;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests.Cgroups;


/// <summary>
/// The cgroup classes against the real kernel (run as root). On the build machines that is a hybrid v1 host; the
/// v2 mechanics (cgroup.procs, cgroup.kill, cgroup.freeze, rmdir) are also exercised on the controller-less
/// cgroup2 mount such hosts have at /sys/fs/cgroup/unified. Every test destroys what it created, in finally.
/// </summary>
[Trait("Lane", "vm")]  // also run in the pure-cgroup-v2 VM by scripts/vm-test.sh
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
    private static string? TryRead(string dir, string file) => File.Exists(Path.Combine(dir, file)) ? Read(dir, file) : null;
    private static string[] Words(string dir, string file) => Read(dir, file).Split(' ', StringSplitOptions.RemoveEmptyEntries);

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

        // sh ends itself when a fork fails ("Cannot fork"): wait for that, not for a count, so a slow machine
        // (the emulated VM lane) cannot catch the shell between the refused fork and its message.
        WaitFor(() => p.HasExited, TimeSpan.FromSeconds(30), "the shell to give up at the limit");
        CgroupStats s = cg.Stats();
        int processes = cg.Processes().Count;
        _out.WriteLine($"pids.current {s.PidsCurrent} (limit {s.PidsLimit}); processes {processes}");
        Assert.True(s.PidsCurrent <= 20);
        Assert.True(processes >= 15);
        string events = Read(cg is CgroupV1 v1 ? v1.DirectoryOf("pids")! : cg.Directories[0], "pids.events");
        _out.WriteLine($"pids.events: {events}");
        Assert.NotEqual("max 0", events);  // the kernel refused at least one fork

        var clock = Stopwatch.StartNew();
        cg.KillAll();
        _out.WriteLine($"KillAll of {s.PidsCurrent} tasks: {clock.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Empty(cg.Processes());
        Assert.True(clock.Elapsed < Support.TimeLimit(5), $"KillAll took {clock.Elapsed.TotalSeconds:0.0} s");
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
        Assert.True(clock.Elapsed < Support.TimeLimit(5), $"KillAll took {clock.Elapsed.TotalSeconds:0.0} s");
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
        // What the kernel itself says, in the file each version has.
        if (cg is CgroupV1 v1)
            Assert.Contains("oom_kill 1", Read(v1.DirectoryOf("memory")!, "memory.oom_control"));
        else
        {
            string events = Read(cg.Directories[0], "memory.events");
            _out.WriteLine($"memory.events: {events.Replace('\n', ',')}");
            Assert.Contains("oom_kill 1", events.Split('\n'));
            Assert.True(long.Parse(events.Split('\n').Single(l => l.StartsWith("max ")).Split(' ')[1]) >= 1, "memory.events max should count the limit being hit");
        }
    }

    [CgroupV2Fact]
    public void V2_controllers_are_handed_down_along_the_path_and_the_parent_holds_no_process()
    {
        ICgroup cg = NewCgroup();
        string leaf = cg.Directories[0], parent = Path.GetDirectoryName(leaf)!, root = Path.GetDirectoryName(parent)!;
        foreach (string dir in new[] { root, parent, leaf })
            _out.WriteLine($"{dir}: controllers [{Read(dir, "cgroup.controllers")}], subtree_control [{TryRead(dir, "cgroup.subtree_control")}]");
        string[] wanted = ["cpu", "memory", "pids"];
        Assert.All(wanted, c => Assert.Contains(c, Words(root, "cgroup.subtree_control")));
        Assert.All(wanted, c => Assert.Contains(c, Words(parent, "cgroup.subtree_control")));
        Assert.All(wanted, c => Assert.Contains(c, Words(leaf, "cgroup.controllers")));
        if (Words(root, "cgroup.controllers").Contains("io")) Assert.Contains("io", Words(leaf, "cgroup.controllers"));
        foreach (string file in new[] { "memory.max", "memory.swap.max", "memory.events", "cpu.max", "cpu.weight", "pids.max", "cgroup.kill" })
            Assert.True(File.Exists(Path.Combine(leaf, file)), $"{file} missing in {leaf}");

        // The "no internal processes" rule: a cgroup that hands controllers down may not hold processes itself.
        Assert.Equal("", Read(parent, "cgroup.procs"));
        Process p = StartHeld("exec sleep 30");
        try
        {
            var e = Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(parent, "cgroup.procs"), p.Id.ToString()));
            _out.WriteLine($"moving a process into {parent}: {e.Message}");
        }
        finally { p.Kill(); p.WaitForExit(); }
    }

    [Fact]
    public void Swap_limit_is_written_as_swap_alone_on_v2_and_as_memory_plus_swap_on_v1()
    {
        ICgroup cg = NewCgroup();
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = 96 * MiB });
        _out.WriteLine($"warnings: [{string.Join(" | ", cg.Warnings)}]");
        if (cg is CgroupV1 v1)
        {
            string memsw = Path.Combine(v1.DirectoryOf("memory")!, "memory.memsw.limit_in_bytes");
            if (!File.Exists(memsw)) { Assert.Contains(CgroupWarnings.SwapUnsupported, cg.Warnings); return; }
            Assert.Equal((96 * MiB).ToString(), Read(v1.DirectoryOf("memory")!, "memory.memsw.limit_in_bytes"));
            return;
        }
        string dir = cg.Directories[0];
        if (!File.Exists(Path.Combine(dir, "memory.swap.max"))) { Assert.Contains(CgroupWarnings.SwapUnsupported, cg.Warnings); return; }
        Assert.Empty(cg.Warnings);
        Assert.Equal((32 * MiB).ToString(), Read(dir, "memory.swap.max"));   // --memory-swap is the total; v2 wants swap alone
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = 64 * MiB });
        Assert.Equal("0", Read(dir, "memory.swap.max"));                    // equal to the memory: no swap at all
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = -1 });
        Assert.Equal("max", Read(dir, "memory.swap.max"));
        cg.Apply(new ResourceLimits { MemoryBytes = 64 * MiB });
        Assert.Equal((64 * MiB).ToString(), Read(dir, "memory.swap.max"));  // Docker's default: as much swap as memory
    }

    [Fact]
    public void Cpu_shares_become_cpu_weight_on_v2_and_cpu_shares_on_v1()
    {
        ICgroup cg = NewCgroup();
        cg.Apply(new ResourceLimits { CpuShares = 2048 });
        Assert.Empty(cg.Warnings);
        if (cg is CgroupV1 v1) Assert.Equal("2048", Read(v1.DirectoryOf("cpu")!, "cpu.shares"));
        else Assert.Equal("174", Read(cg.Directories[0], "cpu.weight"));  // 1024 → 100 (default to default), 2048 → 174
        cg.Apply(new ResourceLimits { CpuShares = 512 });
        if (cg is CgroupV1 v1b) Assert.Equal("512", Read(v1b.DirectoryOf("cpu")!, "cpu.shares"));
        else Assert.Equal("59", Read(cg.Directories[0], "cpu.weight"));
    }

    [Fact]
    public void A_cpu_quota_throttles_a_busy_loop_as_cpu_stat_shows()
    {
        ICgroup cg = NewCgroup();
        cg.Apply(new ResourceLimits().WithCpus(0.2));
        Process p = StartHeld("while :; do :; done");
        cg.AddProcess(p.Id);
        CgroupStats before = cg.Stats();
        var clock = Stopwatch.StartNew();
        Release(p);
        Thread.Sleep(2000);
        CgroupStats after = cg.Stats();
        double wall = clock.Elapsed.TotalSeconds;
        cg.KillAll();
        double cpu = (after.CpuUsageMicros - before.CpuUsageMicros) / 1e6;
        long periods = after.CpuPeriods - before.CpuPeriods, throttled = after.CpuThrottledPeriods - before.CpuThrottledPeriods;
        _out.WriteLine($"cpu {cpu:0.000} s in {wall:0.000} s wall = {cpu / wall:0.000}; periods {periods}, throttled {throttled}, " +
                       $"throttled time {(after.CpuThrottledMicros - before.CpuThrottledMicros) / 1e6:0.000} s");
        Assert.True(periods >= 5, $"only {periods} CFS periods in {wall:0.0} s: is cpu.max/cfs_quota_us in force?");
        Assert.True(throttled >= periods / 2, $"a busy loop at 0.2 CPU was throttled in only {throttled} of {periods} periods");
        Assert.True(after.CpuThrottledMicros > before.CpuThrottledMicros);
        Assert.InRange(cpu / wall, 0.02, 0.3);  // never more than the quota (plus one period of slack); TCG may give less
    }

    [CgroupV2Fact]
    public void V2_KillAll_stops_a_fork_bomb_with_one_write_to_cgroup_kill_and_without_it_by_freezing()
    {
        var v2 = (CgroupV2)NewCgroup();
        v2.Apply(new ResourceLimits { PidsLimit = 20 }.WithCpus(0.5));
        Assert.Equal("20", Read(v2.CgroupDirectory, "pids.max"));
        var steps = new List<string>();
        // The --explain steps of this flow (shell equivalents such as "echo 1 > …/cgroup.kill").
        using (MiniContainer.Explaining.Explain.ListenInFlow(step => { if (step.Shell.Contains(v2.CgroupDirectory)) lock (steps) steps.Add(step.Shell); }))
        {
            foreach (bool useKill in new[] { true, false })
            {
                v2.UseCgroupKill = useKill;
                lock (steps) steps.Clear();
                Process p = StartHeld(ForkBomb);
                v2.AddProcess(p.Id);
                Release(p);
                // Until the kernel has refused a fork (pids.events "max" counts them): the bomb is at the limit.
                WaitFor(() => Read(v2.CgroupDirectory, "pids.events") != "max 0" && v2.Processes().Count >= 15,
                    TimeSpan.FromSeconds(30), "the bomb to fill the cgroup");
                var clock = Stopwatch.StartNew();
                v2.KillAll();
                _out.WriteLine($"KillAll ({(useKill ? "cgroup.kill" : "cgroup.freeze loop")}) of a fork bomb: {clock.Elapsed.TotalMilliseconds:0.0} ms, steps:\n  {string.Join("\n  ", steps.Take(8))}");
                Assert.Empty(v2.Processes());
                Assert.True(p.WaitForExit(5000));
                Assert.Equal(useKill, steps.Any(st => st.EndsWith("/cgroup.kill", StringComparison.Ordinal)));
                Assert.Equal(!useKill, steps.Any(st => st.EndsWith("/cgroup.freeze", StringComparison.Ordinal)));
                Assert.Equal("0", Read(v2.CgroupDirectory, "cgroup.freeze"));
            }
        }
        v2.Destroy();
        Assert.False(Directory.Exists(v2.CgroupDirectory));
    }

    [HybridCgroupFact]
    public void V2_mechanics_work_on_the_hybrid_unified_mount()
    {
        string unified = CgroupFs.Host.UnifiedMount!;
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
