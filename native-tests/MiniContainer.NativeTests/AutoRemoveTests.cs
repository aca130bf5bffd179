using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `run --rm`: the container goes when it exits, so its writable layer is mounted "volatile" (overlayfs never syncs
/// it, not even when the container's exit unmounts it). A kept container's layer is not. `restart` keeps an --rm
/// container (as dockerd does), and its volatile layer mounts again; the exit after that removes it.
/// </summary>
public sealed class AutoRemoveTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    /// <summary>The volatile option came with Linux 5.10; an older kernel mounts every layer as before.</summary>
    private static bool KernelHasVolatile => MiniContainer.Security.Seccomp.SeccompCompiler.RunningKernel >= new Version(5, 10);

    /// <summary>The options of the container's root mount, as the kernel shows them (/proc/mounts inside).</summary>
    private static string[] RootOptions(string procMounts) =>
        Support.ParseMounts(procMounts).Last(m => m.Target == "/" && m.FsType == "overlay").Options;

    private static bool IsVolatile(string[] options) =>
        options.Any(o => o is "volatile" or "fsync=volatile");   // Linux 6.x shows it as fsync=volatile

    [Fact]
    public void Run_rm_mounts_its_writable_layer_volatile_and_a_kept_container_does_not()
    {
        var rm = _d.Run("run", "--rm", "busybox", "sh", "-c", "echo written > /f && cat /f && cat /proc/mounts").Ok();
        Assert.StartsWith("written\n", rm.Stdout);
        string[] rmOptions = RootOptions(rm.Stdout);
        output.WriteLine("--rm: " + string.Join(',', rmOptions));
        Assert.Equal(KernelHasVolatile, IsVolatile(rmOptions));

        string name = Support.Unique("kept");
        try
        {
            var kept = _d.Run("run", "--name", name, "busybox", "cat", "/proc/mounts").Ok();
            string[] keptOptions = RootOptions(kept.Stdout);
            output.WriteLine("kept: " + string.Join(',', keptOptions));
            Assert.False(IsVolatile(keptOptions), "a container that is kept after it exits had its writable layer mounted volatile");
            // It can be started again (a volatile layer could not be, without the daemon's help).
            _d.Run("start", "-a", name).Ok("a second start of the kept container");
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Restart_keeps_an_rm_container_and_its_next_exit_removes_it()
    {
        string name = Support.Unique("rm-restart");
        try
        {
            _d.Run("run", "-d", "--rm", "--name", name, "busybox", "sh", "-c", "echo started; cat /proc/mounts; sleep 100").Ok();
            string id = Support.IdOf(_d, name);
            Support.WaitUntil(() => _d.Run("logs", name).Stdout.StartsWith("started"), TimeSpan.FromSeconds(10), "the first run's output");

            _d.Run("restart", "-t", "1", name).Ok("restart of an --rm container");
            Assert.Equal("true", Support.Inspect(_d, name, "{{.State.Running}}"));
            Support.WaitUntil(() => _d.Run("logs", name).Stdout.Lines().Count(l => l == "started") == 2, TimeSpan.FromSeconds(10),
                "the second run's output");
            // The second run's layer is the first run's upper dir, mounted (volatile) once more.
            string secondRun = _d.Run("exec", name, "cat", "/proc/mounts").Ok().Stdout;
            Assert.Equal(KernelHasVolatile, IsVolatile(RootOptions(secondRun)));

            _d.Run("stop", "-t", "1", name).Ok();
            Support.WaitUntil(() => !_d.Run("ps", "-aq", "--no-trunc").Stdout.Contains(id), TimeSpan.FromSeconds(10),
                "the --rm container's removal after the exit that followed its restart");
            Assert.Empty(HostState.CgroupsOf(id));
        }
        finally { _d.Run("rm", "-f", name); }
    }
}
