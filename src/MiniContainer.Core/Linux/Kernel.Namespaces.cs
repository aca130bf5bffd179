using MiniContainer.Explaining;

namespace MiniContainer.Linux;

public static unsafe partial class Kernel
{
    public const int CLONE_FS = 0x200;

    /// <summary>unshare(2): give the calling process its own copy of the named state
    /// (e.g. CLONE_NEWCGROUP: a cgroup namespace rooted at the cgroup it is in now).</summary>
    public static void Unshare(int flags, string what)
    {
        long t = Explain.Begin();
        Check(Libc.unshare(flags), $"unshare({what})");
        if (t != 0) Explain.Record(t, ExplainText.Unshare(flags, what));
    }

    /// <summary>Whether two /proc/PID/ns/KIND links name the same namespace: their readlink text ("user:[4026531837]")
    /// is equal. A link that cannot be read (the process is gone) counts as a different namespace.</summary>
    public static bool SameNamespace(string a, string b)
    {
        try { return new FileInfo(a).LinkTarget == new FileInfo(b).LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>setns(2): move the calling thread into the namespace open at fd. For --explain's words: the path it
    /// was opened from, or <paramref name="backHome"/> when it is the thread's own, to return to.</summary>
    public static void JoinNamespace(int fd, Namespace kind, string? path = null, bool backHome = false)
    {
        long t = Explain.Begin();
        Check(Libc.setns(fd, (int)kind), $"setns({kind})");
        if (t != 0) Explain.Record(t, ExplainText.Setns(kind, backHome ? null : path ?? $"fd {fd}"));
    }

    /// <summary>access(2) X_OK: may the real user execute this path?</summary>
    public static bool CanExecute(string path) => Libc.access(path, 1 /* X_OK */) == 0;

    /// <summary>execve(2): replace this process with program; returns only by throwing.</summary>
    public static void Execute(string program, IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        if (Explain.Enabled) Explain.Announce(ExplainText.Execute(program, argv));
        using var a = new NativeStringArray(argv);
        using var e = new NativeStringArray(env);
        byte* p = NativeString.Alloc(program);
        try { Check(Libc.execve(p, a.Pointer, e.Pointer), $"execve({program})"); }
        finally { System.Runtime.InteropServices.NativeMemory.Free(p); }
    }
}
