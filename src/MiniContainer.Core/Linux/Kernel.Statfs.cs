namespace MiniContainer.Linux;

/// <summary>What statfs(2) says about the filesystem holding a path.</summary>
public readonly record struct FileSystemStats(long Type, long BlockSize, ulong Blocks, ulong BlocksFree, ulong BlocksAvailable, ulong Files, ulong FilesFree);

public static unsafe partial class Kernel
{
    // f_type magic numbers from linux/magic.h.
    public const long CGROUP2_SUPER_MAGIC = 0x63677270, CGROUP_SUPER_MAGIC = 0x27e0eb, TMPFS_MAGIC = 0x01021994,
        OVERLAYFS_SUPER_MAGIC = 0x794c7630, PROC_SUPER_MAGIC = 0x9fa0, SYSFS_MAGIC = 0x62656572;

    /// <summary>statfs(2): which filesystem (f_type magic) holds <paramref name="path"/>, and how full it is. Changes nothing.</summary>
    public static FileSystemStats StatFs(string path)
    {
        Libc.StatFs buf;
        Check(Libc.statfs(path, &buf), $"statfs({path})");
        return new FileSystemStats(buf.Type, buf.BlockSize, buf.Blocks, buf.BlocksFree, buf.BlocksAvailable, buf.Files, buf.FilesFree);
    }
}
