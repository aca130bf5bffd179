namespace MiniContainer.Linux;

/// <summary>The kind of a file, from the S_IFMT bits of its mode.</summary>
public enum FileKind
{
    Unknown = 0,
    Fifo = 0x1000,            // S_IFIFO
    CharacterDevice = 0x2000, // S_IFCHR
    Directory = 0x4000,       // S_IFDIR
    BlockDevice = 0x6000,     // S_IFBLK
    RegularFile = 0x8000,     // S_IFREG
    SymbolicLink = 0xA000,    // S_IFLNK
    Socket = 0xC000,          // S_IFSOCK
}

/// <summary>What lstat says about a path: the link itself, never what a symlink points to.</summary>
public readonly record struct FileStatus(
    FileKind Kind, uint Permissions, uint Uid, uint Gid, long Size, ulong Inode, uint LinkCount,
    uint DeviceMajor, uint DeviceMinor, DateTimeOffset ModificationTime, ulong Device = 0)
{
    public bool IsDirectory => Kind == FileKind.Directory;
    public bool IsSymbolicLink => Kind == FileKind.SymbolicLink;
    /// <summary>overlayfs marks a deleted file with a 0/0 character device of the same name.</summary>
    public bool IsOverlayWhiteout => Kind == FileKind.CharacterDevice && DeviceMajor == 0 && DeviceMinor == 0;
}

public static partial class Kernel
{
    /// <summary>statx(2) with AT_SYMLINK_NOFOLLOW: describe path itself (a symlink is not followed); null if it does not exist.</summary>
    public static unsafe FileStatus? LStat(string path)
    {
        Libc.Statx st;
        if (Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, &st) == -1)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == 2 /* ENOENT */) return null;
            throw new KernelException($"statx({path}, AT_SYMLINK_NOFOLLOW)", errno);
        }
        return ToStatus(st);
    }

    private static FileStatus ToStatus(in Libc.Statx st)
    {
        var mtime = DateTimeOffset.FromUnixTimeSeconds(st.MTime.Seconds).AddTicks(st.MTime.Nanoseconds / 100);
        return new FileStatus((FileKind)(st.Mode & 0xF000), st.Mode & 0xFFFu, st.Uid, st.Gid, (long)st.Size,
            st.Inode, st.LinkCount, st.RdevMajor, st.RdevMinor, mtime, MakeDevice(st.DevMajor, st.DevMinor));
    }

    /// <summary>lchown(2): set the owner and group of path; a symlink itself is changed, not its target.</summary>
    public static void LChown(string path, uint uid, uint gid) =>
        Check(Libc.lchown(path, uid, gid), $"lchown({path}, {uid}, {gid})");

    /// <summary>chmod(2): set permission bits, setuid/setgid/sticky included (follows symlinks: never call it on one).</summary>
    public static void Chmod(string path, uint mode) =>
        Check(Libc.chmod(path, mode), $"chmod({path}, {Convert.ToString(mode, 8)})");

    /// <summary>mkdir(2): create one directory; fails with EEXIST if anything, even a dangling symlink, has that name.</summary>
    public static void MakeDirectory(string path, uint mode) =>
        Check(Libc.mkdir(path, mode), $"mkdir({path}, {Convert.ToString(mode, 8)})");

    /// <summary>mknod(2): create a device node, fifo or socket file. A character device 0/0 is overlayfs's whiteout.</summary>
    public static void MakeNode(string path, FileKind kind, uint permissions, uint major = 0, uint minor = 0) =>
        Check(Libc.mknod(path, (uint)kind | (permissions & 0xFFF), MakeDevice(major, minor)),
              $"mknod({path}, {kind}, {Convert.ToString(permissions, 8)}, {major}:{minor})");

    /// <summary>glibc's makedev(): pack a major and minor number into a dev_t.</summary>
    public static ulong MakeDevice(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    /// <summary>link(2): give an existing file a second name (a hard link); a symlink is linked as itself.</summary>
    public static void HardLink(string existingPath, string newPath) =>
        Check(Libc.link(existingPath, newPath), $"link({existingPath}, {newPath})");

    /// <summary>symlink(2): create linkPath holding the text target (nothing checks or follows the target).</summary>
    public static void SymbolicLink(string target, string linkPath) =>
        Check(Libc.symlink(target, linkPath), $"symlink({target}, {linkPath})");

    /// <summary>utimensat(2) with AT_SYMLINK_NOFOLLOW: set access and modification times of path itself.</summary>
    public static unsafe void SetTimesNoFollow(string path, DateTimeOffset accessTime, DateTimeOffset modificationTime)
    {
        Libc.TimeSpec* times = stackalloc Libc.TimeSpec[2];
        times[0] = ToTimeSpec(accessTime);
        times[1] = ToTimeSpec(modificationTime);
        Check(Libc.utimensat(Libc.AT_FDCWD, path, times, Libc.AT_SYMLINK_NOFOLLOW), $"utimensat({path}, AT_SYMLINK_NOFOLLOW)");
    }

    private static Libc.TimeSpec ToTimeSpec(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        return new Libc.TimeSpec { Seconds = seconds, Nanoseconds = rest * 100 };
    }

    /// <summary>lsetxattr(2): set an extended attribute on path itself (not a symlink's target).</summary>
    public static unsafe void LSetXattr(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
            Check(Libc.lsetxattr(path, name, p, (nuint)value.Length, 0), $"lsetxattr({path}, {name})");
    }

    /// <summary>lgetxattr(2): read an extended attribute of path itself; null when it is not set.</summary>
    public static unsafe byte[]? LGetXattr(string path, string name)
    {
        byte* buffer = stackalloc byte[4096];
        nint n = Libc.lgetxattr(path, name, buffer, 4096);
        if (n == -1)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Libc.ENODATA) return null;
            throw new KernelException($"lgetxattr({path}, {name})", errno);
        }
        return new ReadOnlySpan<byte>(buffer, (int)n).ToArray();
    }
}
