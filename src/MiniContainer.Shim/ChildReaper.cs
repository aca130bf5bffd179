using MiniContainer.Linux;

namespace MiniContainer.Shim;


/// <summary>
/// The one place a container's shim reaps its children. The kernel hands each exit to whichever waitpid() asks
/// first, so a thread that waited for one pid while the main thread waited for any child (waitpid(-1), which must
/// also collect re-parented orphans) could lose its exit. So only the main thread waits; the exits of children
/// that are not the container's own process — an exec's process, the launcher's short-lived middle process — are
/// handed to whoever <see cref="WaitFor"/>s them.
/// </summary>
public sealed class ChildReaper
{
    private readonly object _lock = new();
    /// <summary>Exits nobody has asked for yet (the waiter may not know the pid yet), with when they came.</summary>
    private readonly Dictionary<int, (ExitStatus Status, long At)> _ended = new();
    /// <summary>Children whose exit nobody will ask for (an exec's middle process): dropped when reaped.</summary>
    private readonly HashSet<int> _abandoned = new();
    private int _waiting;
    private bool _closed;

    /// <summary>An exit nobody claims within this time is an orphan's (with --pid host, orphans come to the shim, a
    /// subreaper): forgotten, so a long-lived container does not collect them.</summary>
    private static readonly long UnclaimedFor = 60 * 1000;

    /// <summary>Main thread: reap until <paramref name="pid"/> ends, handing every other exit on.</summary>
    public ExitStatus ReapUntil(int pid)
    {
        while (true)
        {
            var ended = Kernel.WaitChild(-1);
            if (ended is null) return new ExitStatus(255, 0);   // no child at all: nothing left to wait for
            if (ended.Value.Pid == pid) return ended.Value.Status;
            Deliver(ended.Value.Pid, ended.Value.Status);
        }
    }

    /// <summary>Main thread, after the container's process ended and its cgroup was killed: reap while anyone still
    /// waits for an exit (its execs' processes die with it), for at most <paramref name="within"/>; then close, so a
    /// waiter whose process was never seen hears that it was killed.</summary>
    public void ReapRemaining(TimeSpan within)
    {
        long deadline = Environment.TickCount64 + (long)within.TotalMilliseconds;
        while (Volatile.Read(ref _waiting) > 0 && Environment.TickCount64 < deadline)
        {
            if (Kernel.WaitChild(-1, Kernel.WNOHANG) is { } ended) Deliver(ended.Pid, ended.Status);
            else Thread.Sleep(2);
        }
        lock (_lock) { _closed = true; Monitor.PulseAll(_lock); }
    }

    /// <summary>Any thread: block until child <paramref name="pid"/> has ended (it may have ended already).</summary>
    public ExitStatus WaitFor(int pid)
    {
        lock (_lock)
        {
            _waiting++;
            try
            {
                while (true)
                {
                    if (_ended.Remove(pid, out var e)) return e.Status;
                    if (_closed) return new ExitStatus(0, 9);   // gone with the container, killed
                    Monitor.Wait(_lock);
                }
            }
            finally { _waiting--; }
        }
    }

    /// <summary>Nobody will wait for child <paramref name="pid"/>: its exit is dropped (now, if it came already).</summary>
    public void Abandon(int pid)
    {
        lock (_lock)
            if (!_ended.Remove(pid)) _abandoned.Add(pid);
    }

    private void Deliver(int pid, ExitStatus status)
    {
        long now = Environment.TickCount64;
        lock (_lock)
        {
            if (_abandoned.Remove(pid)) return;
            foreach (var (old, e) in _ended)
                if (now - e.At > UnclaimedFor) _ended.Remove(old);
            _ended[pid] = (status, now);
            Monitor.PulseAll(_lock);
        }
    }
}
