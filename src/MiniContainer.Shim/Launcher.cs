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
        bool dieWithParent = true, int joinMountNamespace = -1) =>
        CloneIntoNamespaces(namespaces, argv, env, fds, intoCgroup: -1, out _, dieWithParent, joinMountNamespace);

    /// <param name="intoCgroup">an open cgroup v2 directory to be born in (clone3 with CLONE_INTO_CGROUP), or -1. The move
    /// of a living process into a cgroup waits for an RCU grace period (see CgroupAttachPrimer); a birth there does not.</param>
    /// <param name="bornInCgroup">false when the kernel refused CLONE_INTO_CGROUP (before 5.7, or not allowed here) and the
    /// child was cloned where we are: the caller moves it.</param>
    public static int CloneIntoNamespaces(Namespace namespaces, IReadOnlyList<string> argv, IReadOnlyList<string> env, ChildFds fds,
        int intoCgroup, out bool bornInCgroup, bool dieWithParent = true, int joinMountNamespace = -1)
    {
        bool waitForIdMaps = namespaces.HasFlag(Namespace.User);
        byte* mapsWritten = (byte*)NativeMemory.Alloc(1);
        using var nativeArgv = new NativeStringArray(argv);
        using var nativeEnv = new NativeStringArray(env);
        byte* program = NativeString.Alloc(Environment.ProcessPath!);
        byte** argvP = nativeArgv.Pointer, envP = nativeEnv.Pointer;
        int in0 = fds.Stdin, out1 = fds.Stdout, err2 = fds.Stderr, sync3 = fds.Sync;

        int shimAlive = Kernel.OpenPidFd(Environment.ProcessId);

        var args = (ForkSafe.CloneArgs*)NativeMemory.AllocZeroed((nuint)sizeof(ForkSafe.CloneArgs));
        args->Flags = (ulong)namespaces | ForkSafe.CLONE_INTO_CGROUP;
        args->ExitSignal = SIGCHLD;
        args->Cgroup = (ulong)intoCgroup;

        long began = Explain.Begin();
        bornInCgroup = intoCgroup >= 0;
        long pid = bornInCgroup ? ForkSafe.CloneProcess3(args) : ForkSafe.CloneProcess((ulong)namespaces | SIGCHLD);
        if (pid < 0 && bornInCgroup)
        {
            bornInCgroup = false;   // the kernel refused the birth in the cgroup: an ordinary clone, and the caller moves the child
            pid = ForkSafe.CloneProcess((ulong)namespaces | SIGCHLD);
        }
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
        NativeMemory.Free(args);
        if (pid < 0) throw new KernelException($"clone({namespaces})", errno);
        if (began != 0) Explain.Record(began, ExplainText.Clone(namespaces, pid, bornInCgroup));
        return (int)pid;
    }

    /// <summary>
    /// For exec: clone() a child that joins the container's namespaces with setns() (user first, while it is
    /// still single-threaded, as the kernel demands), then forks once more — setns(pid) only applies to
    /// children — so the grandchild is inside the container's PID namespace. The grandchild execve()s argv
    /// (this binary with "exec-init", which joins the mount namespace itself: see ExecInit).
    /// The grandchild is cloned with CLONE_PARENT, so it is the shim's own child from the start (and dies with it);
    /// on cgroup v2 it is also born in the container's cgroup (see the overload's intoCgroup).
    /// Returns the grandchild's host pid.
    /// </summary>
    /// <param name="dieWithParent">false for `minicontainer-runc exec --detach`, which exits and leaves the process running.</param>
    public static int JoinNamespacesAndFork(int[] nsFds, int[] nsTypes, IReadOnlyList<string> argv, IReadOnlyList<string> env, ChildFds fds, bool joinsUserNamespace,
        bool dieWithParent = true) =>
        JoinNamespacesAndFork(nsFds, nsTypes, argv, env, fds, joinsUserNamespace, intoCgroup: -1, out _, dieWithParent);

    /// <param name="intoCgroup">the container's open cgroup v2 directory: the grandchild is born in it (clone3 with
    /// CLONE_INTO_CGROUP) instead of being moved there, or -1. The kernel allows that birth only from outside the
    /// container's cgroup namespace, so then the grandchild joins that namespace itself, after its birth.</param>
    /// <param name="bornInCgroup">false when there was no such birth (v1, or the kernel refused it: an exec in a user
    /// namespace may not write to the host's cgroup files): the caller moves the process.</param>
    public static int JoinNamespacesAndFork(int[] nsFds, int[] nsTypes, IReadOnlyList<string> argv, IReadOnlyList<string> env, ChildFds fds, bool joinsUserNamespace,
        int intoCgroup, out bool bornInCgroup, bool dieWithParent = true)
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
        int* pidBuffer = (int*)NativeMemory.Alloc(2, sizeof(int));   // the grandchild's pid, and 1 if it was born in the cgroup
        int deferred = intoCgroup >= 0 ? Array.IndexOf(nsTypes, (int)Namespace.Cgroup) : -1;   // joined by the grandchild
        var args = (ForkSafe.CloneArgs*)NativeMemory.AllocZeroed((nuint)sizeof(ForkSafe.CloneArgs));
        args->Flags = CLONE_PARENT | ForkSafe.CLONE_INTO_CGROUP;
        args->ExitSignal = 0;   // clone3 refuses one with CLONE_PARENT: the grandchild inherits the middle child's, SIGCHLD
        args->Cgroup = (ulong)intoCgroup;
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
                    if (i != deferred && ForkSafe.Setns(nsFd[i], nsType[i]) < 0) ForkSafe.Exit(100 + i);
                // In a user namespace our host uid 0 is unmapped, and execve would drop our capabilities there:
                // become the namespace's own root first.
                if (joinsUserNamespace && ForkSafeIds.BecomeNamespaceRoot() < 0) ForkSafe.Exit(98);
                // CLONE_PARENT: the grandchild's parent is the shim (the thread that cloned us), not this middle
                // process, which exits at once — so its parent-death signal is tied to the shim's life.
                long grandchild = -1;
                pidBuffer[1] = 0;
                if (intoCgroup >= 0 && (grandchild = ForkSafe.CloneProcess3(args)) >= 0) pidBuffer[1] = 1;
                else grandchild = ForkSafe.CloneProcess(CLONE_PARENT | SIGCHLD);
                if (grandchild == 0)
                {
                    if (dieWithParent && DieWithShim(shimAlive) < 0) ForkSafe.Exit(125);
                    if (deferred >= 0 && ForkSafe.Setns(nsFd[deferred], nsType[deferred]) < 0) ForkSafe.Exit(125);
                    if (ForkSafe.Dup3(in0, 0, 0) < 0 || ForkSafe.Dup3(out1, 1, 0) < 0 ||
                        ForkSafe.Dup3(err2, 2, 0) < 0 || ForkSafe.Dup3(sync3, 3, 0) < 0)
                        ForkSafe.Exit(125);
                    ForkSafe.Execve(program, argvP, envP);
                    ForkSafe.Exit(125);
                }
                pidBuffer[0] = (int)grandchild;
                ForkSafe.Write(pidWrite, pidBuffer, 2 * sizeof(int));
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
            Span<byte> buf = stackalloc byte[8];
            if (Kernel.Read(pidRead, buf) != 8) throw new InvalidOperationException("exec: no pid from the forked process");
            int pid = BitConverter.ToInt32(buf);
            bornInCgroup = BitConverter.ToInt32(buf[4..]) == 1;
            if (began != 0) Explain.Record(began, ExplainText.JoinAndFork(nsTypes.Select(t => (Namespace)(uint)t).ToList(), pid, bornInCgroup));
            return pid;
        }
        finally
        {
            Kernel.Close(pidRead);
            Kernel.Close(pidWrite);
            Kernel.Close(shimAlive);
            NativeMemory.Free(program); NativeMemory.Free(nsFd); NativeMemory.Free(nsType); NativeMemory.Free(pidBuffer); NativeMemory.Free(args);
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
