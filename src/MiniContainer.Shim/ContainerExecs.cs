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
            finally { lock (_running) _running.Remove(Thread.CurrentThread); }
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            daemon.Report(new StartReport { Error = "bad exec request: " + e.Message, ExitCode = 126 });
        }
        finally { connection.Dispose(); }
    }

    private void Run(ExecSpec spec, IDaemonLink daemon)
    {
        int pid = -1;
        SyncChannel sync;
        Stdio io;
        Supervisor supervisor;
        try
        {
            (pid, sync, io) = Shims.ForkIntoContainer(containerPid, spec.Process, _launcher.Run, p => reaper.WaitFor(p));
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
                Monitor.Pulse(_work);
                if (_thread is null)
                {
                    _thread = new Thread(Loop) { IsBackground = true, Name = "launch" };
                    _thread.Start();
                }
            }
            done.Wait();
            failed?.Throw();
            return result;
        }

        private void Loop()
        {
            while (true)
            {
                Action next;
                lock (_work)
                {
                    while (_work.Count == 0) Monitor.Wait(_work);
                    next = _work.Dequeue();
                }
                next();
            }
        }
    }
}
