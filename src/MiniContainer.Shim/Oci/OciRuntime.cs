using System.Net.Sockets;
using MiniContainer.Cgroups;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// The OCI lifecycle (runtime-spec runtime.md) on the shared engine:
///   create  read the bundle, make the cgroup, clone() into the namespaces (Launcher, as the shim does), write the
///           id maps, run prestart/createRuntime hooks, say go; the init stage (OciInit) builds the root and holds the
///           process before execve; create returns once it says so. No process of ours stays behind: the container's
///           parent becomes whoever called us (containerd's shim is a subreaper), as with runc.
///   start   open exec.fifo: the held process goes on to execve; poststart hooks.
///   state   status read from the kernel (OciStateStore).
///   kill    a signal to the process (or, with --all, to everything in its cgroup).
///   delete  kill what is left (created, or --force), remove the cgroup and the state directory, poststop hooks.
/// </summary>
public sealed class OciRuntime(OciStateStore store, Action<string> warn)
{
    /// <param name="PreserveFds">--preserve-fds: the caller's fds 3 … 3+N-1 go into the process (OciPreservedFds).</param>
    public sealed record CreateOptions(string Bundle, string? PidFile, string? ConsoleSocket, int PreserveFds = 0);

    public int Create(string id, CreateOptions o) => CreateProcess(id, o).Pid;

    private (int Pid, OciRecord Record) CreateProcess(string id, CreateOptions o)
    {
        OciStateStore.ValidateId(id);
        if (store.Exists(id)) throw new OciConfigException($"container with id exists: {id}");
        var bundle = OciBundle.Load(o.Bundle);
        if (bundle.Process.Terminal && o.ConsoleSocket is null)
            throw new OciConfigException("process.terminal is true but no --console-socket was given (minicontainer-runc does not relay a terminal itself)");
        if (!bundle.Process.Terminal && o.ConsoleSocket is not null)
            throw new OciConfigException("--console-socket was given but process.terminal is false");
        string cgroupName = bundle.CgroupName(id);
        foreach (string w in bundle.Warnings) warn(w);

        Directory.CreateDirectory(store.Root);
        string dir = store.DirectoryOf(id);
        // 0711 and a readable state.json: the init stage reads it, and in a user namespace it is not the host's root.
        Kernel.MakeDirectory(dir, 0x1C9 /* 0711 */);
        Kernel.Chmod(dir, 0x1C9);
        ICgroup? cgroup = null;
        int pid = -1;
        try
        {
            // 0622: the process may have switched to a non-root user by the time it opens the FIFO for writing.
            Kernel.MakeNode(store.FifoOf(id), FileKind.Fifo, 0x192);
            Kernel.Chmod(store.FifoOf(id), 0x192);
            var record = new OciRecord
            {
                Id = id, Bundle = bundle.Directory, CgroupName = cgroupName, Created = DateTimeOffset.UtcNow,
                Annotations = bundle.Config.Annotations, Rootfs = bundle.RootfsPath,
                OwnsCgroupParent = cgroupName.StartsWith(OciBundle.DefaultCgroupParent + "/", StringComparison.Ordinal),
            };
            store.Save(record);

            cgroup = CgroupManager.Open(cgroupName);
            cgroup.Create();
            cgroup.Apply(bundle.Limits with { DeviceRules = bundle.EffectiveDeviceRules() });
            foreach (string w in cgroup.Warnings) warn(w);

            var (ours, childEnd) = Kernel.SocketPair();
            var fds = new Launcher.ChildFds(Kernel.DuplicateHigh(0), Kernel.DuplicateHigh(1), Kernel.DuplicateHigh(2), Kernel.DuplicateHigh(childEnd));
            var (fdsVariable, parked) = OciPreservedFds.Prepare(o.PreserveFds);
            try { pid = CloneJoining(bundle, fds, store.DirectoryOf(id), fdsVariable); }
            finally { Kernel.Close(parked); }
            Kernel.Close(fds.Stdin); Kernel.Close(fds.Stdout); Kernel.Close(fds.Stderr); Kernel.Close(fds.Sync); Kernel.Close(childEnd);
            var sync = new SyncChannel(ours);
            if (bundle.NewNamespaces.HasFlag(Namespace.User)) UserNamespace.WriteIdMaps(pid, bundle.UidMappings!, bundle.GidMappings, sync);
            cgroup.AddProcess(pid);
            record.Pid = pid;
            record.StartTime = ProcStat.Read(pid)?.StartTime ?? throw new InvalidOperationException($"the container's process {pid} is gone");
            store.Save(record);

            string creating = OciStateStore.HookState(record, "creating");
            OciHookRunner.Run("prestart", bundle.Config.Hooks?.Prestart, creating);
            OciHookRunner.Run("createRuntime", bundle.Config.Hooks?.CreateRuntime, creating);
            sync.SendGo();
            AwaitHeld(sync, o.ConsoleSocket);
            Kernel.Close(ours);
            if (o.PidFile is { } pidFile) WriteAtomically(pidFile, pid.ToString());
            return (pid, record);
        }
        catch
        {
            if (pid > 0) { Kernel.TryKill(pid, 9); Kernel.WaitChild(pid); }
            cgroup?.Destroy();
            RemoveCgroupParentIfEmpty(cgroupName);
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>linux.namespaces with a path: this thread joins them and the clone inherits them (as the shim does for
    /// --network/--pid container:X). A PID namespace changes only where this thread's children are born; the thread goes
    /// back to its own right after the clone, since it can create no thread while it is there.</summary>
    private static int CloneJoining(OciBundle bundle, Launcher.ChildFds fds, string stateDir, string fdsVariable)
    {
        int ownPidNs = -1, mountNs = -1;
        try
        {
            foreach (var (kind, path) in bundle.JoinNamespaces)
            {
                if (kind == Namespace.Mount) { mountNs = Kernel.Open(path, Kernel.O_RDONLY | Kernel.O_CLOEXEC); continue; }
                if (kind == Namespace.Pid && ownPidNs < 0) ownPidNs = Kernel.Open("/proc/self/ns/pid", Kernel.O_RDONLY | Kernel.O_CLOEXEC);
                int fd = Kernel.Open(path, Kernel.O_RDONLY | Kernel.O_CLOEXEC);
                try { Kernel.JoinNamespace(fd, kind, path); }
                finally { Kernel.Close(fd); }
            }
            return Launcher.CloneIntoNamespaces(bundle.NewNamespaces, ["minicontainer-runc", "oci-init", stateDir],
                ["PATH=" + CommandLookup.DefaultPath, fdsVariable], fds, dieWithParent: false, joinMountNamespace: mountNs);
        }
        finally
        {
            Kernel.Close(mountNs);
            if (ownPidNs >= 0) { Kernel.JoinNamespace(ownPidNs, Namespace.Pid); Kernel.Close(ownPidNs); }
        }
    }

    /// <summary>Reads the init stage's messages until it is held before execve ('R'), handing a terminal's master to the
    /// console socket on the way; an error ('E') or its exit before that fails create.</summary>
    private static void AwaitHeld(SyncChannel sync, string? consoleSocket)
    {
        while (true)
        {
            var (tag, fd) = Kernel.ReceiveFd(sync.Descriptor);
            if (tag == SyncChannel.Ready) return;
            if (tag == SyncChannel.Terminal && fd >= 0)
            {
                try { SendToConsoleSocket(consoleSocket!, fd); }
                finally { Kernel.Close(fd); }
                continue;
            }
            if (tag == SyncChannel.Error)
            {
                var text = new MemoryStream();
                var buffer = new byte[4096];
                int n;
                while ((n = Kernel.Read(sync.Descriptor, buffer)) > 0) text.Write(buffer, 0, n);
                string message = System.Text.Encoding.UTF8.GetString(text.ToArray());
                int space = message.IndexOf(' ');
                throw new OciConfigException(space > 0 ? message[(space + 1)..] : message);
            }
            if (tag == -1) throw new OciConfigException("the container's init stage exited before it was ready");
        }
    }

    /// <summary>--console-socket: the pty master goes to the caller over its unix socket (SCM_RIGHTS), as runc does.</summary>
    private static void SendToConsoleSocket(string path, int master)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        Kernel.SendFd((int)socket.Handle, master, (byte)'T');
    }

    public void Start(string id)
    {
        var record = store.Load(id);
        string status = store.StatusOf(record);
        if (status != "created") throw new OciConfigException($"cannot start a container that is {status}: {id}");
        string fifo = store.FifoOf(id);
        int reader = Kernel.Open(fifo, Kernel.O_RDONLY | Kernel.O_NONBLOCK | Kernel.O_CLOEXEC);
        try
        {
            // The held process's blocked open completes now that a reader exists; its byte says it is through.
            Span<byte> one = stackalloc byte[1];
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var poll = new PollFd[] { new() { Fd = reader, Events = 1 /* POLLIN */ } };
                if (Kernel.Poll(poll, 100) > 0 && (poll[0].REvents & 1) != 0 && Kernel.Read(reader, one) == 1) break;
                if (!OciStateStore.IsAlive(record.Pid, record.StartTime)) throw new OciConfigException($"container {id} exited before start");
                if (DateTime.UtcNow > deadline) throw new OciConfigException($"container {id} did not take the start signal within 30s");
            }
        }
        finally { Kernel.Close(reader); }
        File.Delete(fifo);
        WaitForExecve(record);
        OciHookRunner.RunWarningOnFailure("poststart", LoadHooks(record)?.Poststart, OciStateStore.HookState(record, "running"), warn);
    }

    public string State(string id) => System.Text.Json.JsonSerializer.Serialize(store.StateOf(store.Load(id)), OciJsonIndented.Default.OciState);

    public void Kill(string id, int signal, bool all)
    {
        var record = store.Load(id);
        if (store.StatusOf(record) == "stopped") throw new OciConfigException("container not running");
        if (all)
        {
            foreach (int p in CgroupManager.Open(record.CgroupName).Processes().Where(p => p > 0)) Kernel.TryKill(p, signal);   // 0: outside our PID namespace
            return;
        }
        Kernel.Kill(record.Pid, signal);
    }

    public sealed record ExecOptions(string? ProcessJson, IReadOnlyList<string> Args, string? PidFile, string? ConsoleSocket, bool Detach,
        int PreserveFds = 0);

    /// <summary>
    /// exec: one more process in a running container, the way the daemon's exec shim makes one — Launcher's raw child
    /// joins the container's namespaces (all but the mount one) and forks into its PID namespace; the grandchild
    /// (`exec-init`, ExecInit) joins the mount namespace and ProcessStarter makes it the process. It goes into the
    /// container's cgroup before it is let go. Without --detach we wait and return its exit code.
    /// </summary>
    public int Exec(string id, ExecOptions o)
    {
        var record = store.Load(id);
        if (store.StatusOf(record) != "running") throw new OciConfigException($"cannot exec in a container that is not running: {id}");
        var bundle = OciBundle.Load(record.Bundle);
        OciProcess process;
        if (o.ProcessJson is { } file)
        {
            try { process = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(file), OciJson.Default.OciProcess)!; }
            catch (System.Text.Json.JsonException e) { throw new OciConfigException($"--process {file}: {e.Message}"); }
        }
        else
        {
            if (o.Args.Count == 0) throw new OciConfigException("exec: give the command, or --process FILE");
            process = bundle.Config.Process!;   // runc: the container's own process settings, with these args
            process.Args = o.Args.ToList();
            process.Terminal = false;
        }
        var spec = bundle.TranslateExecProcess(process);
        if (spec.Terminal && o.ConsoleSocket is null) throw new OciConfigException("process.terminal is true but no --console-socket was given");
        foreach (string w in bundle.Warnings) warn(w);

        var fds = new List<int>(); var types = new List<int>();
        bool joinsUser = false;
        foreach (var (kind, name) in NamespaceFiles.JoinOrder)
        {
            if (kind == Namespace.Mount) continue;   // ExecInit joins it itself
            string path = $"/proc/{record.Pid}/ns/{name}";
            if (new FileInfo(path).LinkTarget == new FileInfo($"/proc/self/ns/{name}").LinkTarget) continue;   // shared with us
            fds.Add(Kernel.Open(path, Kernel.O_RDONLY | Kernel.O_CLOEXEC));
            types.Add((int)kind);
            joinsUser |= kind == Namespace.User;
        }
        var (ours, childEnd) = Kernel.SocketPair();
        var child = new Launcher.ChildFds(Kernel.DuplicateHigh(0), Kernel.DuplicateHigh(1), Kernel.DuplicateHigh(2), Kernel.DuplicateHigh(childEnd));
        string json = System.Text.Json.JsonSerializer.Serialize(spec, RuntimeJson.Default.ProcessSpec);
        var (fdsVariable, parked) = OciPreservedFds.Prepare(o.PreserveFds);
        int pid;
        try
        {
            pid = Launcher.JoinNamespacesAndFork(fds.ToArray(), types.ToArray(), ["minicontainer-runc", "exec-init", record.Pid.ToString(), json],
                ["PATH=" + CommandLookup.DefaultPath, fdsVariable], child, joinsUser, dieWithParent: !o.Detach);
        }
        finally { Kernel.Close(parked); }
        foreach (int fd in fds) Kernel.Close(fd);
        Kernel.Close(child.Stdin); Kernel.Close(child.Stdout); Kernel.Close(child.Stderr); Kernel.Close(child.Sync); Kernel.Close(childEnd);
        var sync = new SyncChannel(ours);
        try
        {
            CgroupManager.Open(record.CgroupName).AddProcess(pid);
            sync.SendGo();
            var outcome = sync.AwaitStart();
            if (outcome.TerminalFd >= 0)
            {
                try { SendToConsoleSocket(o.ConsoleSocket!, outcome.TerminalFd); }
                finally { Kernel.Close(outcome.TerminalFd); }
            }
            if (outcome.ErrorCode is not null) { Kernel.WaitChild(pid); throw new OciConfigException(outcome.ErrorMessage ?? "exec failed"); }
        }
        catch { Kernel.TryKill(pid, 9); throw; }
        finally { Kernel.Close(ours); }
        if (o.PidFile is { } pidFile) WriteAtomically(pidFile, pid.ToString());
        if (o.Detach) return 0;
        return Kernel.WaitChild(pid)?.Status.DockerExitCode ?? 255;
    }

    /// <summary>pause: the cgroup freezer stops every process of the container where it stands (the shared ICgroup, v1
    /// freezer or v2 cgroup.freeze); `state` then says "paused". resume thaws it.</summary>
    public void Pause(string id)
    {
        var record = store.Load(id);
        if (store.StatusOf(record) != "running") throw new OciConfigException($"container {id} is not running");
        CgroupManager.Open(record.CgroupName).Freeze(TimeSpan.FromSeconds(10));
    }

    public void Resume(string id)
    {
        var record = store.Load(id);
        if (store.StatusOf(record) != "paused") throw new OciConfigException($"container {id} is not paused");
        CgroupManager.Open(record.CgroupName).Thaw();
    }

    /// <summary>ps: the host pids of every process in the container's cgroup.</summary>
    public IReadOnlyList<int> Processes(string id)
    {
        var record = store.Load(id);
        return store.StatusOf(record) == "stopped" ? [] : CgroupManager.Open(record.CgroupName).Processes();
    }

    public void Delete(string id, bool force)
    {
        OciRecord record;
        try { record = store.Load(id); }
        catch (OciConfigException) when (force && !store.Exists(id)) { return; }   // runc: delete --force of nothing is fine
        string status = store.StatusOf(record);
        if (status != "stopped" && !force)   // runtime.md: deleting a container that is not stopped MUST fail (runc kills a created one)
            throw new OciConfigException($"cannot delete container {id} that is not stopped: {status}");
        if (status != "stopped")
        {
            if (status == "paused") CgroupManager.Open(record.CgroupName).Thaw();   // a frozen process cannot die
            // A pidfd turns readable the moment the process exits: no polling of /proc in 10 ms steps. It is opened
            // first and the process checked after, so a pid the kernel has given to another process is never signalled.
            int pidfd = -1;
            try { pidfd = Kernel.OpenPidFd(record.Pid); }
            catch (KernelException) { }   // gone already
            try
            {
                if (pidfd >= 0 && OciStateStore.IsAlive(record.Pid, record.StartTime))
                {
                    Kernel.TryKill(record.Pid, 9);
                    Kernel.AwaitPidFdExit(pidfd, 10_000);
                }
            }
            finally { Kernel.Close(pidfd); }
        }
        var cgroup = CgroupManager.Open(record.CgroupName);
        cgroup.Destroy();   // also kills anything left in it (a fork the process left behind)
        if (record.OwnsCgroupParent) RemoveCgroupParentIfEmpty(record.CgroupName);
        var hooks = LoadHooks(record);
        Directory.Delete(store.DirectoryOf(id), recursive: true);
        OciHookRunner.RunWarningOnFailure("poststop", hooks?.Poststop, OciStateStore.HookState(record, "stopped"), warn);
    }

    /// <summary>run: create, start, wait (we are the process's parent here), delete; the process's exit code
    /// (128+N for signal N). With detach, returns after start.</summary>
    public int Run(string id, CreateOptions o, bool detach)
    {
        var (pid, _) = CreateProcess(id, o);
        try { Start(id); }
        catch { Delete(id, force: true); throw; }
        if (detach) return 0;
        var ended = Kernel.WaitChild(pid);
        Delete(id, force: true);
        return ended?.Status.DockerExitCode ?? 255;
    }

    /// <summary>The hooks as the bundle says them now (runc keeps them from create; a bundle gone by delete has none).</summary>
    /// <summary>
    /// runtime-spec: poststart hooks run "after the user-specified process is executed". After its byte on the FIFO the
    /// init stage still runs the startContainer hooks, installs seccomp and calls execve, so `start` waits (10 s at most)
    /// until /proc/PID/cmdline is no longer `minicontainer-runc oci-init …`, or the process is gone (execve failed).
    /// </summary>
    private static void WaitForExecve(OciRecord record)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until && OciStateStore.IsAlive(record.Pid, record.StartTime) && InInitStage(record.Pid)) Thread.Sleep(1);
    }

    private static bool InInitStage(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0') is [_, "oci-init", ..]; }
        catch (IOException) { return false; }   // gone meanwhile
    }

    private static OciHooks? LoadHooks(OciRecord record)
    {
        try { return OciBundle.Load(record.Bundle).Config.Hooks; }
        catch (OciConfigException) { return null; }
    }

    /// <summary>minicontainer-runc/ in every hierarchy, once its last container is gone (rmdir fails while one is left).</summary>
    private static void RemoveCgroupParentIfEmpty(string cgroupName)
    {
        if (!cgroupName.StartsWith(OciBundle.DefaultCgroupParent + "/", StringComparison.Ordinal)) return;
        foreach (string mount in CgroupFs.Host.Version == CgroupVersion.V2 ? [CgroupFs.Host.UnifiedMount!]
                     : Directory.GetDirectories("/sys/fs/cgroup"))
        {
            string dir = Path.Combine(mount, OciBundle.DefaultCgroupParent);
            try { if (Directory.Exists(dir) && Directory.GetDirectories(dir).Length == 0) Directory.Delete(dir); }
            catch (IOException) { }
        }
    }

    private static void WriteAtomically(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
