using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

/// <summary>File-system calls that .NET's File/Directory APIs do not offer, or only offer following symlinks.</summary>
internal static unsafe partial class Libc
{
    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const uint STATX_BASIC_STATS = 0x7ff;
    internal const int ENODATA = 61;

    /// <summary>struct timespec (64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeSpec { public long Seconds; public long Nanoseconds; }

    /// <summary>struct statx_timestamp.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatxTimestamp { public long Seconds; public uint Nanoseconds; public int Reserved; }

    /// <summary>struct statx: the same layout on every architecture (unlike struct stat), 256 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Statx
    {
        public uint Mask, BlockSize;
        public ulong Attributes;
        public uint LinkCount, Uid, Gid;
        public ushort Mode, Spare0;
        public ulong Inode, Size, Blocks, AttributesMask;
        public StatxTimestamp ATime, BTime, CTime, MTime;
        public uint RdevMajor, RdevMinor, DevMajor, DevMinor;
        public fixed ulong Spare[14];
    }

    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int statx(int dirFd, string path, int flags, uint mask, Statx* buf);

    [LibraryImport(Name, EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int lchown(string path, uint uid, uint gid);

    [LibraryImport(Name, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chmod(string path, uint mode);

    [LibraryImport(Name, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkdir(string path, uint mode);

    [LibraryImport(Name, EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mknod(string path, uint mode, ulong device);

    [LibraryImport(Name, EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int link(string existingPath, string newPath);

    [LibraryImport(Name, EntryPoint = "symlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int symlink(string target, string linkPath);

    [LibraryImport(Name, EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int utimensat(int dirFd, string path, TimeSpec* times, int flags);

    [LibraryImport(Name, EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int lsetxattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport(Name, EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint lgetxattr(string path, string name, byte* value, nuint size);
}
