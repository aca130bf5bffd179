using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

public static partial class Kernel
{
    // Linux signal numbers (x86-64 and arm64 agree on all of these).
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12,
        SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGWINCH = 28;

    /// <summary>kill(2): send <paramref name="signal"/> to process <paramref name="pid"/> (a pid in the caller's PID namespace).</summary>
    public static void Kill(int pid, int signal) => Check(Libc.kill(pid, signal), $"kill({pid}, {SignalName(signal)})");

    /// <summary>kill(2), but a process that is already gone (ESRCH) is not an error: returns false instead.</summary>
    public static bool TryKill(int pid, int signal)
    {
        if (Libc.kill(pid, signal) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == 3 /* ESRCH */) return false;
        throw new KernelException($"kill({pid}, {SignalName(signal)})", errno);
    }

    public static string SignalName(int signal) => signal switch
    {
        SIGHUP => "SIGHUP", SIGINT => "SIGINT", SIGQUIT => "SIGQUIT", SIGKILL => "SIGKILL", SIGUSR1 => "SIGUSR1",
        SIGUSR2 => "SIGUSR2", SIGTERM => "SIGTERM", SIGCHLD => "SIGCHLD", SIGCONT => "SIGCONT", SIGSTOP => "SIGSTOP",
        SIGWINCH => "SIGWINCH", 0 => "0", _ => $"signal {signal}",
    };
}
