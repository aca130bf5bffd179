using System.Diagnostics;

namespace MiniContainer.Explaining;

/// <summary>
/// Where kernel steps go when someone listens (`--explain`), and nowhere — at the cost of one integer read — when
/// nobody does. The kernel layer calls it in two halves around each call:
/// <code>
///   long t = Explain.Begin();                 // 0 when nobody listens: no clock read, no string built
///   Check(Libc.mount(...), ...);
///   if (t != 0) Explain.Record(t, ExplainText.Mount(...));   // the words are only made when they are wanted
/// </code>
/// Two kinds of listener: the shim and the init stage serve one container, so they listen for the whole process
/// (<see cref="ListenInProcess"/>); the daemon serves many at once, so it listens per logical flow
/// (<see cref="ListenInFlow"/>, an AsyncLocal): only the steps taken on behalf of that container's request arrive.
/// </summary>
public static class Explain
{
    private static int _listeners;
    private static Action<ExplainStep>? _processSink;
    private static readonly AsyncLocal<Action<ExplainStep>?> FlowSink = new();

    /// <summary>Who we are in the steps we record: daemon, shim or init.</summary>
    public static string ProcessName { get; set; } = "daemon";

    /// <summary>True while anyone listens anywhere in this process (a cheap first test).</summary>
    public static bool Enabled => Volatile.Read(ref _listeners) != 0;

    private static Action<ExplainStep>? Sink => _processSink ?? FlowSink.Value;

    /// <summary>The start of a step: a timestamp when someone listens here, else 0.</summary>
    public static long Begin() => Volatile.Read(ref _listeners) == 0 || Sink is null ? 0 : Stopwatch.GetTimestamp();

    /// <summary>The end of a step begun at <paramref name="began"/> (a no-op when that was 0).</summary>
    public static void Record(long began, ExplainLine line)
    {
        if (began == 0) return;
        long now = Stopwatch.GetTimestamp();
        Sink?.Invoke(Step(line, began, (now - began) * 1_000_000 / Stopwatch.Frequency));
    }

    /// <summary>A step whose call does not come back when it works (execve): recorded before the call, with a
    /// duration of -1 that the shim fills in when the close-on-exec sync socket closes (see SyncChannel).</summary>
    public static void Announce(ExplainLine line)
    {
        if (Begin() is var began and not 0) Sink?.Invoke(Step(line, began, -1));
    }

    private static ExplainStep Step(ExplainLine line, long began, long durationUs) => new()
    {
        Phase = line.Phase, Sentence = line.Sentence, Shell = line.Shell, Syscall = line.Syscall,
        DurationUs = durationUs, StartNs = ToNanoseconds(began), Process = ProcessName,
    };

    /// <summary>Stopwatch ticks are CLOCK_MONOTONIC on Linux (1 ns each there); in nanoseconds in any case.</summary>
    public static long ToNanoseconds(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));

    /// <summary>Now, on the steps' clock.</summary>
    public static long NowNs() => ToNanoseconds(Stopwatch.GetTimestamp());

    /// <summary>Every step of this process goes to <paramref name="sink"/> from now on (the shim, the init stage).</summary>
    public static void ListenInProcess(Action<ExplainStep> sink)
    {
        _processSink = sink;
        Interlocked.Increment(ref _listeners);
    }

    /// <summary>The steps taken by this logical flow (and the tasks and threads it starts) go to
    /// <paramref name="sink"/> until the result is disposed.</summary>
    public static IDisposable ListenInFlow(Action<ExplainStep> sink)
    {
        var previous = FlowSink.Value;
        FlowSink.Value = sink;
        Interlocked.Increment(ref _listeners);
        return new Unhook(previous);
    }

    private sealed class Unhook(Action<ExplainStep>? previous) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            FlowSink.Value = previous;
            Interlocked.Decrement(ref _listeners);
        }
    }
}

/// <summary>The words of one step: phase, sentence, shell equivalent, syscall (see <see cref="ExplainText"/>).</summary>
public readonly record struct ExplainLine(string Phase, string Sentence, string Shell, string Syscall);
