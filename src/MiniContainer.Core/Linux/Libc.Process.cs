using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

internal static unsafe partial class Libc
{
    [LibraryImport(Name, EntryPoint = "sethostname", SetLastError = true)]
    internal static partial int sethostname(byte* name, nuint len);

    [LibraryImport(Name, EntryPoint = "setsid", SetLastError = true)]
    internal static partial int setsid();

    [LibraryImport(Name, EntryPoint = "setuid", SetLastError = true)]
    internal static partial int setuid(uint uid);

    [LibraryImport(Name, EntryPoint = "setgid", SetLastError = true)]
    internal static partial int setgid(uint gid);

    [LibraryImport(Name, EntryPoint = "setgroups", SetLastError = true)]
    internal static partial int setgroups(nuint size, uint* list);

    [LibraryImport(Name, EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Name, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>pthread_create(3) returns its error number rather than setting errno.</summary>
    [LibraryImport(Name, EntryPoint = "pthread_create")]
    internal static partial int pthread_create(nuint* thread, void* attributes, delegate* unmanaged<nint, nint> start, nint argument);

    [LibraryImport(Name, EntryPoint = "pthread_detach")]
    internal static partial int pthread_detach(nuint thread);

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long syscall2(long number, long a, long b);

    [LibraryImport(Name, EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int pipe2(int* fds, int flags);

    [LibraryImport(Name, EntryPoint = "socketpair", SetLastError = true)]
    internal static partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport(Name, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags, int mode);

    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    internal static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Name, EntryPoint = "write", SetLastError = true)]
    internal static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, void* arg);

    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int ioctl_int(int fd, nuint request, nint arg);

    [LibraryImport(Name, EntryPoint = "sendmsg", SetLastError = true)]
    internal static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(Name, EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Name, EntryPoint = "setrlimit", SetLastError = true)]
    internal static partial int setrlimit(int resource, RLimit* rlim);

    [LibraryImport(Name, EntryPoint = "getpid")]
    internal static partial int getpid();

    [LibraryImport(Name, EntryPoint = "socket", SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Name, EntryPoint = "poll", SetLastError = true)]
    internal static partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport(Name, EntryPoint = "umask")]
    internal static partial uint umask(uint mask);

    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        public void* Name; public uint NameLen; public IoVec* Iov; public nuint IovLen;
        public void* Control; public nuint ControlLen; public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec { public void* Base; public nuint Len; }

    [StructLayout(LayoutKind.Sequential)]
    internal struct RLimit { public ulong Cur; public ulong Max; }
}

[StructLayout(LayoutKind.Sequential)]
public struct PollFd { public int Fd; public short Events; public short REvents; }

[StructLayout(LayoutKind.Sequential)]
public struct WindowSize { public ushort Rows; public ushort Cols; public ushort XPixel; public ushort YPixel; }
