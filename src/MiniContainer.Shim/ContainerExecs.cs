using System.Runtime.ExceptionServices;
using System.Text.Json;
using MiniContainer.Cgroups;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim;


/// <summary>
/// `docker exec` through the container's own shim. The daemon sends 'N' with an ExecSpec on a control connection;
/// the shim forks the process into the container's namespaces and cgroup and supervises it beside PID 1, as an
/// exec's own shim would — a control socket of its own, an exit record — but without starting a second shim process
/// (the daemon's wait for one was about a third of an exec; measured in the README's latency section).
/// </summary>
public sealed class ContainerExecs(int containerPid, ICgroup cgroup, ChildReaper reaper)
{
    private readonly LaunchThread _launcher = new();
    private readonly List<Thread> _running = new();
    private bool _closed;

    /// <summary>After its last exec, a shim waits this long for another before it trims (see TrimIfIdle).</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    /// <summary>On the request's connection thread; returns when the exec has ended (or could not start).</summary>
    public void Serve(byte[] request, Stream connection)
    {
        var daemon = new ConnectionLink(connection);
        try
        {
            lock (_running)
            {
                if (_closed) { daemon.Report(new StartReport { Error = $"container's process {containerPid} has ended", ExitCode = 126 }); return; }
                _running.Add(Thread.CurrentThread);
            }
            try { Run(JsonSerializer.Deserialize(request, RuntimeJson.Default.ExecSpec)!, daemon); }
            finally
            {
                lock (_running)
                {
                    _running.Remove(Thread.CurrentThread);
                    if (_running.Count == 0 && !_closed) _launcher.TrimAfter(Quiet, TrimIfIdle);
                }
                // Each exec allocates a few hundred KB (its supervisor, buffers, requests); collected now, while they
                // are young, they never grow the heap (measured: without this, 33 execs in a row left ~4.5 MB more).
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            }
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            daemon.Report(new StartReport { Error = "bad exec request: " + e.Message, ExitCode = 126 });
        }
        finally { connection.Dispose(); }
    }

    /// <summary>
    /// Execs make the shim allocate (their requests, supervisors, output buffers) and map its code back in: a shim
    /// that served 33 held ~12 MB instead of ~3 (measured). So a quiet second after its last exec — none running,
    /// none started since — the shim lets go again, as after its start (WorkingSet). It is done on the launch thread,
    /// which goes back to sleep right after, touching little code; a burst of execs is not slowed, each one's code
    /// is still mapped while they keep coming.
    /// </summary>
    private void TrimIfIdle()
    {
        lock (_running)
            if (_running.Count > 0 || _closed) return;   // the running exec's end schedules the next trim
        WorkingSet.ReleaseStartupPages();
    }

    private void Run(ExecSpec spec, IDaemonLink daemon)
    {
        int pid = -1;
        SyncChannel sync;
        Stdio io;
        Supervisor supervisor;
        try
        {
            (pid, sync, io) = Shims.ForkIntoContainer(containerPid, spec.Process, _launcher.Run, p => reaper.WaitFor(p), reaper.Abandon);
            try
            {
                cgroup.AddProcess(pid);
                supervisor = new Supervisor(spec.ControlSocket, null, durableExit: false);
                supervisor.Listen();
            }
            catch
            {
                Kernel.Close(sync.Descriptor);
                io.CloseParentEnds();
                throw;
            }
        }
        catch (Exception e)
        {
            if (pid > 0) { Kernel.TryKill(pid, 9); reaper.WaitFor(pid); }
            daemon.Report(new StartReport { Error = e.Message, ExitCode = 126 });
            return;
        }
        if (!Shims.Release(pid, sync, io, supervisor, spec.ExitFile, daemon, new StartReport { Pid = pid }, p => reaper.WaitFor(p), null, null))
            return;
        var status = reaper.WaitFor(pid);
        supervisor.Finish(new ExitRecord { ExitCode = status.DockerExitCode, Signal = status.Signal, FinishedAt = DateTimeOffset.UtcNow }, spec.ExitFile);
    }

    /// <summary>The container's process has ended: no new exec starts.</summary>
    public void Close()
    {
        lock (_running) _closed = true;
    }

    /// <summary>Wait (a bounded time) for the running execs to record their ends; they were killed with the container.</summary>
    public void WaitForEnded(TimeSpan within)
    {
        Thread[] running;
        lock (_running) running = _running.ToArray();
        long deadline = Environment.TickCount64 + (long)within.TotalMilliseconds;
        foreach (var t in running)
            t.Join(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64)));
    }

    /// <summary>
    /// One thread that makes every exec's process, and lives as long as the shim. A child's parent-death signal
    /// (see Launcher.DieWithShim) fires when the *thread* that cloned it exits, so the clone cannot happen on the
    /// request's thread, which ends with its exec — the exec's process would be killed with it.
    /// </summary>
    private sealed class LaunchThread
    {
        private readonly Queue<Action> _work = new();
        private Thread? _thread;
        private Action? _trim;
        private long _trimDue;
        /// <summary>A byte on this pipe wakes the thread. It sleeps in poll() rather than Monitor.Wait: after a trim
        /// it touches little code before sleeping again, so few of the pages just let go are mapped back in.</summary>
        private readonly (int Read, int Write) _wake = Kernel.Pipe();

        /// <summary>Run <paramref name="trim"/> on this thread once it has had no work for <paramref name="quiet"/>
        /// (a later call moves the time on).</summary>
        public void TrimAfter(TimeSpan quiet, Action trim)
        {
            lock (_work)
            {
                _trim = trim;
                _trimDue = Environment.TickCount64 + (long)quiet.TotalMilliseconds;
            }
            Wake();
        }

        public int Run(Func<int> launch)
        {
            int result = 0;
            ExceptionDispatchInfo? failed = null;
            using var done = new ManualResetEventSlim(false);
            lock (_work)
            {
                _work.Enqueue(() =>
                {
                    try { result = launch(); }
                    catch (Exception e) { failed = ExceptionDispatchInfo.Capture(e); }
                    finally { done.Set(); }
                });
                if (_thread is null)
                {
                    _thread = new Thread(Loop) { IsBackground = true, Name = "launch" };
                    _thread.Start();
                }
            }
            Wake();
            done.Wait();
            failed?.Throw();
            return result;
        }

        private void Wake() => Kernel.WriteAll(_wake.Write, "w"u8);

        private void Loop()
        {
            Span<byte> drain = stackalloc byte[64];
            Span<PollFd> wake = stackalloc PollFd[] { new() { Fd = _wake.Read, Events = 1 /* POLLIN */ } };
            while (true)
            {
                Action? next = null;
                long wait;
                lock (_work)
                {
                    if (_work.Count > 0) next = _work.Dequeue();
                    else if (_trim is { } trim && _trimDue <= Environment.TickCount64) { next = trim; _trim = null; }
                    wait = _trim is null ? -1 : Math.Max(0, _trimDue - Environment.TickCount64);
                }
                if (next is not null) { next(); continue; }
                if (Kernel.Poll(wake, (int)wait) > 0) Kernel.Read(_wake.Read, drain);
            }
        }
    }
}
