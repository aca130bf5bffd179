using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// A daemon whose data root is a 64 MB tmpfs filled to the brim (mounted by the test under a prefixed temp dir,
/// unmounted after): the daemon still starts, containers that were running exit with their true exit codes (from
/// the exit record the shim reserved space for, and over the control socket), --rm removes, the shim drops log
/// lines instead of dying (and says so in shim.log when space returns), a create fails with a clear "no space
/// left on device" and leaves nothing behind, and in the end nothing of the test is left.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _root = Path.Combine("/tmp", "mc-test-full-" + Guid.NewGuid().ToString("N")[..8]);
    private string DataRoot => Path.Combine(_root, "data");
    private string Ctl => Path.Combine(_root, "ctl");
    private readonly Daemon _d;

    public FullDiskTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(DataRoot);
        Directory.CreateDirectory(Ctl);
        Daemon.Exec("mount", ["-t", "tmpfs", "-o", "size=64m,mode=0710", "mc-test-full", DataRoot]).Ok("mount tmpfs");
        try { _d = new Daemon("--data-root", DataRoot); }
        catch (Exception) { Unmount(); throw; }
    }

    public void Dispose()
    {
        try { File.Delete(Path.Combine(DataRoot, "filler")); } catch (IOException) { }
        // Open every gate: even if the test failed with no daemon left to rm -f them, the containers end by themselves
        // (and their shims remove their cgroups) before the tmpfs goes.
        foreach (string gate in new[] { "go", "go2" }) File.WriteAllText(Path.Combine(Ctl, gate), "");
        _d.Dispose();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (HostState.ShimProcesses(DataRoot).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(100);
        Unmount();
    }

    private void Unmount()
    {
        if (Daemon.Exec("umount", [DataRoot]).ExitCode != 0) Daemon.Exec("umount", ["-l", DataRoot]);
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string ContainerDir(string id) => Path.Combine(DataRoot, "containers", id);

    /// <summary>Fills the tmpfs until not one more byte fits.</summary>
    private void FillDisk()
    {
        string filler = Path.Combine(DataRoot, "filler");
        Daemon.Exec("dd", ["if=/dev/zero", $"of={filler}", "bs=1M"]);
        Daemon.Exec("dd", ["if=/dev/zero", $"of={filler}", "bs=512", "oflag=append", "conv=notrunc"]);
        string df = Daemon.Exec("df", ["-B1", "--output=avail", DataRoot]).Ok().Stdout.Lines()[1].Trim();
        _output.WriteLine($"filled: {df} bytes available");
        Assert.Equal("0", df);
    }

    /// <summary>Waits for /ctl/NAME, then prints lines, then exits with code.</summary>
    private static string Script(string gate, int lines, int code, string? secondGate = null) =>
        $"until [ -e /ctl/{gate} ]; do usleep 20000; done; i=0; while [ $i -lt {lines} ]; do echo \"line $i of output that finds no room\"; i=$((i+1)); done; " +
        (secondGate is null ? "" : $"until [ -e /ctl/{secondGate} ]; do usleep 20000; done; echo after-space-returned; ") + $"exit {code}";

    [Fact]
    public void On_a_full_data_root_the_daemon_starts_exit_codes_are_right_rm_works_and_nothing_is_left()
    {
        string v = Ctl + ":/ctl";
        _d.Run("run", "-d", "--rm", "--name", "autorm", "-v", v, "busybox", "sh", "-c", Script("go", 500, 3)).Ok();
        _d.Run("run", "-d", "--name", "kept", "-v", v, "busybox", "sh", "-c", Script("go", 500, 5)).Ok();
        _d.Run("run", "-d", "--name", "chatty", "-v", v, "busybox", "sh", "-c", Script("go", 2000, 4, secondGate: "go2")).Ok();
        string autorm = Support.IdOf(_d, "autorm"), kept = Support.IdOf(_d, "kept"), chatty = Support.IdOf(_d, "chatty");
        var cgroupsBefore = Support.CgroupSnapshot();

        FillDisk();

        // The daemon starts on a full disk, and says why it could not write (the pid file).
        _d.Stop();
        _d.Start();
        string daemonLog = File.ReadAllText(_d.LogFile);
        Assert.Contains("no space left on device", daemonLog, StringComparison.OrdinalIgnoreCase);

        // A create fails with the reason, and leaves nothing behind.
        var create = _d.Run("create", "--name", "nospace", "busybox", "true");
        _output.WriteLine("create on a full disk: " + create);
        Assert.NotEqual(0, create.ExitCode);
        Assert.Contains("no space left on device", create.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("nospace", Support.PsAll(_d));
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(DataRoot, "containers")).Length);

        // Running containers exit with their true codes while the disk is full; --rm removes.
        var waitAutorm = Task.Run(() => _d.Run("wait", "autorm"));
        var waitKept = Task.Run(() => _d.Run("wait", "kept"));
        Thread.Sleep(300);  // both waits are in place before the exits
        File.WriteAllText(Path.Combine(Ctl, "go"), "");
        Assert.True(Task.WaitAll([waitAutorm, waitKept], Support.TimeLimit(60)), "the containers did not exit");
        _output.WriteLine($"wait autorm: {waitAutorm.Result}\nwait kept: {waitKept.Result}");
        Assert.Equal("3", waitAutorm.Result.Stdout.Trim());
        Assert.Equal("5", waitKept.Result.Ok().Stdout.Trim());
        Support.WaitUntil(() => !Support.PsAll(_d).Contains("autorm"), Support.TimeLimit(10), "--rm to remove autorm");
        Assert.False(Directory.Exists(ContainerDir(autorm)), "autorm's directory is left");

        // A daemon restarted while the disk is still full reads the exit code the shim recorded in its reserved space
        // (the daemon itself could not save the state: its config still says "running").
        _d.Stop();
        _d.Start();
        Assert.Equal("exited 5", Support.Inspect(_d, "kept", "{{.State.Status}} {{.State.ExitCode}}"));

        // The chatty shim survived the full disk (its process still waits); space returns; its log works again and
        // shim.log says how many lines were dropped.
        Assert.Equal("true", Support.Inspect(_d, "chatty", "{{.State.Running}}"));
        File.Delete(Path.Combine(DataRoot, "filler"));
        File.WriteAllText(Path.Combine(Ctl, "go2"), "");
        Assert.Equal("4", _d.Run("wait", "chatty").Ok().Stdout.Trim());
        Assert.Contains("after-space-returned", _d.Run("logs", "chatty").Ok().Stdout);
        string shimLog = File.ReadAllText(Path.Combine(ContainerDir(chatty), "shim.log"));
        _output.WriteLine("chatty's shim.log:\n" + shimLog);
        Assert.Contains("log line(s) were dropped", shimLog);

        // Nothing left: no container directory, cgroup, shim or half-written state file.
        _d.Run("rm", "-f", "kept", "chatty").Ok();
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(DataRoot, "containers")));
        Assert.Empty(Support.LeakedCgroupsSince(cgroupsBefore, Support.TimeLimit(5)));
        Assert.Empty(HostState.CgroupsOf(kept).Concat(HostState.CgroupsOf(chatty)).Concat(HostState.CgroupsOf(autorm)));
        Assert.Empty(HostState.ShimProcesses(DataRoot));
        Assert.Empty(Directory.GetFiles(DataRoot, "*.tmp-*", SearchOption.AllDirectories));
    }
}
