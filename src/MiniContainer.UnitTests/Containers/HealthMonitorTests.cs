using System.Collections.Concurrent;
using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>The monitor's loop against a scripted probe, with millisecond intervals on the real clock.</summary>
public sealed class HealthMonitorTests
{
    /// <summary>Answers each probe with the next scripted exit code (the last one repeats) and records the calls.</summary>
    private sealed class ScriptedProbe(params int[] exitCodes) : IHealthProbe
    {
        public readonly ConcurrentQueue<(List<string> Command, TimeSpan Timeout)> Calls = new();
        private int _n;

        public Task<HealthcheckResult> RunAsync(Container c, List<string> command, TimeSpan timeout, CancellationToken ct)
        {
            Calls.Enqueue((command, timeout));
            int i = Math.Min(Interlocked.Increment(ref _n) - 1, exitCodes.Length - 1);
            return Task.FromResult(new HealthcheckResult { ExitCode = exitCodes[i], Output = $"probe {i + 1}\n", End = DateTimeOffset.UtcNow });
        }
    }

    private static Container Running(HealthConfig? health)
    {
        var record = new ContainerRecord
        {
            Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            Config = new ContainerConfig { Healthcheck = health },
            State = new ContainerState { Status = "running", Running = true, StartedAt = ContainerState.Format(DateTimeOffset.UtcNow) },
        };
        // A directory that does not exist: Save() writes nothing.
        return new Container(record, Path.Combine(Path.GetTempPath(), "mc-ut-absent-" + Guid.NewGuid().ToString("N")), "/nonexistent");
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("waited 10 s for " + what);
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void Failures_turn_it_unhealthy_a_success_healthy_and_each_change_is_announced_once()
    {
        var probe = new ScriptedProbe(1, 1, 1, 0);
        var monitor = new HealthMonitor(probe);
        var changes = new ConcurrentQueue<string>();
        monitor.HealthStatusChanged += (_, status) => changes.Enqueue(status);
        var c = Running(new HealthConfig { Test = ["CMD-SHELL", "test -f /tmp/ok"], Interval = 10_000_000, Timeout = 500_000_000 });

        monitor.OnStarted(c);
        Assert.Equal("starting", c.Record.State.Health!.Status);
        WaitFor(() => c.Record.State.Health!.Status == "unhealthy", "unhealthy");
        Assert.Equal(3, c.Record.State.Health!.FailingStreak);
        WaitFor(() => c.Record.State.Health!.Status == "healthy", "healthy");
        WaitFor(() => c.Record.State.Health!.Log.Count == 5, "five log entries");
        monitor.Stop(c);

        Assert.Equal(["unhealthy", "healthy"], changes);
        var (command, timeout) = probe.Calls.First();
        Assert.Equal(["/bin/sh", "-c", "test -f /tmp/ok"], command);
        Assert.Equal(TimeSpan.FromMilliseconds(500), timeout);
        Assert.Equal(0, c.Record.State.Health!.FailingStreak);
        Assert.All(c.Record.State.Health!.Log, r => Assert.True(r.Start <= r.End && r.Start > DateTimeOffset.UtcNow.AddSeconds(-10)));
    }

    [Fact]
    public void Stop_ends_the_probes_and_a_start_begins_again_at_starting_with_the_log_kept()
    {
        var probe = new ScriptedProbe(0);
        var monitor = new HealthMonitor(probe);
        var c = Running(new HealthConfig { Test = ["CMD", "true"], Interval = 5_000_000 });
        monitor.OnStarted(c);
        WaitFor(() => c.Record.State.Health!.Log.Count >= 2, "two probes");
        monitor.Stop(c);
        int calls = probe.Calls.Count;
        Thread.Sleep(100);
        Assert.InRange(probe.Calls.Count, calls, calls + 1);   // at most the one in flight
        Assert.Equal("healthy", c.Record.State.Health!.Status);

        monitor.OnStarted(c);
        Assert.Equal("starting", c.Record.State.Health!.Status);
        Assert.NotEmpty(c.Record.State.Health!.Log);
        WaitFor(() => c.Record.State.Health!.Status == "healthy", "healthy again");
        monitor.Stop(c);
    }

    [Fact]
    public void Reattaching_resumes_where_it_stood_and_a_container_without_a_probe_gets_no_health()
    {
        var monitor = new HealthMonitor(new ScriptedProbe(1));
        var c = Running(new HealthConfig { Test = ["CMD", "false"], Interval = 5_000_000, Retries = 10 });
        c.Record.State.Health = new ContainerHealth { Status = "healthy", FailingStreak = 0 };
        monitor.OnReattached(c);
        Assert.Equal("healthy", c.Record.State.Health!.Status);
        WaitFor(() => c.Record.State.Health!.FailingStreak >= 1, "a failure counted");
        Assert.Equal("healthy", c.Record.State.Health!.Status);
        monitor.Stop(c);

        foreach (var none in new[] { null, new HealthConfig { Test = ["NONE"] }, new HealthConfig { Interval = 5_000_000 } })
        {
            var quiet = Running(none);
            monitor.OnStarted(quiet);
            Assert.Null(quiet.Record.State.Health);
        }
    }
}
