using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MiniContainer.Linux;

/// <summary>
/// Calls relative to an open directory. Two kinds of safety come from them: openat2 with RESOLVE_IN_ROOT treats
/// the directory fd as "/" for the whole lookup (".." and absolute symlinks stop at it, so a path can never
/// leave it), and the other *at calls look up only one name in a directory we already hold, never following it.
/// </summary>
public static unsafe partial class Kernel
{
    /// <summary>openat2's RESOLVE_* flags.</summary>
    /// <summary>open(2)'s O_EXCL: with O_CREAT, fail if the name exists (even as a dangling symlink).</summary>
    public const int O_EXCL = 0x80;

    public const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_IN_ROOT = 0x10;

    /// <summary>openat2(2) with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS: open path as if root were "/" (symlinks, absolute
    /// or relative, and ".." all stay inside root; /proc magic links are refused). O_CLOEXEC is always added.</summary>
    public static SafeFileHandle OpenInRoot(SafeFileHandle root, string path, int flags, uint mode = 0)
    {
        var how = new Libc.OpenHow { Flags = (ulong)(flags | O_CLOEXEC), Mode = mode, Resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        byte[] p = NulTerminated(path.Length == 0 ? "." : path);
        long fd;
        bool added = false;
        root.DangerousAddRef(ref added);
        try
        {
            fixed (byte* pp = p)
                do fd = Libc.syscall5(Libc.SYS_openat2, root.DangerousGetHandle(), (long)pp, (long)&how, sizeof(Libc.OpenHow), 0);
                while (fd == -1 && Marshal.GetLastPInvokeError() == 11 /* EAGAIN: a rename raced the lookup, try again */);
        }
        finally { if (added) root.DangerousRelease(); }
        return new SafeFileHandle((nint)Check(fd, $"openat2(<root>, {path}, RESOLVE_IN_ROOT)"), ownsHandle: true);
    }

    private static byte[] NulTerminated(string s) => System.Text.Encoding.UTF8.GetBytes(s + "\0");

    /// <summary>open(2) of a directory as an O_PATH handle: a place to resolve from, not to read.</summary>
    public static SafeFileHandle OpenDirectoryHandle(string path) =>
        new(Check(Libc.open(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0), $"open({path}, O_PATH|O_DIRECTORY)"), ownsHandle: true);

    /// <summary>openat(2) of one name in dir (add O_NOFOLLOW to refuse a symlink there). O_CLOEXEC is always added.</summary>
    public static SafeFileHandle OpenAt(SafeFileHandle dir, string name, int flags, uint mode = 0) =>
        new(Check(Libc.openat(dir, name, flags | O_CLOEXEC, mode), $"openat({name}, 0x{flags:x})"), ownsHandle: true);

    /// <summary>statx(2) of name in dir without following it ("" = the fd itself); null if it does not exist.</summary>
    public static FileStatus? StatAt(SafeFileHandle dir, string name)
    {
        Libc.Statx st;
        int flags = Libc.AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? Libc.AT_EMPTY_PATH : 0);
        if (Libc.statx(dir, name, flags, Libc.STATX_BASIC_STATS, &st) == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == 2 /* ENOENT */) return null;
            throw new KernelException($"statx({name}, AT_SYMLINK_NOFOLLOW)", errno);
        }
        return ToStatus(st);
    }

    /// <summary>mkdirat(2): create directory name in dir.</summary>
    public static void MakeDirectoryAt(SafeFileHandle dir, string name, uint mode) =>
        Check(Libc.mkdirat(dir, name, mode), $"mkdirat({name}, {Convert.ToString(mode, 8)})");

    /// <summary>symlinkat(2): create the symlink name in dir holding target.</summary>
    public static void SymbolicLinkAt(string target, SafeFileHandle dir, string name) =>
        Check(Libc.symlinkat(target, dir, name), $"symlinkat({target}, {name})");

    /// <summary>linkat(2) without AT_SYMLINK_FOLLOW: give the file existingName in existingDir the second name newName in newDir.</summary>
    public static void HardLinkAt(SafeFileHandle existingDir, string existingName, SafeFileHandle newDir, string newName) =>
        Check(Libc.linkat(existingDir, existingName, newDir, newName, 0), $"linkat({existingName}, {newName})");

    /// <summary>mknodat(2): create a device node or fifo name in dir.</summary>
    public static void MakeNodeAt(SafeFileHandle dir, string name, FileKind kind, uint permissions, uint major = 0, uint minor = 0) =>
        Check(Libc.mknodat(dir, name, (uint)kind | (permissions & 0xFFF), MakeDevice(major, minor)), $"mknodat({name}, {kind})");

    /// <summary>fchownat(2) with AT_SYMLINK_NOFOLLOW: set the owner of name in dir itself ("" = the fd itself).</summary>
    public static void ChownAt(SafeFileHandle dir, string name, uint uid, uint gid) =>
        Check(Libc.fchownat(dir, name, uid, gid, Libc.AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? Libc.AT_EMPTY_PATH : 0)), $"fchownat({name}, {uid}, {gid})");

    /// <summary>fchmodat(2) with AT_SYMLINK_NOFOLLOW: set the mode of name in dir, which must not be a symlink.</summary>
    public static void ChmodAt(SafeFileHandle dir, string name, uint mode) =>
        Check(Libc.fchmodat(dir, name, mode, Libc.AT_SYMLINK_NOFOLLOW), $"fchmodat({name}, {Convert.ToString(mode, 8)})");

    /// <summary>fchmod(2): set the mode of an open file (setuid/setgid/sticky included).</summary>
    public static void Chmod(SafeFileHandle file, uint mode) => Check(Libc.fchmod(file, mode), $"fchmod({Convert.ToString(mode, 8)})");

    /// <summary>utimensat(2) with AT_SYMLINK_NOFOLLOW (futimens(2) for a null name: the fd itself): set access and modification times.</summary>
    public static void SetTimesAt(SafeFileHandle dir, string? name, DateTimeOffset modificationTime)
    {
        Libc.TimeSpec* times = stackalloc Libc.TimeSpec[2];
        times[0] = times[1] = ToTimeSpec(modificationTime);
        Check(name is null ? Libc.futimens(dir, times) : Libc.utimensat(dir, name, times, Libc.AT_SYMLINK_NOFOLLOW), $"utimensat({name ?? "<fd>"})");
    }

    /// <summary>unlinkat(2): remove name from dir (AT_REMOVEDIR for an empty directory).</summary>
    public static void UnlinkAt(SafeFileHandle dir, string name, bool directory) =>
        Check(Libc.unlinkat(dir, name, directory ? Libc.AT_REMOVEDIR : 0), $"unlinkat({name})");

    /// <summary>readlinkat(2): the text of the symlink name in dir.</summary>
    public static string ReadLinkAt(SafeFileHandle dir, string name)
    {
        byte* buffer = stackalloc byte[4096];
        nint n = Libc.readlinkat(dir, name, buffer, 4096);
        Check((long)n, $"readlinkat({name})");
        return System.Text.Encoding.UTF8.GetString(buffer, (int)n);
    }
}
