using MiniContainer.Explaining;

namespace MiniContainer.Linux;

public static unsafe partial class Kernel
{
    public const int SECCOMP_SET_MODE_FILTER = 1;
    public const int SECCOMP_FILTER_FLAG_TSYNC = 1;

    /// <summary>prctl(PR_SET_NO_NEW_PRIVS, 1): execve can never again grant privileges (setuid bits, file capabilities).</summary>
    public static void SetNoNewPrivileges()
    {
        long t = Explain.Begin();
        Prctl(PR_SET_NO_NEW_PRIVS, 1, "PR_SET_NO_NEW_PRIVS");
        if (t != 0) Explain.Record(t, ExplainText.NoNewPrivileges());
    }

    /// <summary>
    /// seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC): install a classic BPF program (struct sock_filter[])
    /// as the system call filter of every thread of this process, inherited across fork and execve for good.
    /// Needs no_new_privs or CAP_SYS_ADMIN.
    /// </summary>
    public static void InstallSeccompFilter(ReadOnlySpan<byte> program)
    {
        long t = Explain.Begin();
        fixed (byte* p = program)
        {
            var fprog = new Libc.SockFprog { Len = (ushort)(program.Length / 8), Filter = p };
            long r = Libc.syscall3(Libc.SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog);
            // With TSYNC, a positive result is the id of a thread that could not be synchronized.
            if (r > 0) throw new KernelException($"seccomp(SECCOMP_SET_MODE_FILTER): thread {r} could not take the filter", 16 /* EBUSY */);
            Check(r, "seccomp(SECCOMP_SET_MODE_FILTER)");
            if (t != 0) Explain.Record(t, ExplainText.Seccomp(program.Length / 8));
        }
    }
}
