using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

internal static unsafe partial class Libc
{
    // seccomp(2) has no glibc wrapper in Debian 12's libc: it is called through syscall(2) with its x86_64 number.
    internal const long SYS_seccomp = 317;

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long syscall3(long number, long a, long b, void* c);

    /// <summary>struct sock_fprog { unsigned short len; struct sock_filter *filter; }.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockFprog { public ushort Len; public void* Filter; }
}
