using System.Text.Json;
using MiniContainer.Cgroups;
using MiniContainer.Explaining;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim;


/// <summary>
/// `minicontainer-shim run BUNDLE` and `minicontainer-shim exec EXECSPEC`: the two shims.
/// Talking to the daemon: stdout carries two JSON lines (StartReport) — "created" after the clone and
/// "started" (or the error) after the process ran its execve — and stdin carries "start\n", sent once
/// the daemon has connected the clients that must not miss any output.
/// </summary>
public static class Shims
{
    public static int RunContainer(string bundleDir)
    {
        var spec = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(bundleDir, "spec.json")), RuntimeJson.Default.ContainerSpec)!;
        PrepareShimProcess(Path.Combine(bundleDir, "shim.log"));
        var explained = ListenForExplain(spec.Process, bundleDir);

        var cgroup = CgroupManager.Open(spec.CgroupName);
        cgroup.Create();
        try
        {
            cgroup.Apply(ToLimits(spec.Resources));
            var io = Stdio.Create(spec.Process);
            var (shimEnd, childEnd) = Kernel.SocketPair();
            bool userns = spec.UidMappings is { Count: > 0 };
            bool ownNetwork = spec.NetworkMode != "host" && spec.JoinNetworkNamespace is null;
            // --network container:X: this thread joins X's network namespace, and clone() without CLONE_NEWNET
            // makes the child inherit it. setns(CLONE_NEWNET) is allowed in a multithreaded process, and it moves
            // only this thread — the one that calls clone.
            if (spec.JoinNetworkNamespace is { } netns) JoinNamespace(netns, Namespace.Net);
            // --pid container:X, the same way: setns(CLONE_NEWPID) changes only the namespace this thread's next
            // children are born in, so the clone below lands in X's PID namespace (not as its PID 1).
            // This thread can create no thread while it is there (the kernel refuses CLONE_THREAD then), so it goes back
            // to its own right after the clone.
            bool ownPid = spec.PidNamespace.Length == 0;
            int shimPidNs = -1;
            if (spec.PidNamespace.StartsWith('/'))
            {
                shimPidNs = Kernel.Open("/proc/self/ns/pid", Kernel.O_RDONLY | Kernel.O_CLOEXEC);
                JoinNamespace(spec.PidNamespace, Namespace.Pid);
            }
            var namespaces = (ownPid ? Namespace.Pid : 0) | Namespace.Mount | (spec.HostUts ? 0 : Namespace.Uts) | Namespace.Ipc |
                             (ownNetwork ? Namespace.Net : 0) | (userns ? Namespace.User : 0);
            var childFds = io.ChildFds(Kernel.DuplicateHigh(childEnd));
            // On the main thread, on purpose: the child's parent-death signal (see Launcher) is tied to the thread
            // that clones it, and this one lives exactly as long as the shim.
            int pid;
            try
            {
                pid = Launcher.CloneIntoNamespaces(namespaces, new[] { "minicontainer-init", "init", bundleDir },
                    new[] { "PATH=" + CommandLookup.DefaultPath }, childFds);
            }
            finally
            {
                if (shimPidNs >= 0) { Kernel.JoinNamespace(shimPidNs, Namespace.Pid); Kernel.Close(shimPidNs); }
            }
            // The child has its copies now; ours must go, or we would never see end-of-stream from it.
            CloseAll(childFds, childEnd);
            io.CloseChildEnds();
            var sync = new SyncChannel(shimEnd);
            if (userns) UserNamespace.Prepare(pid, spec, sync);
            SendPropagatingBinds(spec, sync);
            cgroup.AddProcess(pid);
            sync.SendPrepare();   // the init stage builds the rootfs while the daemon wires the network and attaches
            // This shim also runs the container's execs ('N' on its control socket), saving each a shim process of its
            // own — unless it records --explain steps, which an exec's own shim keeps apart from the container's.
            var reaper = new ChildReaper();
            var execs = explained is null ? new ContainerExecs(pid, cgroup, reaper) : null;
            var supervisor = new Supervisor(spec.ControlSocket, spec.LogPath) { ExecRequested = execs is null ? null : execs.Serve };
            supervisor.Listen();
            if (!Release(pid, sync, io, supervisor, spec.ExitFile, new StdioLink(), new StartReport { Pid = pid, RunsExecs = execs != null },
                    p => Kernel.WaitChild(p), cgroup.Destroy, explained))
                return 1;
            ReleaseStartupPagesUnlessDone(pid);

            // Reap until our process ends (re-parented orphans are reaped on the way, execs' exits handed on).
            var status = reaper.ReapUntil(pid);
            execs?.Close();
            bool oom = cgroup.OomKilled();
            cgroup.Destroy();   // the PID namespace is gone with its PID 1; this also catches anything that escaped
            if (execs != null) { reaper.ReapRemaining(TimeSpan.FromSeconds(2)); execs.WaitForEnded(TimeSpan.FromSeconds(5)); }
            supervisor.Finish(new ExitRecord
            {
                ExitCode = status.DockerExitCode, Signal = status.Signal, OomKilled = oom, FinishedAt = DateTimeOffset.UtcNow,
            }, spec.ExitFile);
            return 0;
        }
        catch (Exception e)
        {
            cgroup.Destroy();
            new StdioLink().Report(new StartReport { Error = e.Message, ExitCode = 125 });
            return 125;
        }
    }

    /// <summary>`minicontainer-shim exec EXECSPEC`: an exec with its own shim (one whose container's shim does not run
    /// execs, e.g. one that records --explain steps, or one started by an earlier daemon).</summary>
    public static int RunExec(string execSpecPath)
    {
        var spec = JsonSerializer.Deserialize(File.ReadAllText(execSpecPath), RuntimeJson.Default.ExecSpec)!;
        PrepareShimProcess(Path.Combine(Path.GetDirectoryName(execSpecPath)!, "shim.log"));
        var explained = ListenForExplain(spec.Process, Path.GetDirectoryName(execSpecPath)!);
        var daemon = new StdioLink();
        Supervisor supervisor;
        int pid;
        SyncChannel sync;
        Stdio io;
        try
        {
            var cgroup = CgroupManager.Open(spec.CgroupName);
            // On the main thread, as for a container: the process dies with the shim's main thread, i.e. with the shim.
            // The middle process is reaped with any other orphan by the loop below (ReapUntil).
            (pid, sync, io) = ForkIntoContainer(spec.TargetPid, spec.Process, fork => fork(), p => Kernel.WaitChild(p)?.Status, abandonChild: _ => { });
            cgroup.AddProcess(pid);
            supervisor = new Supervisor(spec.ControlSocket, null, durableExit: false);
            supervisor.Listen();
        }
        catch (Exception e)
        {
            daemon.Report(new StartReport { Error = e.Message, ExitCode = 126 });
            return 126;
        }
        if (!Release(pid, sync, io, supervisor, spec.ExitFile, daemon, new StartReport { Pid = pid }, p => Kernel.WaitChild(p), null, explained))
            return 1;
        ReleaseStartupPagesUnlessDone(pid);
        var status = new ChildReaper().ReapUntil(pid);   // orphans re-parented to us (e.g. the middle process) are reaped on the way
        supervisor.Finish(new ExitRecord { ExitCode = status.DockerExitCode, Signal = status.Signal, FinishedAt = DateTimeOffset.UtcNow }, spec.ExitFile);
        return 0;
    }

    /// <summary>
    /// An exec's process: open the namespaces of the container's PID 1 (its mount namespace is joined later, by
    /// exec-init), make its stdio, and fork it into them — `minicontainer-shim exec-init`, held before its execve
    /// until the sync channel says go. <paramref name="onLaunchThread"/> runs the fork on the thread whose life the
    /// process's parent-death signal follows; <paramref name="awaitChild"/> reaps the short-lived middle process, or
    /// <paramref name="abandonChild"/> leaves it to the caller's reaper once the fork worked.
    /// </summary>
    public static (int Pid, SyncChannel Sync, Stdio Io) ForkIntoContainer(int targetPid, ProcessSpec process,
        Func<Func<int>, int> onLaunchThread, Func<int, ExitStatus?> awaitChild, Action<int>? abandonChild = null)
    {
        var fds = new List<int>(); var types = new List<int>();
        Stdio? io = null;
        int shimEnd = -1, childEnd = -1;
        Launcher.ChildFds? childFds = null;
        try
        {
            bool joinsUserNamespace = false;
            foreach (var (kind, file) in NamespaceFiles.JoinOrder)
            {
                if (kind == Namespace.Mount) continue;
                string path = $"/proc/{targetPid}/ns/{file}";
                if (kind == Namespace.User && SameNamespace(path, "/proc/self/ns/user")) continue; // no user namespace to join
                fds.Add(Kernel.Open(path, Kernel.O_RDONLY | Kernel.O_CLOEXEC));
                types.Add((int)kind);
                if (kind == Namespace.User) joinsUserNamespace = true;
            }
            io = Stdio.Create(process);
            (shimEnd, childEnd) = Kernel.SocketPair();
            string processJson = JsonSerializer.Serialize(process, RuntimeJson.Default.ProcessSpec);
            var forChild = io.ChildFds(Kernel.DuplicateHigh(childEnd));
            childFds = forChild;
            int pid = onLaunchThread(() => Launcher.JoinNamespacesAndFork(fds.ToArray(), types.ToArray(),
                new[] { "minicontainer-exec", "exec-init", targetPid.ToString(), processJson },
                new[] { "PATH=" + CommandLookup.DefaultPath }, forChild, joinsUserNamespace, awaitChild: awaitChild, abandonChild: abandonChild));
            var made = (pid, new SyncChannel(shimEnd), io);
            shimEnd = -1;
            return made;
        }
        catch
        {
            io?.CloseParentEnds();
            Kernel.Close(shimEnd);
            throw;
        }
        finally
        {
            // The child has its copies now; ours must go, or we would never see end-of-stream from it.
            foreach (int fd in fds) Kernel.Close(fd);
            if (childFds is { } c) CloseAll(c, childEnd); else Kernel.Close(childEnd);
            io?.CloseChildEnds();
        }
    }

    /// <summary>--explain: our steps, and those the init stage sends over the sync channel, go to the explain log
    /// next to the spec as they happen (the daemon merges it into the container's). Null when not asked for.</summary>
    private static Action<ExplainStep>? ListenForExplain(ProcessSpec process, string dir)
    {
        if (!process.Explain) return null;
        var log = new ExplainLog.Writer(Path.Combine(dir, ExplainLog.ShimFile));
        Explain.ProcessName = "shim";
        Explain.ListenInProcess(log.Write);
        return log.Write;
    }

    /// <summary>
    /// From "created" to "started", for every kind of shim: report the pid, wait for the daemon's start (it connects
    /// the clients that must not miss any output first), say go, and report "started" once the process ran its
    /// execve — or the error. False when the process never ran (the daemon gave up, or the setup failed): then it is
    /// reaped (<paramref name="reap"/>), <paramref name="cleanUp"/> runs, and its end is recorded.
    /// </summary>
    public static bool Release(int pid, SyncChannel sync, Stdio io, Supervisor supervisor, string exitFile, IDaemonLink daemon,
        StartReport created, Action<int> reap, Action? cleanUp, Action<ExplainStep>? explained)
    {
        daemon.Report(created);
        // While the daemon wires the network and connects its clients (they wait in the listen queue until now):
        supervisor.AcceptClients();
        supervisor.ReserveExitFile(exitFile);
        if (!daemon.AwaitStart())
        {
            Kernel.TryKill(pid, 9);
            reap(pid);
            Kernel.Close(sync.Descriptor);
            io.CloseParentEnds();
            cleanUp?.Invoke();
            supervisor.Finish(new ExitRecord { ExitCode = 128 + 9, Signal = 9, Error = "aborted before start", FinishedAt = DateTimeOffset.UtcNow }, exitFile);
            return false;
        }
        sync.SendGo();
        var outcome = sync.AwaitStart(explained);
        Kernel.Close(sync.Descriptor);
        if (outcome.ErrorCode is int failedCode)
        {
            reap(pid);
            io.CloseParentEnds();
            cleanUp?.Invoke();
            daemon.Report(new StartReport { Pid = pid, Error = outcome.ErrorMessage, ExitCode = failedCode });
            supervisor.Finish(new ExitRecord { ExitCode = failedCode, Error = outcome.ErrorMessage, FinishedAt = DateTimeOffset.UtcNow }, exitFile);
            return false;
        }
        supervisor.StartIo(io.StdoutRead, io.StderrRead, io.StdinWrite, outcome.TerminalFd);
        daemon.Report(new StartReport { Pid = pid });                // started
        daemon.Detach();
        return true;
    }

    /// <summary>A process that runs on (a service, a shell) gets a shim that holds only what it still needs: after a
    /// second, the start-up's pages go (WorkingSet). One that ends at once (run --rm … true) is not delayed by it.</summary>
    private static void ReleaseStartupPagesUnlessDone(int pid)
    {
        if (!ExitsWithin(pid, TimeSpan.FromSeconds(1))) WorkingSet.ReleaseStartupPages();
    }

    /// <summary>Whether our child exits within the wait (reaping is left to the loop).</summary>
    private static bool ExitsWithin(int pid, TimeSpan wait)
    {
        int pidfd = Kernel.OpenPidFd(pid);
        try { return Kernel.AwaitPidFdExit(pidfd, (int)wait.TotalMilliseconds); }
        finally { Kernel.Close(pidfd); }
    }

    private static void CloseAll(Launcher.ChildFds fds, int childEnd)
    {
        Kernel.Close(fds.Stdin); Kernel.Close(fds.Stdout); Kernel.Close(fds.Stderr); Kernel.Close(fds.Sync); Kernel.Close(childEnd);
    }

    private static ResourceLimits ToLimits(ResourceLimitsSpec r) => new()
    {
        MemoryBytes = r.MemoryBytes, MemorySwapBytes = r.MemorySwapBytes, CpuQuotaMicros = r.CpuQuotaMicros,
        CpuPeriodMicros = r.CpuPeriodMicros, CpuShares = r.CpuShares, PidsLimit = r.PidsLimit,
        MemoryReservationBytes = r.MemoryReservationBytes, MemorySwappiness = r.MemorySwappiness,
        CpusetCpus = r.CpusetCpus, CpusetMems = r.CpusetMems,
        DeviceRules = r.DeviceRules?.Select(DeviceRule.ParseSpecLine).ToList(),
    };

    /// <summary>A bind with shared or slave propagation must stay connected to the source's mount on the host, which
    /// the container's own (private) copy of the host's mounts no longer is: clone the source's tree here, in the
    /// host's mount namespace — open_tree keeps the clone in the source's peer group — for the init stage to attach.</summary>
    private static void SendPropagatingBinds(ContainerSpec spec, SyncChannel sync)
    {
        foreach (var m in spec.Mounts.Where(m => m.Propagation != null))
        {
            int tree = Kernel.CloneMountTree(m.Source, recursive: true);
            try { sync.SendBindMount(tree); }
            finally { Kernel.Close(tree); }
        }
    }

    private static void JoinNamespace(string path, Namespace kind)
    {
        int fd = Kernel.Open(path, Kernel.O_RDONLY | Kernel.O_CLOEXEC);
        try { Kernel.JoinNamespace(fd, kind, path); }
        finally { Kernel.Close(fd); }
    }

    internal static bool SameNamespace(string a, string b)
    {
        // readlink of /proc/PID/ns/user reads "user:[4026531837]": equal text, same namespace.
        try { return new FileInfo(a).LinkTarget == new FileInfo(b).LinkTarget; }
        catch (IOException) { return false; }
    }

    /// <summary>Own session (so the daemon's terminal signals don't reach us), subreaper, diagnostics to shim.log.</summary>
    private static void PrepareShimProcess(string logPath)
    {
        try { Kernel.NewSession(); } catch (KernelException) { }
        Kernel.BecomeSubreaper();
        int log;
        try { log = Kernel.Open(logPath, Kernel.O_WRONLY | Kernel.O_CREAT | Kernel.O_APPEND | Kernel.O_CLOEXEC, 0x180); }
        catch (KernelException) { log = Kernel.Open("/dev/null", Kernel.O_WRONLY | Kernel.O_CLOEXEC); } // e.g. a full disk: run without diagnostics
        Kernel.Check(ForkSafe.Dup3(log, 2, 0), "dup3(shim.log, 2)");
        Kernel.Close(log);
    }
}

/// <summary>The pipes between the shim and its process (none for a terminal: init opens one and sends us its master).</summary>
public sealed class Stdio
{
    public int StdinRead = -1, StdinWrite = -1, StdoutRead = -1, StdoutWrite = -1, StderrRead = -1, StderrWrite = -1, DevNull = -1;

    public static Stdio Create(ProcessSpec p)
    {
        var s = new Stdio { DevNull = Kernel.Open("/dev/null", Kernel.O_RDWR | Kernel.O_CLOEXEC) };
        if (p.Terminal) return s;
        if (p.OpenStdin) (s.StdinRead, s.StdinWrite) = Kernel.Pipe();
        (s.StdoutRead, s.StdoutWrite) = Kernel.Pipe();
        (s.StderrRead, s.StderrWrite) = Kernel.Pipe();
        return s;
    }

    public Launcher.ChildFds ChildFds(int sync) => new(
        Kernel.DuplicateHigh(StdinRead >= 0 ? StdinRead : DevNull),
        Kernel.DuplicateHigh(StdoutWrite >= 0 ? StdoutWrite : DevNull),
        Kernel.DuplicateHigh(StderrWrite >= 0 ? StderrWrite : DevNull),
        sync);

    /// <summary>Ours (the process never ran, so nobody pumps them).</summary>
    public void CloseParentEnds()
    {
        Kernel.Close(StdinWrite); Kernel.Close(StdoutRead); Kernel.Close(StderrRead);
        StdinWrite = StdoutRead = StderrRead = -1;
    }

    public void CloseChildEnds()
    {
        Kernel.Close(StdinRead); Kernel.Close(StdoutWrite); Kernel.Close(StderrWrite); Kernel.Close(DevNull);
        StdinRead = StdoutWrite = StderrWrite = DevNull = -1;
    }
}
