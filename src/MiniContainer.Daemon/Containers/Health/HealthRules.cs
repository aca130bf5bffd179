using System.Text;

namespace MiniContainer.Containers;

/// <summary>State.Health as inspect shows it: starting | healthy | unhealthy, the failures in a row, the last results.</summary>
public sealed class ContainerHealth
{
    public string Status { get; set; } = HealthRules.Starting;
    public int FailingStreak { get; set; }
    /// <summary>The last <see cref="HealthRules.MaxLogEntries"/> probe results, oldest first.</summary>
    public List<HealthcheckResult> Log { get; set; } = new();
}

/// <summary>One probe run.</summary>
public sealed class HealthcheckResult
{
    public DateTimeOffset Start { get; set; }
    public DateTimeOffset End { get; set; }
    /// <summary>0 healthy; anything else a failure (-1: the probe timed out or could not run).</summary>
    public int ExitCode { get; set; }
    /// <summary>stdout and stderr together, at most 4096 bytes (then "...").</summary>
    public string Output { get; set; } = "";
}

/// <summary>A healthcheck's timings with Docker's defaults filled in.</summary>
public readonly record struct HealthTiming(TimeSpan Interval, TimeSpan Timeout, TimeSpan StartPeriod, TimeSpan StartInterval, int Retries)
{
    public static HealthTiming Of(HealthConfig h) => new(
        Or(h.Interval, HealthRules.DefaultInterval), Or(h.Timeout, HealthRules.DefaultTimeout),
        Or(h.StartPeriod, TimeSpan.Zero), Or(h.StartInterval, HealthRules.DefaultStartInterval),
        h.Retries > 0 ? h.Retries : HealthRules.DefaultRetries);

    private static TimeSpan Or(long ns, TimeSpan fallback) => ns > 0 ? TimeSpan.FromTicks(ns / 100) : fallback;
}

/// <summary>
/// Docker's health state machine, as pure functions of the times they are given (the monitor passes its clock's):
/// when the next probe runs, and what a probe's result does to the state.
/// </summary>
public static class HealthRules
{
    public const string Starting = "starting", Healthy = "healthy", Unhealthy = "unhealthy", None = "none";
    public const int MaxLogEntries = 5, MaxOutputBytes = 4096, DefaultRetries = 3;
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30), DefaultTimeout = TimeSpan.FromSeconds(30),
        DefaultStartInterval = TimeSpan.FromSeconds(5);

    /// <summary>The statuses the health filter of /containers/json takes.</summary>
    public static bool IsFilterValue(string s) => s is Starting or Healthy or Unhealthy or None;

    /// <summary>At every start: starting again with no failures, but the log of earlier runs kept (as dockerd keeps it).</summary>
    public static ContainerHealth Restart(ContainerHealth? previous) =>
        new() { Status = Starting, FailingStreak = 0, Log = previous is null ? new() : [.. previous.Log] };

    /// <summary>How long to wait before the next probe: the start interval while the container is still starting and
    /// within its start period, else the interval. Counted from the end of the previous probe (or from the start).</summary>
    public static TimeSpan NextDelay(HealthTiming t, DateTimeOffset startedAt, DateTimeOffset now, string status) =>
        status == Starting && now - startedAt < t.StartPeriod ? t.StartInterval : t.Interval;

    /// <summary>
    /// The state after one result: a success makes it healthy and clears the streak; a failure adds to the streak and
    /// makes it unhealthy at <see cref="HealthTiming.Retries"/> in a row — except a failure that began within the start
    /// period while the container had never been healthy, which does not count. The log keeps the last five results.
    /// </summary>
    public static ContainerHealth Apply(ContainerHealth current, HealthcheckResult result, HealthTiming t, DateTimeOffset startedAt)
    {
        var next = new ContainerHealth
        {
            Status = current.Status, FailingStreak = current.FailingStreak,
            Log = [.. current.Log.Skip(Math.Max(0, current.Log.Count + 1 - MaxLogEntries)), result],
        };
        if (result.ExitCode == 0)
        {
            next.FailingStreak = 0;
            next.Status = Healthy;
        }
        else if (!(current.Status == Starting && result.Start - startedAt < t.StartPeriod))
        {
            next.FailingStreak++;
            if (next.FailingStreak >= t.Retries) next.Status = Unhealthy;
        }
        return next;
    }

    /// <summary>What dockerd records when a probe outlives its timeout (it is killed): Go's duration text, and the
    /// output it had printed so far.</summary>
    public static string TimeoutMessage(TimeSpan timeout, string output) =>
        $"Health check exceeded timeout ({GoDuration(timeout)})" + (output.Length > 0 ? ": " + output : "");

    /// <summary>Go's time.Duration.String(): "200ms", "1.5s", "1m30s", "2h0m0s".</summary>
    public static string GoDuration(TimeSpan d)
    {
        long ns = d.Ticks * 100;
        if (ns == 0) return "0s";
        string sign = ns < 0 ? "-" : "";
        ns = Math.Abs(ns);
        if (ns < 1_000) return $"{sign}{ns}ns";
        if (ns < 1_000_000) return sign + Fraction(ns, 1_000) + "µs";
        if (ns < 1_000_000_000) return sign + Fraction(ns, 1_000_000) + "ms";
        long hours = ns / 3_600_000_000_000, minutes = ns / 60_000_000_000 % 60;
        string seconds = Fraction(ns % 60_000_000_000, 1_000_000_000) + "s";
        return sign + (hours > 0 ? $"{hours}h{minutes}m{seconds}" : minutes > 0 ? $"{minutes}m{seconds}" : seconds);
    }

    private static string Fraction(long value, long unit)
    {
        long whole = value / unit, rest = value % unit;
        if (rest == 0) return whole.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string digits = rest.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(unit.ToString(System.Globalization.CultureInfo.InvariantCulture).Length - 1, '0').TrimEnd('0');
        return $"{whole}.{digits}";
    }
}

/// <summary>A probe's stdout and stderr, kept up to 4096 bytes as dockerd keeps them; more is dropped and marked "...".</summary>
public sealed class LimitedOutput
{
    private readonly MemoryStream _bytes = new();
    private bool _truncated;

    public void Append(ReadOnlySpan<byte> data)
    {
        int keep = (int)Math.Min(HealthRules.MaxOutputBytes - _bytes.Length, data.Length);
        if (keep > 0) _bytes.Write(data[..keep]);
        if (keep < data.Length) _truncated = true;
    }

    public override string ToString() => Encoding.UTF8.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length) + (_truncated ? "..." : "");
}
