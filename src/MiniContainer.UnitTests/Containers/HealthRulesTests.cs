using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>Docker's health state machine, driven with explicit times (the monitor passes its clock's).</summary>
public sealed class HealthRulesTests
{
    private static readonly DateTimeOffset Started = new(2026, 12, 6, 1, 0, 0, TimeSpan.Zero);

    private static HealthTiming Timing(double intervalS = 30, double startPeriodS = 0, double startIntervalS = 5, int retries = 3) =>
        new(TimeSpan.FromSeconds(intervalS), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(startPeriodS), TimeSpan.FromSeconds(startIntervalS), retries);

    private static HealthcheckResult Result(int exitCode, double atS, string output = "") =>
        new() { ExitCode = exitCode, Start = Started.AddSeconds(atS), End = Started.AddSeconds(atS + 0.01), Output = output };

    [Fact]
    public void Docker_defaults_fill_what_is_unset()
    {
        var t = HealthTiming.Of(new HealthConfig { Test = ["CMD", "true"] });
        Assert.Equal(new HealthTiming(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.Zero, TimeSpan.FromSeconds(5), 3), t);
        t = HealthTiming.Of(new HealthConfig { Interval = 200_000_000, Timeout = 1_500_000_000, Retries = 1 });
        Assert.Equal(TimeSpan.FromMilliseconds(200), t.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), t.Timeout);
        Assert.Equal(1, t.Retries);
    }

    [Fact]
    public void A_success_makes_it_healthy_and_clears_the_streak()
    {
        var h = HealthRules.Apply(new ContainerHealth { Status = "unhealthy", FailingStreak = 7 }, Result(0, 1), Timing(), Started);
        Assert.Equal("healthy", h.Status);
        Assert.Equal(0, h.FailingStreak);
    }

    [Fact]
    public void Three_failures_in_a_row_make_it_unhealthy_and_the_streak_keeps_counting()
    {
        var h = HealthRules.Restart(null);
        h = HealthRules.Apply(h, Result(1, 30), Timing(), Started);
        Assert.Equal(("starting", 1), (h.Status, h.FailingStreak));
        h = HealthRules.Apply(h, Result(1, 60), Timing(), Started);
        Assert.Equal(("starting", 2), (h.Status, h.FailingStreak));
        h = HealthRules.Apply(h, Result(-1, 90), Timing(), Started);
        Assert.Equal(("unhealthy", 3), (h.Status, h.FailingStreak));
        h = HealthRules.Apply(h, Result(2, 120), Timing(), Started);
        Assert.Equal(("unhealthy", 4), (h.Status, h.FailingStreak));
        // A healthy container takes the same number of failures to turn unhealthy.
        var healthy = new ContainerHealth { Status = "healthy" };
        healthy = HealthRules.Apply(HealthRules.Apply(healthy, Result(1, 1), Timing(), Started), Result(1, 2), Timing(), Started);
        Assert.Equal(("healthy", 2), (healthy.Status, healthy.FailingStreak));
    }

    [Fact]
    public void Failures_in_the_start_period_do_not_count_until_the_first_success()
    {
        var t = Timing(startPeriodS: 60, retries: 1);
        var h = HealthRules.Apply(HealthRules.Restart(null), Result(1, 10), t, Started);
        Assert.Equal(("starting", 0), (h.Status, h.FailingStreak));
        h = HealthRules.Apply(h, Result(1, 61), t, Started);               // began after the start period
        Assert.Equal(("unhealthy", 1), (h.Status, h.FailingStreak));
        // Once it has been healthy, a failure within the start period counts.
        var once = HealthRules.Apply(HealthRules.Restart(null), Result(0, 5), t, Started);
        once = HealthRules.Apply(once, Result(1, 10), t, Started);
        Assert.Equal(("unhealthy", 1), (once.Status, once.FailingStreak));
    }

    [Fact]
    public void The_log_keeps_the_last_five_results_oldest_first()
    {
        var h = HealthRules.Restart(null);
        for (int i = 1; i <= 7; i++) h = HealthRules.Apply(h, Result(i % 2, i, "run" + i), Timing(), Started);
        Assert.Equal(["run3", "run4", "run5", "run6", "run7"], h.Log.Select(r => r.Output));
        // A restart starts again, keeping the log.
        var again = HealthRules.Restart(h);
        Assert.Equal(("starting", 0, 5), (again.Status, again.FailingStreak, again.Log.Count));
    }

    [Fact]
    public void The_start_interval_applies_while_starting_within_the_start_period()
    {
        var t = Timing(intervalS: 30, startPeriodS: 60, startIntervalS: 2);
        Assert.Equal(TimeSpan.FromSeconds(2), HealthRules.NextDelay(t, Started, Started, "starting"));
        Assert.Equal(TimeSpan.FromSeconds(2), HealthRules.NextDelay(t, Started, Started.AddSeconds(59), "starting"));
        Assert.Equal(TimeSpan.FromSeconds(30), HealthRules.NextDelay(t, Started, Started.AddSeconds(60), "starting"));
        Assert.Equal(TimeSpan.FromSeconds(30), HealthRules.NextDelay(t, Started, Started.AddSeconds(10), "healthy"));
        // Without a start period: the interval from the first probe on.
        Assert.Equal(TimeSpan.FromSeconds(30), HealthRules.NextDelay(Timing(), Started, Started, "starting"));
    }

    [Theory]
    [InlineData(200, "200ms")]
    [InlineData(1000, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(30_000, "30s")]
    [InlineData(90_000, "1m30s")]
    [InlineData(7_200_000, "2h0m0s")]
    [InlineData(1.5, "1.5ms")]
    public void Timeouts_are_reported_in_gos_duration_format(double ms, string text)
    {
        Assert.Equal(text, HealthRules.GoDuration(TimeSpan.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond))));
        Assert.Equal($"Health check exceeded timeout ({text})", HealthRules.TimeoutMessage(TimeSpan.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond)), ""));
    }

    [Fact]
    public void Output_is_capped_at_4096_bytes_then_marked()
    {
        var o = new LimitedOutput();
        o.Append(new byte[4000].Select(_ => (byte)'a').ToArray());
        Assert.Equal(4000, o.ToString().Length);
        o.Append(new byte[200].Select(_ => (byte)'b').ToArray());
        Assert.Equal(new string('a', 4000) + new string('b', 96) + "...", o.ToString());
    }
}
