using System.Diagnostics;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Restart policies on the real kernel, through the real docker CLI: a container killed from the host comes back
/// under `always` (RestartCount grows) but not after `docker stop`; a crashing one is "restarting" between runs with
/// Docker's doubling back-off; on-failure:N stops after N; after a daemon restart `always` and `unless-stopped`
/// containers start again unless the user stopped the unless-stopped one.
/// </summary>
public sealed class RestartPolicyTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose() => _docker.Dispose();

    private CommandResult Docker(params string[] args) => _docker.Run(args);

    private string Inspect(string name, string format) => Docker("inspect", "-f", format, name).Ok().Stdout.Trim();

    private int Pid(string name) => int.Parse(Inspect(name, "{{.State.Pid}}"));

    private int RestartCount(string name) => int.Parse(Inspect(name, "{{.RestartCount}}"));

    /// <summary>SIGKILL the container's PID 1 from the host, as a crash or the OOM killer would end it.</summary>
    private static void KillFromHost(int pid)
    {
        using var p = Process.GetProcessById(pid);
        p.Kill();
    }

    [Fact]
    public void Always_brings_back_a_container_killed_from_the_host_but_not_one_stopped_by_docker_stop()
    {
        string name = Support.Unique("rp-always");
        try
        {
            Docker("run", "-d", "--name", name, "--restart", "always", "busybox", "sleep", "1000").Ok();
            int first = Pid(name);
            KillFromHost(first);
            Support.WaitUntil(() => Inspect(name, "{{.State.Status}} {{.RestartCount}}") == "running 1", TimeSpan.FromSeconds(10), "the restart");
            int second = Pid(name);
            Assert.NotEqual(first, second);
            Assert.Matches(@"^Up ", Docker("ps", "--filter", "name=" + name, "--format", "{{.Status}}").Ok().Stdout.Trim());

            KillFromHost(second);
            Support.WaitUntil(() => Inspect(name, "{{.State.Status}} {{.RestartCount}}") == "running 2", TimeSpan.FromSeconds(10), "the second restart");

            Docker("stop", "-t", "1", name).Ok();
            Thread.Sleep(1500);   // well past the back-off (200 ms by now)
            Assert.Equal("exited false 2", Inspect(name, "{{.State.Status}} {{.State.Restarting}} {{.RestartCount}}"));
            Docker("start", name).Ok();
            Assert.Equal("running 0", Inspect(name, "{{.State.Status}} {{.RestartCount}}"));   // a user's start begins the count again
            Docker("kill", name).Ok();
            Thread.Sleep(1000);
            Assert.Equal("exited 137", Inspect(name, "{{.State.Status}} {{.State.ExitCode}}"));
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public void A_crashing_container_is_restarting_between_runs_with_a_doubling_back_off_and_rm_needs_force()
    {
        string name = Support.Unique("rp-crash");
        try
        {
            var clock = Stopwatch.StartNew();
            Docker("run", "-d", "--name", name, "--restart", "always", "busybox", "sh", "-c", "exit 3").Ok();
            // RestartCount grows as each restart is scheduled (at the exit, as dockerd counts): the fifth comes after
            // 100 + 200 + 400 + 800 ms of back-off.
            Support.WaitUntil(() => RestartCount(name) >= 5, TimeSpan.FromSeconds(20), "five restarts");
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1500), $"five restarts took only {clock.ElapsedMilliseconds} ms: no back-off");
            // Now 1.6 s between runs that last milliseconds: it is restarting nearly all the time.
            Support.WaitUntil(() => Inspect(name, "{{.State.Status}}") == "restarting", TimeSpan.FromSeconds(10), "the restarting state");
            Assert.Equal("true true 3 0", Inspect(name, "{{.State.Running}} {{.State.Restarting}} {{.State.ExitCode}} {{.State.Pid}}"));
            string ps = Docker("ps", "--filter", "name=" + name, "--format", "{{.Status}}").Ok().Stdout.Trim();
            Assert.Matches(@"^Restarting \(3\) .* ago$", ps);

            var rm = Docker("rm", name);
            Assert.NotEqual(0, rm.ExitCode);
            Assert.Contains("You cannot remove a restarting container", rm.Stderr);

            int count = RestartCount(name);
            Docker("stop", "-t", "1", name).Ok();   // cancels the pending restart (or, in a run's few ms, stops that run)
            Assert.Equal("exited", Inspect(name, "{{.State.Status}}"));
            Thread.Sleep(2000);
            Assert.Equal($"exited {count}", Inspect(name, "{{.State.Status}} {{.RestartCount}}"));
            Docker("rm", name).Ok();
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public void On_failure_stops_after_its_maximum_and_ignores_a_clean_exit()
    {
        string failing = Support.Unique("rp-onfail"), clean = Support.Unique("rp-clean");
        try
        {
            Docker("run", "-d", "--name", failing, "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 5").Ok();
            Docker("run", "-d", "--name", clean, "--restart", "on-failure", "busybox", "true").Ok();
            Support.WaitUntil(() => RestartCount(failing) == 2 && Inspect(failing, "{{.State.Status}}") == "exited", TimeSpan.FromSeconds(10), "two restarts, then exited");
            Thread.Sleep(1000);
            Assert.Equal("exited 5 2", Inspect(failing, "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}"));
            Assert.Equal("exited 0 0", Inspect(clean, "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}"));
        }
        finally { Docker("rm", "-f", failing, clean); }
    }

    [Fact]
    public void After_a_daemon_restart_always_and_unless_stopped_start_again_unless_the_user_stopped_the_latter()
    {
        string stoppedUnless = Support.Unique("rp-us-stopped"), diedUnless = Support.Unique("rp-us-died"), stoppedAlways = Support.Unique("rp-al-stopped");
        try
        {
            foreach (var (name, policy) in new[] { (stoppedUnless, "unless-stopped"), (diedUnless, "unless-stopped"), (stoppedAlways, "always") })
                _d.Run("run", "-d", "--name", name, "--restart", policy, "busybox", "sleep", "1000").Ok();
            _d.Run("stop", "-t", "1", stoppedUnless, stoppedAlways).Ok();
            int pid = int.Parse(Support.Inspect(_d, diedUnless, "{{.State.Pid}}"));

            _d.Stop();
            KillFromHost(pid);   // it dies while no daemon is there to restart it
            Support.WaitUntil(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(10), "the container to die");
            _d.Start();

            Support.WaitUntil(() => Support.Inspect(_d, diedUnless, "{{.State.Status}}") == "running", TimeSpan.FromSeconds(10), "the unless-stopped container that died");
            Support.WaitUntil(() => Support.Inspect(_d, stoppedAlways, "{{.State.Status}}") == "running", TimeSpan.FromSeconds(10), "the always container");
            Assert.NotEqual(pid, int.Parse(Support.Inspect(_d, diedUnless, "{{.State.Pid}}")));
            Thread.Sleep(500);
            Assert.Equal("exited", Support.Inspect(_d, stoppedUnless, "{{.State.Status}}"));
        }
        finally { _d.Run("rm", "-f", stoppedUnless, diedUnless, stoppedAlways); }
    }
}
