using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

/// <summary>
/// Calls that are safe between clone() and execve() in a child of a .NET process.
///
/// Why this file exists (docs/design.md §2): the child of clone() is a one-thread copy of a managed,
/// multithreaded process. If a garbage collection was suspending threads at the instant of the clone,
/// any GC transition in the child can block forever on a lock no thread will ever release. So the child
/// runs only these entry points: plain [DllImport]s, blittable arguments, pointers to native memory
/// prepared by the parent before the clone, and [SuppressGCTransition] so the call never enters the
/// runtime's GC-mode switch. No allocation, no exceptions, no strings, no SetLastError stubs.
/// The parent only uses these from a quiescent Native AOT process (the shim), where nothing allocates
/// on another thread, so no GC can be in flight. That condition is not optional: the JIT puts a GC poll after a
/// [SuppressGCTransition] call, and in a child cloned while a collection was starting that poll waits forever.
/// </summary>
public static unsafe class ForkSafe
{
    private const string L = "libc";

    // long syscall(long number, ...): we pass the raw clone syscall so the child continues right here,
    // like fork(), but already inside the new namespaces named by the CLONE_NEW* flags.
    [DllImport(L, EntryPoint = "syscall"), SuppressGCTransition]
    private static extern long syscall6(long n, long a, long b, long c, long d, long e, long f);

    private const long SYS_clone = 56, SYS_execveat = 322, SYS_clone3 = 435;

    /// <summary>clone(2) with a NULL stack: fork-like; the child gets 0, the parent the child's pid, -1 on error.</summary>
    public static long CloneProcess(ulong flags) => syscall6(SYS_clone, (long)flags, 0, 0, 0, 0, 0);

    /// <summary>clone3's CLONE_INTO_CGROUP (Linux 5.7, cgroup v2 only): the child is born in the cgroup open at args.Cgroup.</summary>
    public const ulong CLONE_INTO_CGROUP = 0x200000000;

    /// <summary>struct clone_args as of Linux 5.7 (88 bytes, the size that has the cgroup field).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CloneArgs
    {
        public ulong Flags, PidFd, ChildTid, ParentTid, ExitSignal, Stack, StackSize, Tls, SetTid, SetTidSize, Cgroup;
    }

    /// <summary>clone3(2) with no stack: fork-like, as <see cref="CloneProcess"/>; args is prepared by the parent.</summary>
    public static long CloneProcess3(CloneArgs* args) => syscall6(SYS_clone3, (long)args, sizeof(CloneArgs), 0, 0, 0, 0);

    /// <summary>execveat(fd, "", argv, envp, AT_EMPTY_PATH): run the program open at fd (works after pivot/setns, when its path is gone).</summary>
    public static long ExecFd(int fd, byte* emptyPath, byte** argv, byte** envp) =>
        syscall6(SYS_execveat, fd, (long)emptyPath, (long)argv, (long)envp, 0x1000 /* AT_EMPTY_PATH */, 0);

    /// <summary>execve(2): replace this process image with path.</summary>
    [DllImport(L, EntryPoint = "execve"), SuppressGCTransition]
    public static extern int Execve(byte* path, byte** argv, byte** envp);

    /// <summary>dup3(2): make newfd refer to oldfd's open file (flags 0 clears close-on-exec).</summary>
    [DllImport(L, EntryPoint = "dup3"), SuppressGCTransition]
    public static extern int Dup3(int oldfd, int newfd, int flags);

    /// <summary>setns(2): move the calling thread into the namespace open at fd.</summary>
    [DllImport(L, EntryPoint = "setns"), SuppressGCTransition]
    public static extern int Setns(int fd, int nstype);

    /// <summary>read(2) raw bytes (blocking is fine here: the child has no other thread to hold up).</summary>
    [DllImport(L, EntryPoint = "read"), SuppressGCTransition]
    public static extern nint Read(int fd, void* buf, nint count);

    /// <summary>write(2) raw bytes.</summary>
    [DllImport(L, EntryPoint = "write"), SuppressGCTransition]
    public static extern nint Write(int fd, void* buf, nint count);

    /// <summary>fcntl(fd, F_SETFD, flags): set or clear FD_CLOEXEC.</summary>
    [DllImport(L, EntryPoint = "fcntl"), SuppressGCTransition]
    public static extern int FcntlSetFd(int fd, int cmd, int flags);

    /// <summary>_exit(2): leave at once, running no atexit handlers and flushing nothing of the parent's.</summary>
    [DllImport(L, EntryPoint = "_exit"), SuppressGCTransition]
    public static extern void Exit(int status);

    [DllImport(L, EntryPoint = "signal"), SuppressGCTransition]
    private static extern nint signal(int signum, nint handler);

    [DllImport(L, EntryPoint = "syscall"), SuppressGCTransition]
    private static extern long syscall4(long n, long a, long b, long c, long d);

    /// <summary>
    /// Every signal back to its default action and none blocked: execve keeps "ignored" dispositions and the
    /// signal mask, and the .NET runtime ignores SIGPIPE — without this, `yes | head -1` inside a container
    /// would print "Broken pipe". Allocation-free, so it may run in a clone child too.
    /// </summary>
    public static void ResetSignals()
    {
        for (int sig = 1; sig < 65; sig++)
            if (sig is not (9 or 19 or 32 or 33)) signal(sig, 0 /* SIG_DFL */);
        ulong empty = 0;
        syscall4(14 /* SYS_rt_sigprocmask */, 2 /* SIG_SETMASK */, (long)&empty, 0, 8);
    }

    private const long SYS_poll = 7, SYS_prctl = 157;

    /// <summary>
    /// prctl(PR_SET_PDEATHSIG, sig): the kernel sends sig to this process when its parent dies. "Parent" is the
    /// THREAD that cloned it, not the process: a child cloned on a short-lived thread gets sig when that thread
    /// ends. Cleared by fork and by execve of a set-user-ID or file-capability program.
    /// </summary>
    public static int SetParentDeathSignal(int sig) => (int)syscall6(SYS_prctl, 1 /* PR_SET_PDEATHSIG */, sig, 0, 0, 0, 0);

    /// <summary>poll(2) one fd for POLLIN without waiting: 1 when readable (a pidfd: its process has exited), 0 when not, -1 on error.</summary>
    public static int IsReadableNow(int fd)
    {
        // struct pollfd { int fd; short events; short revents; } packed in one long on our stack (no allocation).
        long pollFd = (uint)fd | (1L /* POLLIN */ << 32);
        long r = syscall6(SYS_poll, (long)&pollFd, 1, 0, 0, 0, 0);
        return r < 0 ? -1 : r > 0 ? 1 : 0;
    }

    /// <summary>errno of the last call (read straight from libc's thread-local).</summary>
    [DllImport(L, EntryPoint = "__errno_location"), SuppressGCTransition]
    public static extern int* ErrnoLocation();
}

/// <summary>
/// A NULL-terminated array of C strings in native memory (argv/envp), built before clone() so the
/// child never allocates. Freed by the parent after the clone.
/// </summary>
public sealed unsafe class NativeStringArray : IDisposable
{
    public byte** Pointer { get; private set; }
    private readonly int _count;

    public NativeStringArray(IReadOnlyList<string> items)
    {
        _count = items.Count;
        Pointer = (byte**)NativeMemory.AllocZeroed((nuint)(_count + 1), (nuint)sizeof(nint));
        for (int i = 0; i < _count; i++) Pointer[i] = NativeString.Alloc(items[i]);
    }

    public void Dispose()
    {
        if (Pointer == null) return;
        for (int i = 0; i < _count; i++) NativeMemory.Free(Pointer[i]);
        NativeMemory.Free(Pointer);
        Pointer = null;
    }
}

public static unsafe class NativeString
{
    /// <summary>A NUL-terminated UTF-8 copy of s in native memory; free with NativeMemory.Free.</summary>
    public static byte* Alloc(string s)
    {
        int n = System.Text.Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        System.Text.Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return p;
    }
}

public static unsafe class ForkSafeIds
{
    [DllImport("libc", EntryPoint = "syscall"), SuppressGCTransition]
    private static extern long syscall3(long n, long a, long b, long c);

    /// <summary>setresgid(0,0,0) then setresuid(0,0,0) as raw syscalls (glibc's wrappers would signal every thread):
    /// become the root of the user namespace just joined, so the next execve keeps its capabilities there.</summary>
    public static int BecomeNamespaceRoot()
    {
        if (syscall3(119 /* SYS_setresgid */, 0, 0, 0) < 0) return -1;
        return syscall3(117 /* SYS_setresuid */, 0, 0, 0) < 0 ? -1 : 0;
    }
}
