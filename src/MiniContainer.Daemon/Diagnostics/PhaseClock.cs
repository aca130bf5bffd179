using System.Diagnostics;
using System.Globalization;

namespace MiniContainer.Diagnostics;

/// <summary>
/// Where the time of one operation goes, phase by phase, in the debug log (`minicontainerd --debug`):
/// <c>timing 1a2b3c4d5e6f start: spec 0.4 · shim 18.1 · network 0.0 · attach 0.8 · release 2.0 · state 1.1 = 22.4 ms</c>.
/// scripts/bench.sh reads these lines for its per-phase breakdown of `run --rm` and `exec`.
/// Without --debug, <see cref="Begin"/> returns null and every <c>clock?.Mark(…)</c> costs a null check.
/// </summary>
public sealed class PhaseClock
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _last;
    private readonly List<string> _phases = new();

    private PhaseClock() => _last = _start;

    public static PhaseClock? Begin() => Log.Debug ? new PhaseClock() : null;

    /// <summary>Ends the phase that ran since the previous mark (or the start) and names it.</summary>
    public void Mark(string phase)
    {
        long now = Stopwatch.GetTimestamp();
        _phases.Add($"{phase} {Ms(_last, now)}");
        _last = now;
    }

    /// <summary>One log line: "timing {subject} {operation}: phase ms · … = total ms".</summary>
    public void Report(string subject, string operation) =>
        Log.Trace($"timing {subject} {operation}: {string.Join(" · ", _phases)} = {Ms(_start, Stopwatch.GetTimestamp())} ms");

    private static string Ms(long from, long to) =>
        Stopwatch.GetElapsedTime(from, to).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
}
