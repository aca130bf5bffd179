using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

public static partial class Kernel
{
    // Linux signal numbers (x86-64 and arm64 agree on all of these).
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12,
        SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGWINCH = 28;

    /// <summary>kill(2): send <paramref name="signal"/> to process <paramref name="pid"/> (a pid in the caller's PID namespace).</summary>
    /// <remarks>Only to one process: kill(0) signals the caller's own process group and kill(-1) every process it may
    /// signal, so a pid that is 0 or negative — a record read while its process was being cleared, say — is refused
    /// here rather than take the daemon (or the host) down. Process groups go through <see cref="TryKillProcessGroup"/>.</remarks>
    public static void Kill(int pid, int signal) => Check(Libc.kill(OneProcess(pid), signal), $"kill({pid}, {SignalName(signal)})");

    /// <summary>kill(2), but a process that is already gone (ESRCH) is not an error: returns false instead.</summary>
    public static bool TryKill(int pid, int signal) => TrySignal(OneProcess(pid), signal);

    /// <summary>kill(-pgid): every process of process group <paramref name="pgid"/>; false when the group is gone.</summary>
    public static bool TryKillProcessGroup(int pgid, int signal) => TrySignal(-OneProcess(pgid), signal);

    private static bool TrySignal(int target, int signal)
    {
        if (Libc.kill(target, signal) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == 3 /* ESRCH */) return false;
        throw new KernelException($"kill({target}, {SignalName(signal)})", errno);
    }

    private static int OneProcess(int pid) => pid > 0 ? pid
        : throw new ArgumentOutOfRangeException(nameof(pid), pid, "kill() needs one process's pid here: 0 or below would signal a whole process group");

    public static string SignalName(int signal) => signal switch
    {
        SIGHUP => "SIGHUP", SIGINT => "SIGINT", SIGQUIT => "SIGQUIT", SIGKILL => "SIGKILL", SIGUSR1 => "SIGUSR1",
        SIGUSR2 => "SIGUSR2", SIGTERM => "SIGTERM", SIGCHLD => "SIGCHLD", SIGCONT => "SIGCONT", SIGSTOP => "SIGSTOP",
        SIGWINCH => "SIGWINCH", 0 => "0", _ => $"signal {signal}",
    };
}
