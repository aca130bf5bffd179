using System.Diagnostics;
using MiniContainer.NativeTests.Cgroups;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// The warm shim (cgroup v1 hosts): after a start, the daemon starts the next container's shim ahead of time, with its
/// init stage cloned into new PID, UTS, IPC and network namespaces and waiting in a spare cgroup (minicontainer/warm-PID).
/// The next `run` that wants exactly those namespaces takes it. Checked from outside, as for any container: the shim is
/// the container's PID 1's parent, the spare cgroup was renamed to the container's (its limits written), the init stage
/// made its mount namespace when it learnt its container (a mount the host made after the shim was prepared is seen),
/// stdio and exit codes are a container's, and nothing of a warm shim outlives its daemon.
/// </summary>
public sealed class WarmShimTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    /// <summary>The daemon's idle warm shim and its init stage, once it has one (after a first start).</summary>
    private static (int Shim, int Init) WaitForWarmShim(Daemon d)
    {
        (int, int) found = default;
        Support.WaitUntil(() => (found = FindWarmShim(d)) != default, Support.TimeLimit(10), "a warm shim, ready, with its init stage in its spare cgroup");
        return found;
    }

    private static (int Shim, int Init) FindWarmShim(Daemon d)
    {
        foreach (int pid in Processes())
        {
            if (Parent(pid) != d.DaemonPid || CommandLine(pid) != "minicontainer-shim warm") continue;
            foreach (int child in Processes())
                if (Parent(child) == pid && CommandLine(child) == "minicontainer-init init-warm" &&
                    SpareCgroupProcesses(pid).Contains(child))
                    return (pid, child);
        }
        return default;
    }

    private static IEnumerable<int> Processes() =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(n => int.Parse(n!)).ToList();

    /// <summary>The parent pid, or -1 for a process that has gone meanwhile.</summary>
    private static int Parent(int pid)
    {
        try { return Support.ParentOf(pid); }
        catch (IOException) { return -1; }
    }

    private static string CommandLine(int pid)
    {
        try { return Path.GetFileName(File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()); }
        catch (IOException) { return ""; }
    }

    /// <summary>The spare cgroup's directories (one per v1 hierarchy).</summary>
    private static IReadOnlyList<string> SpareCgroup(int shim) =>
        HostState.ContainerCgroups().Where(d => d.EndsWith("/minicontainer/warm-" + shim, StringComparison.Ordinal)).ToList();

    private static IReadOnlyList<int> SpareCgroupProcesses(int shim) =>
        SpareCgroup(shim).SelectMany(d =>
        {
            try { return File.ReadAllLines(Path.Combine(d, "cgroup.procs")).Select(int.Parse); }
            catch (IOException) { return []; }
        }).Distinct().ToList();

    [CgroupV1Fact]
    public void The_next_run_takes_the_warm_shim_and_is_a_container_like_any_other()
    {
        _d.Run("run", "--rm", "busybox", "true").Ok();   // the first start is a cold one; the warm shim follows it
        var (shim, init) = WaitForWarmShim(_d);
        output.WriteLine($"warm shim {shim}, its init stage {init}, spare cgroup:\n{string.Join("\n", SpareCgroup(shim))}");
        Assert.NotEmpty(SpareCgroup(shim));

        string name = Support.Unique("warm");
        _d.Run("run", "-d", "--name", name, "-m", "48m", "--pids-limit", "20", "busybox", "sleep", "300").Ok();
        try
        {
            string id = Support.IdOf(_d, name);
            int pid = int.Parse(Support.Inspect(_d, name, "{{.State.Pid}}"));
            Assert.Equal(init, pid);                          // the waiting init stage became the container's PID 1
            Assert.Equal(shim, Support.ShimPidOf(_d, name));  // and the warm shim its shim
            Assert.Empty(SpareCgroup(shim));                  // renamed: the container's cgroup, with PID 1 already in it
            IReadOnlyList<string> cgroups = HostState.CgroupsOf(id);
            Assert.NotEmpty(cgroups);
            foreach (string dir in cgroups)
                Assert.Contains(pid.ToString(), File.ReadAllLines(Path.Combine(dir, "cgroup.procs")));
            Assert.Equal((48L << 20).ToString(), File.ReadAllText(cgroups.Single(d => d.StartsWith("/sys/fs/cgroup/memory/"))
                + "/memory.limit_in_bytes").Trim());
            Assert.Equal("20", File.ReadAllText(cgroups.Single(d => d.StartsWith("/sys/fs/cgroup/pids/")) + "/pids.max").Trim());

            // Inside: its own hostname, PID 1 is the command, the cgroup namespace is rooted at its cgroup; outside:
            // its own PID and network namespaces.
            Assert.Equal(id[..12], _d.Run("exec", name, "hostname").Ok().Stdout.Trim());
            Assert.Equal("sleep300", _d.Run("exec", name, "cat", "/proc/1/cmdline").Ok().Stdout.Replace("\0", ""));
            Assert.Contains(_d.Run("exec", name, "cat", "/proc/self/cgroup").Ok().Stdout.Lines(), l => l.Contains(":memory:") && l.EndsWith(":/"));
            foreach (string ns in new[] { "pid", "net", "uts", "ipc", "mnt", "cgroup" })
                Assert.NotEqual(new FileInfo($"/proc/self/ns/{ns}").LinkTarget, new FileInfo($"/proc/{pid}/ns/{ns}").LinkTarget);

            // A new warm shim is made for the next start.
            var (next, _) = WaitForWarmShim(_d);
            Assert.NotEqual(shim, next);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [CgroupV1Fact]
    public void A_warm_shim_sees_the_host_mounts_made_after_it_was_prepared()
    {
        _d.Run("run", "--rm", "busybox", "true").Ok();
        var (shim, _) = WaitForWarmShim(_d);
        // A tmpfs mounted on the host now, after the warm shim's init stage was cloned: a mount namespace copied at
        // that clone would show the empty directory under it.
        string dir = Path.Combine(_d.Root, Support.Unique("hostmount"));
        Directory.CreateDirectory(dir);
        Daemon.Exec("mount", ["-t", "tmpfs", "-o", "size=1m", "mc-test-tmpfs", dir]).Ok("mount tmpfs");
        string name = Support.Unique("warm-mount");
        try
        {
            File.WriteAllText(Path.Combine(dir, "greeting"), "made after the shim\n");
            _d.Run("run", "-d", "--name", name, "-v", $"{dir}:/data", "busybox", "sleep", "300").Ok();
            Assert.Equal(shim, Support.ShimPidOf(_d, name));
            Assert.Equal("made after the shim", _d.Run("exec", name, "cat", "/data/greeting").Ok().Stdout.Trim());
            // The init stage's mount namespace is its own: the host does not see the container's rootfs mounts.
            int pid = int.Parse(Support.Inspect(_d, name, "{{.State.Pid}}"));
            Assert.NotEqual(new FileInfo("/proc/self/ns/mnt").LinkTarget, new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget);
            Assert.DoesNotContain(HostState.MountsUnder(_d.Root), l => l.Contains(" overlay "));
        }
        finally
        {
            _d.Run("rm", "-f", name);
            Daemon.Exec("umount", [dir]);
            Directory.Delete(dir);
        }
    }

    [CgroupV1Fact]
    public void Stdio_exit_codes_and_limits_of_runs_on_warm_shims_are_a_containers()
    {
        for (int round = 0; round < 3; round++)   // the first run may be cold; the others take warm shims
        {
            var echo = _d.RunWithInput("hello from stdin\n", "run", "--rm", "-i", "busybox", "cat");
            Assert.Equal(0, echo.ExitCode);
            Assert.Equal("hello from stdin\n", echo.Stdout);
            var split = _d.Run("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3");
            Assert.Equal(3, split.ExitCode);
            Assert.Equal("out\n", split.Stdout);
            Assert.Contains("err", split.Stderr);
            Assert.Equal(137, _d.Run("run", "--rm", "-m", "16m", "mc-probe", "memhog", "64").ExitCode);
        }
    }

    [CgroupV1Fact]
    public void A_container_whose_cgroup_is_already_there_still_starts_on_the_warm_shim_inside_it()
    {
        _d.Run("run", "--rm", "busybox", "true").Ok();
        var (shim, init) = WaitForWarmShim(_d);
        string name = Support.Unique("warm-existing");
        _d.Run("create", "--name", name, "--pids-limit", "30", "busybox", "sleep", "300").Ok();
        string id = Support.IdOf(_d, name);
        try
        {
            // Its cgroup made by hand before the start (as a shim killed at the wrong moment could leave it): the spare
            // cgroup cannot be renamed onto it, so the init stage is moved into it instead.
            foreach (string hierarchy in new[] { "pids", "memory" }) Directory.CreateDirectory($"/sys/fs/cgroup/{hierarchy}/minicontainer/{id}");
            _d.Run("start", name).Ok();
            Assert.Equal(shim, Support.ShimPidOf(_d, name));
            Assert.Equal(init, int.Parse(Support.Inspect(_d, name, "{{.State.Pid}}")));
            Assert.Contains(init.ToString(), File.ReadAllLines($"/sys/fs/cgroup/pids/minicontainer/{id}/cgroup.procs"));
            Assert.Equal("30", File.ReadAllText($"/sys/fs/cgroup/pids/minicontainer/{id}/pids.max").Trim());
            Assert.Empty(SpareCgroup(shim));
        }
        finally { _d.Run("rm", "-f", name); }
        Assert.Empty(HostState.CgroupsOf(id));
    }

    [CgroupV1Fact]
    public void Containers_that_need_other_namespaces_get_a_shim_of_their_own_and_leave_the_warm_one_waiting()
    {
        _d.Run("run", "--rm", "busybox", "true").Ok();
        var (shim, init) = WaitForWarmShim(_d);
        foreach (string[] options in new[] { new[] { "--network", "host" }, new[] { "--uts", "host" }, new[] { "--pid", "host" } })
        {
            string name = Support.Unique("own-shim");
            _d.Run(["run", "-d", "--name", name, .. options, "busybox", "sleep", "300"]).Ok();
            try
            {
                Assert.NotEqual(shim, Support.ShimPidOf(_d, name));
                Assert.Equal((shim, init), FindWarmShim(_d));
            }
            finally { _d.Run("rm", "-f", name); }
        }
    }

    [CgroupV1Fact]
    public void A_warm_shim_killed_while_it_waits_is_replaced_and_leaves_no_cgroup()
    {
        _d.Run("run", "--rm", "busybox", "true").Ok();
        var (shim, init) = WaitForWarmShim(_d);
        Process.Start("kill", ["-9", shim.ToString()])!.WaitForExit();
        Support.WaitUntil(() => !File.Exists($"/proc/{init}/cmdline") || CommandLine(init) == "", Support.TimeLimit(10), "its init stage to die with it");
        Assert.Equal("still works\n", _d.Run("run", "--rm", "busybox", "echo", "still works").Ok().Stdout);
        Assert.Empty(SpareCgroup(shim));
        var (next, _) = WaitForWarmShim(_d);
        Assert.NotEqual(shim, next);
    }

    /// <summary>The earliest kill: as soon as the new warm shim's spare cgroup exists, before its init stage is in it and
    /// before the daemon has read its "ready". Such a shim never becomes one the daemon holds, so no start takes it and
    /// finds it dead: the daemon must remove what it made when it reads the end of its output. Repeated, since where
    /// exactly the kill lands is up to the scheduler.</summary>
    [CgroupV1Fact]
    public void A_warm_shim_killed_before_it_is_ready_leaves_no_cgroup()
    {
        for (int round = 0; round < 8; round++)
        {
            var before = Processes().Where(p => Parent(p) == _d.DaemonPid && CommandLine(p) == "minicontainer-shim warm").ToHashSet();
            _d.Run("run", "--rm", "busybox", "true").Ok();   // its start is over: the daemon starts the next warm shim
            int killed = 0;
            Support.WaitUntil(() =>
            {
                foreach (int pid in Processes())
                    if (!before.Contains(pid) && Parent(pid) == _d.DaemonPid && CommandLine(pid) == "minicontainer-shim warm" &&
                        SpareCgroup(pid).Count > 0)
                    {
                        Process.Start("kill", ["-9", pid.ToString()])!.WaitForExit();
                        killed = pid;
                        return true;
                    }
                return false;
            }, Support.TimeLimit(10), "the next warm shim and its spare cgroup");
            Assert.Equal("still works\n", _d.Run("run", "--rm", "busybox", "echo", "still works").Ok().Stdout);
            Support.WaitUntil(() => SpareCgroup(killed).Count == 0, Support.TimeLimit(10), $"the spare cgroup of killed warm shim {killed} to be removed");
        }
    }

    [CgroupV1Fact]
    public void A_daemon_start_removes_spare_cgroups_whose_warm_shim_is_gone()
    {
        // A pid above the kernel's pid_max can never be a live warm shim's.
        int gone = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim()) + 1;
        foreach (string hierarchy in new[] { "pids", "memory" }) Directory.CreateDirectory($"/sys/fs/cgroup/{hierarchy}/minicontainer/warm-{gone}");
        Assert.NotEmpty(SpareCgroup(gone));
        using var d = new Daemon();
        Assert.Empty(SpareCgroup(gone));
    }

    [CgroupV1Fact]
    public void Nothing_of_a_warm_shim_outlives_its_daemon()
    {
        using var d = new Daemon();
        d.Run("run", "--rm", "busybox", "true").Ok();
        var (shim, init) = WaitForWarmShim(d);
        d.Stop();
        Support.WaitUntil(() => CommandLine(shim) == "" && CommandLine(init) == "", Support.TimeLimit(10), "the warm shim and its init stage to exit");
        Assert.Empty(SpareCgroup(shim));
        // Killed rather than stopped: the warm shim sees its stdin end, and cleans up the same way.
        d.Start();
        d.Run("run", "--rm", "busybox", "true").Ok();
        (shim, init) = WaitForWarmShim(d);
        Process.Start("kill", ["-9", d.DaemonPid.ToString()])!.WaitForExit();
        Support.WaitUntil(() => CommandLine(shim) == "" && CommandLine(init) == "", Support.TimeLimit(10), "the warm shim and its init stage to exit");
        Assert.Empty(SpareCgroup(shim));
        d.Start();
    }
}
