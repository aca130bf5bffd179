using System.Runtime.InteropServices;
using MiniContainer.Explaining;
using MiniContainer.Linux;

namespace MiniContainer.Shim;


/// <summary>
/// The two ways the shim makes a process, each one clone() from this quiescent Native AOT process.
/// Read the comment on <see cref="ForkSafe"/> first: between clone and execve the child may only run
/// ForkSafe calls on memory prepared here, before the clone.
/// </summary>
public static unsafe class Launcher
{
    private const ulong SIGCHLD = 17;

    /// <summary>The four fds the child finds at 0, 1, 2 and 3 (the sync socket to the shim).</summary>
    public readonly record struct ChildFds(int Stdin, int Stdout, int Stderr, int Sync);

    /// <summary>
    /// clone() straight into new namespaces: the child is PID 1 of a new PID namespace, with its own mount
    /// table, hostname, IPC, network and cgroup view. It only rearranges its fds and execve()s argv
    /// (the init stage: this same binary with "init").
    /// </summary>
    /// <remarks>With a new user namespace the child first waits for one byte on the sync socket — the shim
    /// writes it once the uid/gid maps are in place — and becomes that namespace's root (setresuid 0):
    /// execve as an unmapped uid would otherwise strip every capability it holds there.</remarks>
    /// <param name="dieWithParent">false for minicontainer-runc, which exits after `create` and leaves the process to
    /// its caller's subreaper (containerd's shim), as runc does.</param>
    /// <param name="joinMountNamespace">an open /proc/PID/ns/mnt the child joins before its execve (OCI linux.namespaces
    /// with a path): setns into a mount namespace needs a single-threaded caller, which only the child is.</param>
    public static int CloneIntoNamespaces(Namespace namespaces, IReadOnlyList<string> argv, IReadOnlyList<string> env, ChildFds fds,
        bool dieWithParent = true, int joinMountNamespace = -1)
    {
        bool waitForIdMaps = namespaces.HasFlag(Namespace.User);
        byte* mapsWritten = (byte*)NativeMemory.Alloc(1);
        using var nativeArgv = new NativeStringArray(argv);
        using var nativeEnv = new NativeStringArray(env);
        byte* program = NativeString.Alloc(Environment.ProcessPath!);
        byte** argvP = nativeArgv.Pointer, envP = nativeEnv.Pointer;
        int in0 = fds.Stdin, out1 = fds.Stdout, err2 = fds.Stderr, sync3 = fds.Sync;

        int shimAlive = Kernel.OpenPidFd(Environment.ProcessId);

        long began = Explain.Begin();
        long pid = ForkSafe.CloneProcess((ulong)namespaces | SIGCHLD);
        if (pid == 0)
        {
            // ---- child: one thread, new namespaces, ForkSafe calls only ----
            if (dieWithParent && DieWithShim(shimAlive) < 0) ForkSafe.Exit(125);
            if (ForkSafe.Dup3(in0, 0, 0) < 0 || ForkSafe.Dup3(out1, 1, 0) < 0 ||
                ForkSafe.Dup3(err2, 2, 0) < 0 || ForkSafe.Dup3(sync3, 3, 0) < 0)
                ForkSafe.Exit(125);
            if (waitForIdMaps && (ForkSafe.Read(3, mapsWritten, 1) != 1 || ForkSafeIds.BecomeNamespaceRoot() < 0))
                ForkSafe.Exit(125);
            if (joinMountNamespace >= 0 && ForkSafe.Setns(joinMountNamespace, (int)Namespace.Mount) < 0) ForkSafe.Exit(125);
            ForkSafe.Execve(program, argvP, envP);
            ForkSafe.Exit(125);
        }
        int errno = *ForkSafe.ErrnoLocation();
        Kernel.Close(shimAlive);
        NativeMemory.Free(program);
        NativeMemory.Free(mapsWritten);
        if (pid < 0) throw new KernelException($"clone({namespaces})", errno);
        if (began != 0) Explain.Record(began, ExplainText.Clone(namespaces, pid));
        return (int)pid;
    }

    /// <summary>
    /// For exec: clone() a child that joins the container's namespaces with setns() (user first, while it is
    /// still single-threaded, as the kernel demands), then forks once more — setns(pid) only applies to
    /// children — so the grandchild is inside the container's PID namespace. The grandchild execve()s argv
    /// (this binary with "exec-init", which joins the mount namespace itself: see ExecInit).
    /// The grandchild is cloned with CLONE_PARENT, so it is the shim's own child from the start (and dies with it).
    /// Returns the grandchild's host pid.
    /// </summary>
    /// <param name="dieWithParent">false for `minicontainer-runc exec --detach`, which exits and leaves the process running.</param>
    public static int JoinNamespacesAndFork(int[] nsFds, int[] nsTypes, IReadOnlyList<string> argv, IReadOnlyList<string> env, ChildFds fds, bool joinsUserNamespace,
        bool dieWithParent = true)
    {
        using var nativeArgv = new NativeStringArray(argv);
        using var nativeEnv = new NativeStringArray(env);
        byte* program = NativeString.Alloc(Environment.ProcessPath!);
        byte** argvP = nativeArgv.Pointer, envP = nativeEnv.Pointer;
        int in0 = fds.Stdin, out1 = fds.Stdout, err2 = fds.Stderr, sync3 = fds.Sync;
        int count = nsFds.Length;
        int* nsFd = (int*)NativeMemory.Alloc((nuint)count, sizeof(int));
        int* nsType = (int*)NativeMemory.Alloc((nuint)count, sizeof(int));
        for (int i = 0; i < count; i++) { nsFd[i] = nsFds[i]; nsType[i] = nsTypes[i]; }
        int* pidBuffer = (int*)NativeMemory.Alloc(sizeof(int));
        var (pidRead, pidWrite) = Kernel.Pipe();
        int shimAlive = Kernel.OpenPidFd(Environment.ProcessId);

        try
        {
            long began = Explain.Begin();
            long middle = ForkSafe.CloneProcess(SIGCHLD);
            if (middle == 0)
            {
                // ---- middle child: one thread, ForkSafe calls only ----
                for (int i = 0; i < count; i++)
                    if (ForkSafe.Setns(nsFd[i], nsType[i]) < 0) ForkSafe.Exit(100 + i);
                // In a user namespace our host uid 0 is unmapped, and execve would drop our capabilities there:
                // become the namespace's own root first.
                if (joinsUserNamespace && ForkSafeIds.BecomeNamespaceRoot() < 0) ForkSafe.Exit(98);
                // CLONE_PARENT: the grandchild's parent is the shim (the thread that cloned us), not this middle
                // process, which exits at once — so its parent-death signal is tied to the shim's life.
                long grandchild = ForkSafe.CloneProcess(CLONE_PARENT | SIGCHLD);
                if (grandchild == 0)
                {
                    if (dieWithParent && DieWithShim(shimAlive) < 0) ForkSafe.Exit(125);
                    if (ForkSafe.Dup3(in0, 0, 0) < 0 || ForkSafe.Dup3(out1, 1, 0) < 0 ||
                        ForkSafe.Dup3(err2, 2, 0) < 0 || ForkSafe.Dup3(sync3, 3, 0) < 0)
                        ForkSafe.Exit(125);
                    ForkSafe.Execve(program, argvP, envP);
                    ForkSafe.Exit(125);
                }
                *pidBuffer = (int)grandchild;
                ForkSafe.Write(pidWrite, pidBuffer, sizeof(int));
                ForkSafe.Exit(grandchild < 0 ? 99 : 0);
            }
            int errno = *ForkSafe.ErrnoLocation();
            if (middle < 0) throw new KernelException("clone(SIGCHLD)", errno);
            Kernel.Close(pidWrite);
            pidWrite = -1;
            var ended = Kernel.WaitChild((int)middle);
            if (ended is { Status.Code: not 0 } e)
                throw new InvalidOperationException(e.Status.Code >= 100 && e.Status.Code < 100 + count
                    ? $"setns({NamespaceName(nsTypes[e.Status.Code - 100])}) into the container failed"
                    : $"could not fork into the container (status {e.Status.Code})");
            Span<byte> buf = stackalloc byte[4];
            if (Kernel.Read(pidRead, buf) != 4) throw new InvalidOperationException("exec: no pid from the forked process");
            int pid = BitConverter.ToInt32(buf);
            if (began != 0) Explain.Record(began, ExplainText.JoinAndFork(nsTypes.Select(t => (Namespace)(uint)t).ToList(), pid));
            return pid;
        }
        finally
        {
            Kernel.Close(pidRead);
            Kernel.Close(pidWrite);
            Kernel.Close(shimAlive);
            NativeMemory.Free(program); NativeMemory.Free(nsFd); NativeMemory.Free(nsType); NativeMemory.Free(pidBuffer);
        }
    }

    /// <summary>
    /// In a clone child, before anything else: SIGKILL this process when the shim dies (PR_SET_PDEATHSIG), so a
    /// container can never outlive the shim that supervises it, even after `kill -9` of the shim. Then closes the
    /// race where the shim died between clone and prctl: the usual re-check, getppid() against the expected
    /// parent, cannot work here — a parent outside our new PID namespace always reads as 0 — so we poll a pidfd
    /// of the shim, opened before the clone: readable means the shim has already exited. Returns -1 to give up.
    /// </summary>
    /// <remarks>
    /// The death signal fires when the *thread* that cloned the child exits, not when the process does. Both
    /// clones here run on the shim's main thread (Program calls Shims.RunContainer/RunExec directly, and the
    /// main thread returns only when the shim exits), so "that thread exits" means "the shim exits".
    /// execve of a set-user-ID or file-capability program clears the signal; the daemon's cgroup kill
    /// (see ContainerService) covers that case.
    /// </remarks>
    private static int DieWithShim(int shimPidFd)
    {
        if (ForkSafe.SetParentDeathSignal(9 /* SIGKILL */) < 0) return -1;
        return ForkSafe.IsReadableNow(shimPidFd) == 0 ? 0 : -1;
    }

    private const ulong CLONE_PARENT = 0x8000;

    private static string NamespaceName(int type) =>
        NamespaceFiles.JoinOrder.FirstOrDefault(n => (int)n.Kind == type).File ?? type.ToString();
}
