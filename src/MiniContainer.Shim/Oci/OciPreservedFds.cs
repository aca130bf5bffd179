using MiniContainer.Linux;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// The descriptors a container's process starts with, as runc gives them: 0, 1, 2 and, with --preserve-fds N, the
/// caller's 3 … 3+N-1 at the same numbers (systemd socket activation, a pipe containerd hands over); nothing else.
///
/// The clone child puts the sync socket at fd 3 (Launcher, shared with the daemon's containers), over the caller's
/// fd 3. So `create`/`exec` first park a copy of fd 3 at a high number (not close-on-exec) and tell the init stage
/// which, in an environment variable of the init stage's own (the container's environment is process.env, not ours).
/// The init stage (oci-init, exec-init) then moves the sync socket up, puts the parked copy back at 3, and — just before
/// ProcessStarter's execve — marks every descriptor from 3+N up close-on-exec, so nothing else of the runtime's or
/// its caller's leaks in (runc does the same). Without the variable (the daemon's exec-init) nothing changes.
/// </summary>
public static class OciPreservedFds
{
    public const string Variable = "MINICONTAINER_RUNC_FDS";

    private static int s_first = -1;   // in the init stage: the first descriptor that must not reach the container

    /// <summary>Runtime side, before the clone: checks fds 3 … 3+count-1 are the caller's; returns the variable
    /// for the init stage's environment and the parked copy of fd 3 (-1 when count is 0), to close after the clone.</summary>
    public static (string Environment, int Parked) Prepare(int count)
    {
        for (int fd = 3; fd < 3 + count; fd++)
        {
            // What the caller passed came through its execve, so it is not close-on-exec; a descriptor that is (or is
            // not open) was never passed: the .NET runtime opens its own in the first free slots, all close-on-exec.
            int flags = ForkSafe.FcntlSetFd(fd, Kernel.F_GETFD, 0);
            if (flags < 0 || (flags & Kernel.FD_CLOEXEC) != 0)
                throw new OciConfigException($"--preserve-fds {count}: file descriptor {fd} was not passed to minicontainer-runc");
        }
        int parked = -1;
        if (count > 0)
        {
            parked = Kernel.DuplicateHigh(3);
            Kernel.SetCloseOnExec(parked, false);
        }
        return ($"{Variable}={count},{parked}", parked);
    }

    /// <summary>Init stage, first thing: the descriptor of the sync socket (3, or where it was moved to make room).</summary>
    public static int TakeSyncFd()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { } value) return SyncChannel.Fd;
        var (count, parked) = ParseVariable(value);
        int sync = Kernel.DuplicateHigh(SyncChannel.Fd);   // close-on-exec, above the preserved range's start
        if (parked >= 0)
        {
            if (ForkSafe.Dup3(parked, 3, 0) < 0) throw new InvalidOperationException("could not put the preserved descriptor back at 3 (dup3)");
            Kernel.Close(parked);
        }
        else Kernel.Close(SyncChannel.Fd);
        s_first = 3 + count;
        return sync;
    }

    /// <summary>Init stage, just before ProcessStarter.Exec: everything from 3+N up is closed by the execve.</summary>
    public static void CloseTheRestOnExec()
    {
        if (s_first < 0) return;
        foreach (string entry in Directory.GetFiles("/proc/self/fd"))
            if (int.TryParse(Path.GetFileName(entry), out int fd) && fd >= s_first)
            {
                try { Kernel.SetCloseOnExec(fd, true); }
                catch (KernelException) { }   // the directory's own descriptor, closed by now
            }
    }

    /// <summary>"N,PARKED" → (N, PARKED).</summary>
    public static (int Count, int Parked) ParseVariable(string value)
    {
        var parts = value.Split(',');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int count) || count < 0 || !int.TryParse(parts[1], out int parked))
            throw new OciConfigException($"{Variable}: malformed value \"{value}\"");
        return (count, parked);
    }

    /// <summary>--preserve-fds N as runc takes it: a count, 0 or more.</summary>
    public static int ParseCount(string text) =>
        int.TryParse(text, out int n) && n >= 0 ? n
            : throw new OciConfigException($"invalid value \"{text}\" for flag --preserve-fds: want a number of descriptors");
}
