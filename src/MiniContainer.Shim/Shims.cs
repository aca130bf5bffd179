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
        var spec = ReadSpec(bundleDir);
        DetachFromCallerSession();
        LogDiagnosticsTo(Path.Combine(bundleDir, "shim.log"));
        var explained = ListenForExplain(spec.Process, bundleDir);

        var cgroup = CgroupManager.Open(spec.CgroupName);
        int cgroupDir = -1;
        try
        {
            // cgroup v2: the cgroup is made first and the child is born in it (clone3 with CLONE_INTO_CGROUP), so it is
            // never moved: a move waits for an RCU grace period (see CgroupAttachPrimer). v1 has no such birth; there the
            // cgroup is made while the child starts up, and the child is moved in below.
            if (cgroup.Version == CgroupVersion.V2)
            {
                cgroup.Create();
                cgroup.Apply(ToLimits(spec.Resources));
                cgroupDir = OpenForBirth(cgroup);
            }
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
            bool bornInCgroup;
            try
            {
                pid = Launcher.CloneIntoNamespaces(namespaces, new[] { "minicontainer-init", "init", bundleDir },
                    new[] { "PATH=" + CommandLookup.DefaultPath }, childFds, cgroupDir, out bornInCgroup);
            }
            finally
            {
                if (shimPidNs >= 0) { Kernel.JoinNamespace(shimPidNs, Namespace.Pid); Kernel.Close(shimPidNs); }
                if (cgroupDir >= 0) Kernel.Close(cgroupDir);
            }
            // The child has its copies now; ours must go, or we would never see end-of-stream from it.
            CloseAll(childFds, childEnd);
            io.CloseChildEnds();
            return AfterClone(pid, new SyncChannel(shimEnd), io, spec, cgroup, cgroupMade: cgroup.Version == CgroupVersion.V2, bornInCgroup, explained);
        }
        catch (Exception e)
        {
            cgroup.Destroy();
            Report(new StartReport { Error = e.Message, ExitCode = 125 });
            return 125;
        }
    }

    /// <summary>
    /// A container's shim once its init stage exists: the cgroup, the id maps, the fds the init stage needs, then
    /// "prepare", and supervision.
    /// </summary>
    private static int AfterClone(int pid, SyncChannel sync, Stdio io, ContainerSpec spec, ICgroup cgroup, bool cgroupMade, bool bornInCgroup,
        Action<ExplainStep>? explained)
    {
        // v1: the cgroup is made while the child starts up (it runs nothing of the container's before "prepare", which
        // comes only once it is in the cgroup): the two take about as long, and this host has two cores.
        if (!cgroupMade)
        {
            cgroup.Create();
            cgroup.Apply(ToLimits(spec.Resources));
        }
        if (spec.UidMappings is { Count: > 0 }) UserNamespace.Prepare(pid, spec, sync);
        SendPropagatingBinds(spec, sync);
        if (!bornInCgroup) cgroup.AddProcess(pid);
        return Supervise(pid, sync, io, spec.ControlSocket, spec.LogPath, spec.ExitFile, cgroup, destroyCgroup: true, explained, prepare: true);
    }

    /// <summary>
    /// `minicontainer-shim warm`: a container's shim started ahead of time, before its container is known (on cgroup v1
    /// hosts the daemon keeps one ready, see WarmShim there). At once it clones an init stage into
    /// <see cref="ContainerSpec.WarmNamespaces"/>, moves it into a spare cgroup of its own
    /// (<see cref="CgroupManager.WarmSpareName"/>), reports "ready" (the init stage's pid) and waits. The daemon's
    /// "run BUNDLE" line then makes it that container's shim: the spare cgroup is renamed to the container's (the init
    /// stage stays inside: nothing is moved, so no grace period is waited for), its limits are written, the init stage
    /// gets its stdio and bundle, and the shim goes on as <see cref="RunContainer"/> does after its clone. A `run` thus
    /// finds two Native AOT start-ups, the namespaces and the cgroup done. End of stdin instead (the daemon stopped):
    /// the init stage dies with us, and the spare cgroup goes.
    /// </summary>
    public static int RunWarm()
    {
        DetachFromCallerSession();
        var (shimEnd, childEnd) = Kernel.SocketPair();
        int devNull = Kernel.Open("/dev/null", Kernel.O_RDWR | Kernel.O_CLOEXEC);
        var childFds = new Launcher.ChildFds(Kernel.DuplicateHigh(devNull), Kernel.DuplicateHigh(devNull), Kernel.DuplicateHigh(devNull),
            Kernel.DuplicateHigh(childEnd));
        int pid = -1;
        ICgroup? cgroup = null;
        try
        {
            pid = Launcher.CloneIntoNamespaces(ContainerSpec.WarmNamespaces, new[] { "minicontainer-init", "init-warm" },
                new[] { "PATH=" + CommandLookup.DefaultPath }, childFds);
            cgroup = CgroupManager.Open(CgroupManager.WarmSpareName(Environment.ProcessId));
            if (cgroup is not CgroupV1) throw new CgroupException("a warm shim needs cgroup v1, where a cgroup can be renamed");
            cgroup.Create();
            cgroup.AddProcess(pid);   // the grace period is waited for here, before any container asks
        }
        catch (Exception e)
        {
            return Abandon(pid, cgroup, e.Message);
        }
        finally { CloseAll(childFds, childEnd); Kernel.Close(devNull); }
        Report(new StartReport { Pid = pid });   // ready
        ReadyTheSpecReader(RuntimeJson.Default.ContainerSpec);

        string? command = Console.In.ReadLine();
        if (command is null || !command.StartsWith("run ", StringComparison.Ordinal))
        {
            Abandon(pid, cgroup, error: null);
            return 0;
        }
        string bundleDir = command["run ".Length..];
        try
        {
            var spec = ReadSpec(bundleDir);
            LogDiagnosticsTo(Path.Combine(bundleDir, "shim.log"));
            if (!spec.SuitsWarmShim)
                throw new InvalidOperationException("this container needs other namespaces than a warm shim's init stage has (the daemon should have started a shim for it)");
            var spare = (CgroupV1)cgroup;
            var existing = CgroupManager.Open(spec.CgroupName);
            if (Directory.Exists(existing.Directories[0]))
            {
                // The container's cgroup is there already (made by hand, or left by a shim that was killed): a rename
                // onto it is refused, so do as a shim started for the container does — use it, and move the init
                // stage in.
                cgroup = existing;
                cgroup.Create();
                cgroup.AddProcess(pid);
                spare.Destroy();
            }
            else cgroup = spare.RenameTo(spec.CgroupName);
            cgroup.Apply(ToLimits(spec.Resources));
            var io = Stdio.Create(spec.Process);
            var sync = new SyncChannel(shimEnd);
            sync.SendContainer(io.ChildEnds(), bundleDir);
            io.CloseChildEnds();
            return AfterClone(pid, sync, io, spec, cgroup, cgroupMade: true, bornInCgroup: true, explained: null);
        }
        catch (Exception e)
        {
            return Abandon(pid, cgroup, e.Message);
        }
    }

    /// <summary>
    /// `minicontainer-shim warm-exec`: an exec's shim started ahead of time (see WarmShim in the daemon). It says
    /// "ready" and waits; "exec EXECSPEC" on its stdin makes it that exec's shim, as if started for it: a `docker exec`
    /// finds this Native AOT start-up done. End of stdin instead (the daemon stopped): it exits.
    /// </summary>
    public static int RunWarmExec()
    {
        DetachFromCallerSession();
        Report(new StartReport());   // ready
        ReadyTheSpecReader(RuntimeJson.Default.ExecSpec);
        string? command = Console.In.ReadLine();
        return command is not null && command.StartsWith("exec ", StringComparison.Ordinal) ? RunExec(command["exec ".Length..]) : 0;
    }

    /// <summary>A warm shim that will not become a container's: its init stage killed and reaped, its cgroup removed,
    /// and the error (if any) reported to the daemon.</summary>
    private static int Abandon(int pid, ICgroup? cgroup, string? error)
    {
        if (pid > 0) { Kernel.TryKill(pid, Kernel.SIGKILL); Kernel.WaitChild(pid); }
        try { cgroup?.Destroy(); } catch (CgroupException e) { Console.Error.WriteLine(e.Message); }
        if (error is null) return 0;
        Report(new StartReport { Error = error, ExitCode = 125 });
        return 125;
    }

    /// <summary>While a warm shim (or its init stage) waits: the JSON reader of the spec it will be given, made now.
    /// Under Native AOT, System.Text.Json sets each type up at its first use, partly by reflection (~0.8 ms for
    /// ContainerSpec's dozen types, measured with perf), and that first use was the read of the spec on the start's
    /// path.</summary>
    internal static void ReadyTheSpecReader<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> spec) =>
        JsonSerializer.Deserialize("{}"u8, spec);

    private static ContainerSpec ReadSpec(string bundleDir) =>
        JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(bundleDir, "spec.json")), RuntimeJson.Default.ContainerSpec)
        ?? throw new InvalidDataException($"empty {bundleDir}/spec.json");

    public static int RunExec(string execSpecPath)
    {
        var spec = JsonSerializer.Deserialize(File.ReadAllText(execSpecPath), RuntimeJson.Default.ExecSpec)!;
        DetachFromCallerSession();
        LogDiagnosticsTo(Path.Combine(Path.GetDirectoryName(execSpecPath)!, "shim.log"));
        var explained = ListenForExplain(spec.Process, Path.GetDirectoryName(execSpecPath)!);
        try
        {
            var cgroup = CgroupManager.Open(spec.CgroupName);
            // Open the namespaces of the container's PID 1; the mount namespace is joined later by exec-init.
            var fds = new List<int>(); var types = new List<int>();
            bool joinsUserNamespace = false;
            foreach (var (kind, file) in NamespaceFiles.JoinOrder)
            {
                if (kind == Namespace.Mount) continue;
                string path = $"/proc/{spec.TargetPid}/ns/{file}";
                if (kind == Namespace.User && Kernel.SameNamespace(path, "/proc/self/ns/user")) continue; // no user namespace to join
                fds.Add(Kernel.Open(path, Kernel.O_RDONLY | Kernel.O_CLOEXEC));
                types.Add((int)kind);
                if (kind == Namespace.User) joinsUserNamespace = true;
            }
            var io = Stdio.Create(spec.Process);
            var (shimEnd, childEnd) = Kernel.SocketPair();
            string processJson = JsonSerializer.Serialize(spec.Process, RuntimeJson.Default.ProcessSpec);
            var childFds = io.ChildFds(Kernel.DuplicateHigh(childEnd));
            // cgroup v2: the process is born in the container's cgroup rather than moved there (a move waits for an RCU
            // grace period, see CgroupAttachPrimer).
            int cgroupDir = cgroup.Version == CgroupVersion.V2 ? OpenForBirth(cgroup) : -1;
            // On the main thread, as for a container: the process dies with the shim's main thread, i.e. with the shim.
            int pid;
            bool bornInCgroup;
            try
            {
                pid = Launcher.JoinNamespacesAndFork(fds.ToArray(), types.ToArray(),
                    new[] { "minicontainer-exec", "exec-init", spec.TargetPid.ToString(), processJson },
                    new[] { "PATH=" + CommandLookup.DefaultPath }, childFds, joinsUserNamespace, cgroupDir, out bornInCgroup);
            }
            finally { if (cgroupDir >= 0) Kernel.Close(cgroupDir); }
            foreach (int fd in fds) Kernel.Close(fd);
            CloseAll(childFds, childEnd);
            io.CloseChildEnds();
            if (!bornInCgroup) cgroup.AddProcess(pid);
            return Supervise(pid, new SyncChannel(shimEnd), io, spec.ControlSocket, null, spec.ExitFile, cgroup, destroyCgroup: false, explained);
        }
        catch (Exception e)
        {
            Report(new StartReport { Error = e.Message, ExitCode = 126 });
            return 126;
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

    /// <param name="prepare">send the init stage "prepare" (a container's, not an exec's): it builds the rootfs while
    /// the daemon wires the network and attaches. Sent after our "created" report, not before: on two cores the woken
    /// init stage would otherwise often take this shim's core, and hold the report up for its whole rootfs work.</param>
    private static int Supervise(int pid, SyncChannel sync, Stdio io, string controlSocket, string? logPath, string exitFile, ICgroup cgroup, bool destroyCgroup,
        Action<ExplainStep>? explained, bool prepare = false)
    {
        var supervisor = new Supervisor(controlSocket, logPath);
        supervisor.Listen();
        supervisor.ReserveExitFile(exitFile);
        Report(new StartReport { Pid = pid });                // created
        if (prepare) sync.SendPrepare();

        string? command = Console.In.ReadLine();              // the daemon: "start" once its clients are attached
        if (command != "start")
        {
            Kernel.TryKill(pid, 9);
            Kernel.WaitChild(pid);
            if (destroyCgroup) cgroup.Destroy();
            supervisor.Finish(new ExitRecord { ExitCode = 128 + 9, Signal = 9, Error = "aborted before start", FinishedAt = DateTimeOffset.UtcNow }, exitFile);
            return 1;
        }
        sync.SendGo();
        var outcome = sync.AwaitStart(explained);
        Kernel.Close(sync.Descriptor);
        if (outcome.ErrorCode is int failedCode)
        {
            Kernel.WaitChild(pid);
            if (destroyCgroup) cgroup.Destroy();
            Report(new StartReport { Pid = pid, Error = outcome.ErrorMessage, ExitCode = failedCode });
            supervisor.Finish(new ExitRecord { ExitCode = failedCode, Error = outcome.ErrorMessage, FinishedAt = DateTimeOffset.UtcNow }, exitFile);
            return 0;
        }
        supervisor.StartIo(io.StdoutRead, io.StderrRead, io.StdinWrite, outcome.TerminalFd);
        Report(new StartReport { Pid = pid });                // started
        DetachFromDaemon();
        // A process that runs on (a service, a shell) gets a shim that holds only what it still needs: after a
        // second, the start-up's pages go (WorkingSet). One that ends at once (run --rm … true) is not delayed by it.
        if (!ExitsWithin(pid, TimeSpan.FromSeconds(1))) WorkingSet.ReleaseStartupPages();

        // Reap until our process ends (re-parented orphans, e.g. exec's middle process, are reaped on the way).
        ExitStatus status;
        while (true)
        {
            var ended = Kernel.WaitChild(-1);
            if (ended is null) { status = new ExitStatus(255, 0); break; }
            if (ended.Value.Pid == pid) { status = ended.Value.Status; break; }
        }
        bool oom = false;
        if (destroyCgroup)
        {
            oom = cgroup.OomKilled();
            cgroup.Destroy();   // the PID namespace is gone with its PID 1; this also catches anything that escaped
        }
        supervisor.Finish(new ExitRecord
        {
            ExitCode = status.DockerExitCode, Signal = status.Signal, OomKilled = oom, FinishedAt = DateTimeOffset.UtcNow,
        }, exitFile);
        return 0;
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

    /// <summary>The cgroup v2 directory, open for clone3's CLONE_INTO_CGROUP (see Launcher).</summary>
    private static int OpenForBirth(ICgroup cgroup) =>
        Kernel.Open(cgroup.Directories[0], Kernel.O_PATH | Kernel.O_DIRECTORY | Kernel.O_CLOEXEC);

    private static void JoinNamespace(string path, Namespace kind)
    {
        int fd = Kernel.Open(path, Kernel.O_RDONLY | Kernel.O_CLOEXEC);
        try { Kernel.JoinNamespace(fd, kind, path); }
        finally { Kernel.Close(fd); }
    }

    /// <summary>Own session (so the daemon's terminal signals don't reach us), and subreaper.</summary>
    private static void DetachFromCallerSession()
    {
        try { Kernel.NewSession(); } catch (KernelException) { }
        Kernel.BecomeSubreaper();
    }

    /// <summary>Our diagnostics (stderr) go to shim.log.</summary>
    private static void LogDiagnosticsTo(string logPath)
    {
        int log;
        try { log = Kernel.Open(logPath, Kernel.O_WRONLY | Kernel.O_CREAT | Kernel.O_APPEND | Kernel.O_CLOEXEC, 0x180); }
        catch (KernelException) { log = Kernel.Open("/dev/null", Kernel.O_WRONLY | Kernel.O_CLOEXEC); } // e.g. a full disk: run without diagnostics
        Kernel.Check(ForkSafe.Dup3(log, 2, 0), "dup3(shim.log, 2)");
        Kernel.Close(log);
    }

    private static void Report(StartReport r)
    {
        try
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(r, RuntimeJson.Default.StartReport));
            Console.Out.Flush();
        }
        catch (IOException) { }
    }

    /// <summary>The daemon has what it needs; from now on it talks to us over the control socket only.</summary>
    private static void DetachFromDaemon()
    {
        int devNull = Kernel.Open("/dev/null", Kernel.O_RDWR);
        ForkSafe.Dup3(devNull, 0, 0);
        ForkSafe.Dup3(devNull, 1, 0);
        Kernel.Close(devNull);
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

    /// <summary>The process's ends: its stdin, stdout and stderr (/dev/null where there is no pipe).</summary>
    public int[] ChildEnds() => new[] { StdinRead >= 0 ? StdinRead : DevNull, StdoutWrite >= 0 ? StdoutWrite : DevNull, StderrWrite >= 0 ? StderrWrite : DevNull };

    public Launcher.ChildFds ChildFds(int sync)
    {
        int[] ends = ChildEnds();
        return new(Kernel.DuplicateHigh(ends[0]), Kernel.DuplicateHigh(ends[1]), Kernel.DuplicateHigh(ends[2]), sync);
    }

    public void CloseChildEnds()
    {
        Kernel.Close(StdinRead); Kernel.Close(StdoutWrite); Kernel.Close(StderrWrite); Kernel.Close(DevNull);
        StdinRead = StdoutWrite = StderrWrite = DevNull = -1;
    }
}
