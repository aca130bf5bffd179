using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MiniContainer.Linux;

/// <summary>The *at() family: calls that take a directory fd and one name, so nothing but that last name is looked up.</summary>
internal static unsafe partial class Libc
{
    internal const long SYS_openat2 = 437;   // no glibc wrapper in Debian 12's libc; the same number on x86_64 and arm64
    internal const int AT_EMPTY_PATH = 0x1000, AT_REMOVEDIR = 0x200;

    /// <summary>struct open_how of openat2(2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct OpenHow { public ulong Flags; public ulong Mode; public ulong Resolve; }

    [LibraryImport(Name, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int openat(SafeFileHandle dirFd, string path, int flags, uint mode);

    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int statx(SafeFileHandle dirFd, string path, int flags, uint mask, Statx* buf);

    [LibraryImport(Name, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkdirat(SafeFileHandle dirFd, string path, uint mode);

    [LibraryImport(Name, EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int symlinkat(string target, SafeFileHandle dirFd, string linkPath);

    [LibraryImport(Name, EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int linkat(SafeFileHandle oldDirFd, string oldPath, SafeFileHandle newDirFd, string newPath, int flags);

    [LibraryImport(Name, EntryPoint = "mknodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mknodat(SafeFileHandle dirFd, string path, uint mode, ulong device);

    [LibraryImport(Name, EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int fchownat(SafeFileHandle dirFd, string path, uint uid, uint gid, int flags);

    [LibraryImport(Name, EntryPoint = "fchmodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int fchmodat(SafeFileHandle dirFd, string path, uint mode, int flags);

    [LibraryImport(Name, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int fchmod(SafeFileHandle fd, uint mode);

    [LibraryImport(Name, EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int utimensat(SafeFileHandle dirFd, string path, TimeSpec* times, int flags);

    [LibraryImport(Name, EntryPoint = "futimens", SetLastError = true)]
    internal static partial int futimens(SafeFileHandle fd, TimeSpec* times);

    [LibraryImport(Name, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int unlinkat(SafeFileHandle dirFd, string path, int flags);

    [LibraryImport(Name, EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint readlinkat(SafeFileHandle dirFd, string path, byte* buffer, nuint size);
}
