using System.Collections.Concurrent;
using System.Diagnostics;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Many containers, one after another and all at once: no failure, no hang, and afterwards nothing left behind — no
/// container, shim, mount, cgroup or container directory — and no growth in the daemon's open file descriptors.
/// The elapsed times are written to the test output.
/// </summary>
public sealed class RobustnessTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    private sealed record Baseline(int Fds, HashSet<string> Cgroups, long RssKiB);

    private Baseline Measure()
    {
        // A few runs first, so that whatever the daemon opens once and keeps (log files, listeners) is in the baseline.
        for (int i = 0; i < 3; i++) _d.Run("run", "--rm", "busybox", "true").Ok("warm-up run");
        Assert.Empty(_d.Run("ps", "-aq").Ok().Stdout.Lines());
        return new Baseline(HostState.OpenFds(_d.DaemonPid), Support.CgroupSnapshot(), RssKiB(_d.DaemonPid));
    }

    private static long RssKiB(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    /// <summary>Everything of ours is gone, and the daemon holds no more than a few more fds than before.</summary>
    private void AssertNothingLeft(Baseline before)
    {
        Assert.Empty(_d.Run("ps", "-aq").Ok().Stdout.Lines());
        Support.WaitUntil(() => Support.ShimsOf(_d).Count == 0, TimeSpan.FromSeconds(10), "every shim to exit");
        Assert.Empty(HostState.MountsUnder(_d.Root));
        Assert.Empty(Support.LeakedCgroupsSince(before.Cgroups, TimeSpan.FromSeconds(5)));
        string containers = Path.Combine(_d.DataRoot, "containers");
        Assert.Empty(Directory.Exists(containers) ? Directory.GetFileSystemEntries(containers) : []);

        int fds = HostState.OpenFds(_d.DaemonPid);
        var clock = Stopwatch.StartNew();
        while (fds > before.Fds + 5 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(250);
            fds = HostState.OpenFds(_d.DaemonPid);
        }
        long rss = RssKiB(_d.DaemonPid);
        output.WriteLine($"daemon fds: {before.Fds} before, {fds} after; RSS {before.RssKiB / 1024.0:0.0} MiB before, {rss / 1024.0:0.0} MiB after");
        Assert.True(fds <= before.Fds + 5, $"the daemon's open fds grew from {before.Fds} to {fds}:\n{string.Join("\n", FdTargets(_d.DaemonPid))}");
        // A run allocates ~0.4 MB in the daemon; its 4 MiB gen0 budget (MiniContainer.Daemon.csproj) keeps the heap
        // small. With the default budget the RSS grew ~80 MB over 300 runs before the first collections caught up.
        Assert.True(rss <= before.RssKiB + 32 * 1024, $"the daemon's RSS grew from {before.RssKiB / 1024.0:0.0} to {rss / 1024.0:0.0} MiB");
    }

    private static IEnumerable<string> FdTargets(int pid) =>
        Directory.GetFiles($"/proc/{pid}/fd").Select(f => { try { return new FileInfo(f).LinkTarget ?? "?"; } catch (IOException) { return "?"; } })
            .GroupBy(t => t.StartsWith("socket:") ? "socket" : t.StartsWith("pipe:") ? "pipe" : t).Select(g => $"{g.Count(),5} {g.Key}");

    private static string Summary(List<double> ms) =>
        ms.Count == 0 ? "no runs" : $"mean {ms.Average():0} ms, median {ms.Order().ElementAt(ms.Count / 2):0} ms, p95 {ms.Order().ElementAt((int)(ms.Count * 0.95)):0} ms, max {ms.Max():0} ms";

    [Fact(Timeout = 600_000)]
    public async Task Three_hundred_sequential_run_rm_true_all_succeed_and_leave_nothing()
    {
        await Task.Run(() =>
        {
            Baseline before = Measure();
            var failures = new List<string>();
            var times = new List<double>();
            var total = Stopwatch.StartNew();
            for (int i = 0; i < 300; i++)
            {
                var one = Stopwatch.StartNew();
                CommandResult r = _d.Run("run", "--rm", "busybox", "true");
                times.Add(one.Elapsed.TotalMilliseconds);
                if (r.ExitCode != 0 || r.Stdout != "" || r.Stderr != "") failures.Add($"run {i}: {r}");
            }
            total.Stop();
            output.WriteLine($"300 sequential `run --rm busybox true`: {total.Elapsed.TotalSeconds:0.0} s total; {Summary(times)}; {failures.Count} failed");
            AssertNothingLeft(before);
            Assert.True(failures.Count == 0, $"{failures.Count} of 300 runs failed; the first:\n{string.Join("\n", failures.Take(3))}");
        });
    }

    [Fact(Timeout = 300_000)]
    public async Task A_hundred_sequential_execs_leave_no_shim_and_no_fd_behind()
    {
        await Task.Run(() =>
        {
            Baseline before = Measure();
            string name = Support.Unique("execs");
            var failures = new List<string>();
            try
            {
                _d.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").Ok();
                int shims = Support.ShimsOf(_d).Count;
                var times = new List<double>();
                for (int i = 0; i < 100; i++)
                {
                    var one = Stopwatch.StartNew();
                    CommandResult r = _d.Run("exec", name, "echo", i.ToString());
                    times.Add(one.Elapsed.TotalMilliseconds);
                    if (r.ExitCode != 0 || r.Stdout != $"{i}\n") failures.Add($"exec {i}: {r}");
                }
                output.WriteLine($"100 sequential `exec <ctr> echo N`: {Summary(times)}; {failures.Count} failed");
                Support.WaitUntil(() => Support.ShimsOf(_d).Count == shims, TimeSpan.FromSeconds(10), "the exec shims to exit");
                // Inside, only the container's sleep and this ps: no exec'd process lingers, not even as a zombie.
                CommandResult ps = _d.Run("exec", name, "ps", "-o", "pid,stat,comm").Ok();
                string[] processes = ps.Stdout.Lines().Skip(1).ToArray();
                Assert.True(processes.Length == 2, $"processes left in the container (or exec lost its output):\n{ps}");
            }
            finally { _d.Run("rm", "-f", name); }
            AssertNothingLeft(before);
            Assert.True(failures.Count == 0, $"{failures.Count} of 100 execs failed or lost their output; the first:\n{string.Join("\n", failures.Take(3))}");
        });
    }

    [Fact(Timeout = 300_000)]
    public async Task Thirty_concurrent_runs_all_succeed_with_their_own_output_and_leave_nothing()
    {
        Baseline before = Measure();
        string prefix = Support.Unique("conc");
        var failures = new ConcurrentBag<string>();
        var times = new ConcurrentBag<double>();
        using var go = new ManualResetEventSlim(false);
        var total = new Stopwatch();
        Task[] runs = Enumerable.Range(0, 30).Select(i => Task.Factory.StartNew(() =>
        {
            go.Wait();
            var one = Stopwatch.StartNew();
            CommandResult r = _d.Run("run", "--rm", "--name", $"{prefix}-{i}", "busybox", "sh", "-c", $"echo run-{i}; echo err-{i} >&2");
            times.Add(one.Elapsed.TotalMilliseconds);
            if (r.ExitCode != 0 || r.Stdout != $"run-{i}\n" || r.Stderr != $"err-{i}\n") failures.Add($"run {i}: {r}");
        }, TaskCreationOptions.LongRunning)).ToArray();
        total.Start();
        go.Set();
        await Task.WhenAll(runs);
        total.Stop();
        output.WriteLine($"30 concurrent `run --rm`: {total.Elapsed.TotalSeconds:0.00} s for all; {Summary(times.ToList())}; {failures.Count} failed");
        AssertNothingLeft(before);
        Assert.True(failures.IsEmpty, $"{failures.Count} of 30 concurrent runs failed; the first:\n{string.Join("\n", failures.Take(3))}");
    }

    [Fact(Timeout = 300_000)]
    public async Task Thirty_concurrent_detached_containers_can_all_be_force_removed_at_once()
    {
        Baseline before = Measure();
        string prefix = Support.Unique("concd");
        string[] names = Enumerable.Range(0, 30).Select(i => $"{prefix}-{i}").ToArray();
        var clock = Stopwatch.StartNew();
        CommandResult[] started = await Task.WhenAll(names.Select(n => Task.Factory.StartNew(
            () => _d.Run("run", "-d", "--name", n, "busybox", "sleep", "1000"), TaskCreationOptions.LongRunning)));
        output.WriteLine($"30 concurrent `run -d`: {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.All(started, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Equal(30, _d.Run("ps", "-q").Ok().Stdout.Lines().Length);
        Assert.Equal(30, Support.ShimsOf(_d).Count);

        clock.Restart();
        CommandResult[] removed = await Task.WhenAll(names.Select(n => Task.Factory.StartNew(
            () => _d.Run("rm", "-f", n), TaskCreationOptions.LongRunning)));
        output.WriteLine($"30 concurrent `rm -f`: {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.All(removed, r => Assert.True(r.ExitCode == 0, r.ToString()));
        AssertNothingLeft(before);
    }
}
