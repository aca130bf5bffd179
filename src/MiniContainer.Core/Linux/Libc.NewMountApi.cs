using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

internal static unsafe partial class Libc
{
    // The "new mount API" (Linux 5.2+) and mount_setattr (5.12+) have no glibc wrappers in Debian 12's libc:
    // they are called through syscall(2) with their x86_64 numbers.
    internal const long SYS_open_tree = 428, SYS_move_mount = 429, SYS_fsopen = 430, SYS_fsconfig = 431, SYS_fsmount = 432, SYS_mount_setattr = 442;

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long syscall5(long number, long a, long b, long c, long d, long e);

    [StructLayout(LayoutKind.Sequential)]
    internal struct MountAttr { public ulong AttrSet; public ulong AttrClr; public ulong Propagation; public ulong UsernsFd; }
}
