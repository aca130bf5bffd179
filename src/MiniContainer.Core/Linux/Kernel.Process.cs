using System.Runtime.InteropServices;
using System.Text;
using MiniContainer.Explaining;

namespace MiniContainer.Linux;

/// <summary>How a waited-for child ended, decoded from the wait status word.</summary>
public readonly record struct ExitStatus(int Code, int Signal)
{
    public bool Signaled => Signal != 0;
    /// <summary>The shell/Docker convention: the exit code, or 128+N when killed by signal N.</summary>
    public int DockerExitCode => Signaled ? 128 + Signal : Code;

    public static ExitStatus FromWaitStatus(int status) =>
        (status & 0x7f) == 0 ? new ExitStatus((status >> 8) & 0xff, 0) : new ExitStatus(0, status & 0x7f);
}

public static unsafe partial class Kernel
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_NOCTTY = 0x100, O_APPEND = 0x400,
        O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const int WNOHANG = 1, __WALL = 0x40000000;

    /// <summary>sethostname(2): set the hostname of this UTS namespace.</summary>
    public static void SetHostname(string name)
    {
        long t = Explain.Begin();
        byte[] b = Encoding.UTF8.GetBytes(name);
        fixed (byte* p = b) Check(Libc.sethostname(p, (nuint)b.Length), $"sethostname({name})");
        if (t != 0) Explain.Record(t, ExplainText.SetHostname(name));
    }

    /// <summary>setsid(2): start a new session, detaching from the controlling terminal.</summary>
    public static void NewSession() => Check(Libc.setsid(), "setsid()");

    /// <summary>setgroups(2), setgid(2), setuid(2), in that order: become this user for good.</summary>
    public static void SwitchUser(uint uid, uint gid, uint[] groups)
    {
        long t = Explain.Begin();
        fixed (uint* g = groups) Check(Libc.setgroups((nuint)groups.Length, g), "setgroups()");
        Check(Libc.setgid(gid), $"setgid({gid})");
        Check(Libc.setuid(uid), $"setuid({uid})");
        if (t != 0) Explain.Record(t, ExplainText.SwitchUser(uid, gid, groups));
    }

    /// <summary>waitpid(2): wait for a child (pid -1: any child) and decode how it ended; null with WNOHANG when none ended.</summary>
    public static (int Pid, ExitStatus Status)? WaitChild(int pid, int options = 0)
    {
        int status;
        while (true)
        {
            int r = Libc.waitpid(pid, &status, options | __WALL);
            if (r == -1 && Marshal.GetLastPInvokeError() == 4 /* EINTR */) continue;
            if (r == -1 && Marshal.GetLastPInvokeError() == 10 /* ECHILD */) return null;
            Check(r, $"waitpid({pid})");
            return r == 0 ? null : (r, ExitStatus.FromWaitStatus(status));
        }
    }

    public const int PR_SET_PDEATHSIG = 1, PR_SET_CHILD_SUBREAPER = 36, PR_SET_NO_NEW_PRIVS = 38, PR_CAPBSET_DROP = 24, PR_SET_NAME = 15;

    /// <summary>prctl(2): change one process attribute.</summary>
    public static void Prctl(int option, ulong arg2, string what) => Check(Libc.prctl(option, (nuint)arg2, 0, 0, 0), $"prctl({what})");

    /// <summary>prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants get re-parented to us, not to host PID 1.</summary>
    public static void BecomeSubreaper() => Prctl(PR_SET_CHILD_SUBREAPER, 1, "PR_SET_CHILD_SUBREAPER");

    /// <summary>pidfd_open(2): a close-on-exec fd that refers to process pid and becomes readable (POLLIN) once it has exited.</summary>
    public static int OpenPidFd(int pid) => (int)Check(Libc.syscall2(434 /* SYS_pidfd_open */, pid, 0), $"pidfd_open({pid})");

    /// <summary>poll(2) on a pidfd: true once its process has exited (reaping is the caller's), false after timeoutMs.</summary>
    public static bool AwaitPidFdExit(int pidfd, int timeoutMs)
    {
        Span<PollFd> fds = stackalloc PollFd[] { new() { Fd = pidfd, Events = 1 /* POLLIN */ } };
        return Poll(fds, timeoutMs) > 0;
    }

    /// <summary>pipe2(2) with O_CLOEXEC: a one-way channel; (read end, write end).</summary>
    public static (int Read, int Write) Pipe()
    {
        int* fds = stackalloc int[2];
        Check(Libc.pipe2(fds, O_CLOEXEC), "pipe2()");
        return (fds[0], fds[1]);
    }

    /// <summary>socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC): a two-way channel that can also carry fds.</summary>
    public static (int A, int B) SocketPair()
    {
        int* sv = stackalloc int[2];
        Check(Libc.socketpair(1 /* AF_UNIX */, 1 | 0x80000 /* SOCK_STREAM|SOCK_CLOEXEC */, 0, sv), "socketpair(AF_UNIX)");
        return (sv[0], sv[1]);
    }

    /// <summary>open(2).</summary>
    public static int Open(string path, int flags, int mode = 0) => Check(Libc.open(path, flags, mode), $"open({path})");

    /// <summary>close(2), ignoring errors.</summary>
    public static void Close(int fd) { if (fd >= 0) Libc.close(fd); }

    /// <summary>read(2), retrying on EINTR; 0 at end of file.</summary>
    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
            while (true)
            {
                nint n = Libc.read(fd, p, buffer.Length);
                if (n == -1 && Marshal.GetLastPInvokeError() == 4) continue;
                return (int)Check((long)n, $"read(fd {fd})");
            }
    }

    /// <summary>write(2) of the whole buffer, retrying on EINTR and short writes.</summary>
    public static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = Libc.write(fd, p + done, data.Length - done);
                if (n == -1 && Marshal.GetLastPInvokeError() == 4) continue;
                done += (int)Check((long)n, $"write(fd {fd})");
            }
        }
    }

    public const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1, F_GETFL = 3, F_SETFL = 4;

    /// <summary>fcntl(F_SETFD): set whether fd is closed on execve.</summary>
    public static void SetCloseOnExec(int fd, bool on) => Check(Libc.fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0), $"fcntl({fd}, F_SETFD)");

    /// <summary>ioctl(2) with a pointer argument.</summary>
    public static void Ioctl(int fd, ulong request, void* arg, string what) => Check(Libc.ioctl(fd, (nuint)request, arg), $"ioctl({fd}, {what})");

    /// <summary>ioctl(2) with an integer argument.</summary>
    public static void IoctlInt(int fd, ulong request, nint arg, string what) => Check(Libc.ioctl_int(fd, (nuint)request, arg), $"ioctl({fd}, {what})");

    public const ulong TIOCSCTTY = 0x540E, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431;

    /// <summary>ioctl(TIOCSWINSZ): tell a terminal its size; the foreground process gets SIGWINCH.</summary>
    public static void SetWindowSize(int fd, ushort rows, ushort cols)
    {
        var ws = new WindowSize { Rows = rows, Cols = cols };
        Ioctl(fd, TIOCSWINSZ, &ws, $"TIOCSWINSZ {rows}x{cols}");
    }

    /// <summary>sendmsg(2) with SCM_RIGHTS: hand an open file descriptor to the process at the other end of a unix socket.</summary>
    public static void SendFd(int socket, int fdToSend, byte tag)
    {
        byte data = tag;
        var iov = new Libc.IoVec { Base = &data, Len = 1 };
        // struct cmsghdr { size_t len; int level; int type; } followed by the int fd, aligned to 8.
        byte* control = stackalloc byte[24];
        new Span<byte>(control, 24).Clear();
        *(nuint*)control = 20;             // CMSG_LEN(sizeof(int))
        *(int*)(control + 8) = 1;          // SOL_SOCKET
        *(int*)(control + 12) = 1;         // SCM_RIGHTS
        *(int*)(control + 16) = fdToSend;
        var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 24 };
        Check((long)Libc.sendmsg(socket, &msg, 0), "sendmsg(SCM_RIGHTS)");
    }

    /// <summary>recvmsg(2): receive one tag byte and, if sent, a file descriptor (else -1). Tag -1 at end of stream.</summary>
    public static (int Tag, int Fd) ReceiveFd(int socket)
    {
        byte data = 0;
        var iov = new Libc.IoVec { Base = &data, Len = 1 };
        byte* control = stackalloc byte[24];
        new Span<byte>(control, 24).Clear();
        var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 24 };
        nint n;
        while ((n = Libc.recvmsg(socket, &msg, 0x40000000 /* MSG_CMSG_CLOEXEC */)) == -1 && Marshal.GetLastPInvokeError() == 4) { }
        Check((long)n, "recvmsg()");
        if (n == 0) return (-1, -1);
        int fd = msg.ControlLen >= 20 && *(int*)(control + 12) == 1 ? *(int*)(control + 16) : -1;
        return (data, fd);
    }

    public const int RLIMIT_NOFILE = 7;

    /// <summary>setrlimit(2): set a resource limit (soft and hard).</summary>
    public static void SetResourceLimit(int resource, ulong soft, ulong hard)
    {
        var r = new Libc.RLimit { Cur = soft, Max = hard };
        Check(Libc.setrlimit(resource, &r), $"setrlimit({resource}, {soft}, {hard})");
    }

    public static int CurrentPid => Libc.getpid();

    /// <summary>poll(2) on a set of fds; returns how many are ready (0 on timeout).</summary>
    public static int Poll(Span<PollFd> fds, int timeoutMs)
    {
        fixed (PollFd* p = fds)
            while (true)
            {
                int r = Libc.poll(p, (nuint)fds.Length, timeoutMs);
                if (r == -1 && Marshal.GetLastPInvokeError() == 4) continue;
                return Check(r, "poll()");
            }
    }

    /// <summary>umask(2): set the file-creation mask.</summary>
    public static void SetUmask(uint mask) => Libc.umask(mask);
}

public static unsafe partial class Kernel
{
    /// <summary>fcntl(F_DUPFD_CLOEXEC, 10): a copy of fd numbered 10 or above (so it cannot collide with 0–3 in a child).</summary>
    public static int DuplicateHigh(int fd) => Check(Libc.fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 10), $"fcntl({fd}, F_DUPFD_CLOEXEC)");
}
