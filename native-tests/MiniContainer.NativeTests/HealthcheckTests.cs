using System.Text.Json.Nodes;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Healthchecks on the real kernel, driven by the real docker CLI where it has the flag: probes run as execs in the
/// container, states go starting → healthy / unhealthy with Docker's timing, a probe that outlives its timeout is
/// killed, and probing stops with the container and resumes after a daemon restart. Intervals are 200 ms.
/// </summary>
public sealed class HealthcheckTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose() => _docker.Dispose();

    private CommandResult Docker(params string[] args) => _docker.Run(args);

    private JsonNode Health(string name) =>
        JsonNode.Parse(Docker("inspect", "-f", "{{json .State.Health}}", name).Ok().Stdout)!;

    private string Status(string name) => (string)Health(name)["Status"]!;

    private void WaitForStatus(string name, string status, double seconds = 15) =>
        Support.WaitUntil(() => Status(name) == status, TimeSpan.FromSeconds(seconds), $"{name} to be {status}");

    private string PsStatus(string name) =>
        Docker("ps", "--filter", "name=" + name, "--format", "{{.Status}}").Ok().Stdout.Trim();

    private string[] NamesWithHealth(string health) =>
        Docker("ps", "--filter", "health=" + health, "--format", "{{.Names}}").Ok().Stdout.Lines();

    [Fact]
    public void A_health_cmd_goes_from_starting_to_healthy_once_its_file_exists()
    {
        string name = Support.Unique("hc-ok");
        try
        {
            Docker("run", "-d", "--name", name, "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms",
                "--health-retries", "1000", "busybox", "sleep", "1000").Ok();
            Assert.Equal("""{"Test":["CMD-SHELL","test -f /tmp/ok"],"Interval":200000000,"Retries":1000}""",
                Docker("inspect", "-f", "{{json .Config.Healthcheck}}", name).Ok().Stdout.Trim());
            Assert.Equal("starting", Status(name));
            Assert.Matches(@"^Up .* \(health: starting\)$", PsStatus(name));
            Assert.Contains(name, NamesWithHealth("starting"));
            Support.WaitUntil(() => Health(name)["FailingStreak"]!.GetValue<int>() >= 2, TimeSpan.FromSeconds(10), "two failed probes");
            Assert.Equal("starting", Status(name));

            Docker("exec", name, "touch", "/tmp/ok").Ok();
            WaitForStatus(name, "healthy");
            var health = Health(name);
            Assert.Equal(0, health["FailingStreak"]!.GetValue<int>());
            var last = health["Log"]!.AsArray().Last()!;
            Assert.Equal(0, last["ExitCode"]!.GetValue<int>());
            Assert.True(DateTimeOffset.Parse((string)last["End"]!) >= DateTimeOffset.Parse((string)last["Start"]!));
            Assert.Matches(@"^Up .* \(healthy\)$", PsStatus(name));
            Assert.Contains(name, NamesWithHealth("healthy"));
            Assert.DoesNotContain(name, NamesWithHealth("starting"));
            Assert.DoesNotContain(name, NamesWithHealth("none"));
            // Probes are execs that come and go: the container's ExecIDs hold only the user's `touch`.
            Assert.Single(JsonNode.Parse(Docker("inspect", "-f", "{{json .ExecIDs}}", name).Ok().Stdout)!.AsArray());
            // The change is an event (docker-compose and `docker events` watch for it), published as the state is saved.
            string[] HealthEvents() => Docker("events", "--since", "1h", "--until", "0s", "--filter", $"container={name}",
                "--filter", "event=health_status", "--format", "{{.Action}}").Ok().Stdout.Lines();
            Support.WaitUntil(() => HealthEvents().Length > 0, TimeSpan.FromSeconds(5), "a health_status event");
            Assert.Equal(["health_status: healthy"], HealthEvents());
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public void Three_failures_make_it_unhealthy_with_the_streak_and_the_log_to_show_for_it()
    {
        string name = Support.Unique("hc-fail"), plain = Support.Unique("hc-none");
        try
        {
            Docker("run", "-d", "--name", name, "--health-cmd", "echo not yet >&2; exit 3", "--health-interval", "200ms", "busybox", "sleep", "1000").Ok();
            Docker("run", "-d", "--name", plain, "busybox", "sleep", "1000").Ok();
            WaitForStatus(name, "unhealthy");
            var health = Health(name);
            output.WriteLine(health.ToJsonString());
            Assert.True(health["FailingStreak"]!.GetValue<int>() >= 3);
            var log = health["Log"]!.AsArray();
            Assert.InRange(log.Count, 3, 5);
            Assert.All(log, entry =>
            {
                Assert.Equal(3, entry!["ExitCode"]!.GetValue<int>());
                Assert.Equal("not yet\n", (string)entry["Output"]!);
            });
            Assert.Matches(@"^Up .* \(unhealthy\)$", PsStatus(name));
            Assert.Contains(name, NamesWithHealth("unhealthy"));
            Assert.Contains(plain, NamesWithHealth("none"));
            Assert.DoesNotContain(plain, NamesWithHealth("unhealthy"));
            Assert.Equal("null", Docker("inspect", "-f", "{{json .State.Health}}", plain).Ok().Stdout.Trim());

            var bad = Docker("ps", "--filter", "health=sick");
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("Unrecognised filter value for health: sick", bad.Stderr);

            // Stopped: no more probes, the last state stays. Started again: starting, then the probes resume.
            Docker("stop", "-t", "0", name).Ok();
            int entries = Health(name)["Log"]!.AsArray().Count;
            long lastEnd = DateTimeOffset.Parse((string)Health(name)["Log"]!.AsArray().Last()!["End"]!).UtcTicks;
            Thread.Sleep(800);
            Assert.Equal(lastEnd, DateTimeOffset.Parse((string)Health(name)["Log"]!.AsArray().Last()!["End"]!).UtcTicks);
            Assert.Equal(entries, Health(name)["Log"]!.AsArray().Count);
            Docker("start", name).Ok();
            Assert.Equal("starting", Status(name));
            WaitForStatus(name, "unhealthy");
        }
        finally { Docker("rm", "-f", name, plain); }
    }

    [Fact]
    public void A_probe_that_outlives_its_timeout_is_killed_and_fails()
    {
        string name = Support.Unique("hc-slow");
        try
        {
            Docker("run", "-d", "--name", name, "--health-cmd", "sleep 30", "--health-timeout", "300ms", "--health-interval", "200ms",
                "--health-retries", "2", "busybox", "sleep", "1000").Ok();
            WaitForStatus(name, "unhealthy");
            var log = Health(name)["Log"]!.AsArray();
            output.WriteLine(log.ToJsonString());
            foreach (var entry in log)
            {
                Assert.Equal(-1, entry!["ExitCode"]!.GetValue<int>());
                Assert.Equal("Health check exceeded timeout (300ms)", (string)entry["Output"]!);
                var took = DateTimeOffset.Parse((string)entry["End"]!) - DateTimeOffset.Parse((string)entry["Start"]!);
                Assert.True(took < TimeSpan.FromSeconds(3), $"a timed-out probe took {took.TotalSeconds:0.0} s");
            }
            // Killed, not left behind: at most the probe in flight runs (`sleep 30` is its shell's child, in its group).
            string ps = Docker("exec", name, "ps", "-o", "args").Ok().Stdout;
            Assert.True(ps.Lines().Count(l => l.Trim() == "sleep 30") <= 2, "timed-out probes piled up:\n" + ps);
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public void The_images_HEALTHCHECK_runs_and_no_healthcheck_turns_it_off()
    {
        string tag = "mc-hc-image:" + Guid.NewGuid().ToString("N")[..8];
        string context = Directory.CreateTempSubdirectory("mc-hc-ctx-").FullName;
        string name = Support.Unique("hc-img"), off = Support.Unique("hc-off");
        try
        {
            File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM busybox\nHEALTHCHECK --interval=200ms --retries=1 CMD [\"true\"]\n");
            _d.Run("build", "-q", "-t", tag, context).Ok();
            Docker("run", "-d", "--name", name, tag, "sleep", "1000").Ok();
            Docker("run", "-d", "--name", off, "--no-healthcheck", tag, "sleep", "1000").Ok();
            WaitForStatus(name, "healthy");
            Assert.Equal("""{"Test":["CMD","true"],"Interval":200000000,"Retries":1}""",
                Docker("inspect", "-f", "{{json .Config.Healthcheck}}", name).Ok().Stdout.Trim());
            // As dockerd merges it: NONE, with the image's timings still filled in (they time nothing).
            Assert.Equal("""["NONE"]""", Docker("inspect", "-f", "{{json .Config.Healthcheck.Test}}", off).Ok().Stdout.Trim());
            Assert.Equal("null", Docker("inspect", "-f", "{{json .State.Health}}", off).Ok().Stdout.Trim());
            Assert.Matches(@"^Up [^(]*$", PsStatus(off));
        }
        finally
        {
            Docker("rm", "-f", name, off);
            _d.Run("rmi", tag);
            Directory.Delete(context, recursive: true);
        }
    }

    [Fact]
    public void Bad_health_options_are_refused_before_anything_is_created()
    {
        string name = Support.Unique("hc-bad");
        var tooShort = Docker("run", "-d", "--name", name, "--health-cmd", "true", "--health-interval", "500us", "busybox", "true");
        Assert.Equal(125, tooShort.ExitCode);
        Assert.Contains("Interval in Healthcheck cannot be less than 1ms", tooShort.Stderr);
        var conflict = _d.Run("run", "-d", "--name", name, "--no-healthcheck", "--health-cmd", "true", "busybox", "true");
        Assert.Equal(125, conflict.ExitCode);
        Assert.Contains("--no-healthcheck conflicts with --health-* options", conflict.Stderr);
        Assert.DoesNotContain(name, Support.PsAll(_d));
    }

    [Fact]
    public void Health_survives_a_daemon_restart_and_probing_resumes()
    {
        string name = Support.Unique("hc-restart");
        try
        {
            _d.Run("run", "-d", "--name", name, "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms", "--health-retries", "2",
                "busybox", "sh", "-c", "touch /tmp/ok; exec sleep 1000").Ok();
            WaitForStatus(name, "healthy");
            // Saved after each probe (best effort, as dockerd): a second result means the first's save is done.
            Support.WaitUntil(() => Health(name)["Log"]!.AsArray().Count >= 2, TimeSpan.FromSeconds(10), "a second probe");
            _d.Stop();
            Thread.Sleep(500);
            _d.Start();
            Assert.Equal("healthy", Status(name));
            Assert.Matches(@"^Up .* \(healthy\)$", PsStatus(name));
            _d.Run("exec", name, "rm", "/tmp/ok").Ok();
            WaitForStatus(name, "unhealthy");   // the probes carry on under the new daemon
            Assert.True(Health(name)["FailingStreak"]!.GetValue<int>() >= 2);
        }
        finally { _d.Run("rm", "-f", name); }
    }
}
