using System.Diagnostics;
using System.Text.Json;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `--init`: a small reaper is PID 1, the command runs under it, orphaned zombies are reaped and signals from `stop` and
/// `kill` reach the command. Without --init the command is PID 1 and does neither (the contrast proves the probes work).
/// </summary>
public sealed class InitTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    [Fact]
    public void With_init_the_command_is_not_pid_1_and_pid_1_is_the_reaper()
    {
        CommandResult r = _d.Run("run", "--rm", "--init", "busybox", "sh", "-c", "echo $$; echo $PPID; tr '\\0' ' ' < /proc/1/cmdline; echo").Ok();
        output.WriteLine(r.Stdout);
        string[] lines = r.Stdout.Lines();
        Assert.NotEqual("1", lines[0]);
        Assert.Equal("1", lines[1]);           // the command's parent is the reaper
        Assert.DoesNotContain("sh -c", lines[2]);

        NsInfo probe = Support.ParseNsInfo(_d.Run("run", "--rm", "--init", "mc-probe", "nsinfo").Ok().Stdout);
        Assert.NotEqual(1, probe.Pid);
        Assert.Equal(1, probe.Ppid);
    }

    [Fact]
    public void With_init_orphaned_zombies_are_reaped_and_without_it_they_stay()
    {
        Assert.Equal(0, ZombiesAfter(init: true, out int orphans));
        Assert.Equal(5, orphans);
        Assert.Equal(5, ZombiesAfter(init: false, out _));
    }

    /// <summary>Runs `zombies 5` and counts the processes in state Z inside the container a moment later.</summary>
    private int ZombiesAfter(bool init, out int orphans)
    {
        string name = Support.Unique(init ? "zinit" : "znoinit");
        try
        {
            var args = new List<string> { "run", "-d", "--name", name };
            if (init) args.Add("--init");
            args.AddRange(["mc-probe", "zombies", "5"]);
            _d.Run(args.ToArray()).Ok();
            string json = "";
            Support.WaitUntil(() => (json = _d.Run("logs", name).Stdout.Trim()).StartsWith('{'), TimeSpan.FromSeconds(10), "zombies to print its JSON");
            orphans = JsonDocument.Parse(json).RootElement.GetProperty("orphaned").GetArrayLength();
            int zombies = -1;
            var clock = Stopwatch.StartNew();
            // A reaper needs a moment; without one the count never drops, so wait the full second before believing it.
            while ((clock.Elapsed < TimeSpan.FromSeconds(init ? 5 : 1) || zombies < 0) && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                CommandResult ps = _d.Run("exec", name, "ps", "-o", "pid,stat,comm").Ok("exec ps");
                // An exec that lost its output (see RobustnessTests) says nothing about zombies: ask again.
                if (!ps.Stdout.Contains("PID")) { Thread.Sleep(100); continue; }
                zombies = ps.Stdout.Lines().Skip(1).Count(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1].StartsWith('Z'));
                if (init && zombies == 0) break;
                Thread.Sleep(100);
            }
            output.WriteLine($"init={init}: {orphans} orphans, {zombies} zombies\n{_d.Run("exec", name, "ps", "-o", "pid,ppid,stat,comm").Stdout}");
            return zombies;
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void With_init_stop_forwards_SIGTERM_so_the_container_exits_promptly()
    {
        string name = Support.Unique("initstop");
        try
        {
            _d.Run("run", "-d", "--init", "--name", name, "mc-probe", "sigwait").Ok();
            Support.WaitUntil(() => _d.Run("logs", name).Stdout.Contains("ready"), TimeSpan.FromSeconds(10), "sigwait to be ready");
            var clock = Stopwatch.StartNew();
            _d.Run("stop", name).Ok();   // default grace period 10 s: a forwarded SIGTERM ends it long before
            output.WriteLine($"stop took {clock.ElapsedMilliseconds} ms");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stop took {clock.Elapsed.TotalSeconds:0.0} s: SIGTERM was not forwarded");
            Assert.Equal("ready\nSIGTERM\n", _d.Run("logs", name).Ok().Stdout);
            Assert.Equal("0", Support.Inspect(_d, name, "{{.State.ExitCode}}"));
        }
        finally { _d.Run("rm", "-f", name); }

        name = Support.Unique("initsleep");
        try
        {
            _d.Run("run", "-d", "--init", "--name", name, "busybox", "sleep", "1000").Ok();
            var clock = Stopwatch.StartNew();
            _d.Run("stop", name).Ok();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stop of sleep under --init took {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal("143", Support.Inspect(_d, name, "{{.State.ExitCode}}"));   // 128 + SIGTERM, as the reaper reports it
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void With_init_kill_s_delivers_the_signal_to_the_command()
    {
        string name = Support.Unique("initkill");
        try
        {
            _d.Run("run", "-d", "--init", "--name", name, "busybox", "sleep", "1000").Ok();
            _d.Run("kill", "-s", "USR1", name).Ok();
            Assert.Equal("138", _d.Run("wait", name).Ok().Stdout.Trim());   // 128 + SIGUSR1 (10)
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Without_init_a_pid_1_that_ignores_SIGTERM_is_killed_after_the_stop_timeout()
    {
        string name = Support.Unique("noinit");
        try
        {
            _d.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").Ok();
            var clock = Stopwatch.StartNew();
            _d.Run("stop", "-t", "1", name).Ok();
            output.WriteLine($"stop -t 1 took {clock.ElapsedMilliseconds} ms");
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), "sleep as PID 1 should not die of SIGTERM");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"stop -t 1 took {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal("137", Support.Inspect(_d, name, "{{.State.ExitCode}}"));
        }
        finally { _d.Run("rm", "-f", name); }
    }
}
