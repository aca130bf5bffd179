using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

/// <summary>A failed kernel call, named with its arguments and errno, e.g. "mount(overlay, /x, overlay): ENOENT (No such file or directory)".</summary>
public sealed class KernelException : Exception
{
    public int Errno { get; }
    public string Call { get; }

    public KernelException(string call, int errno)
        : base($"{call}: {ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})")
    {
        Call = call;
        Errno = errno;
    }

    public static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM", 2 => "ENOENT", 3 => "ESRCH", 4 => "EINTR", 5 => "EIO", 9 => "EBADF", 10 => "ECHILD",
        11 => "EAGAIN", 12 => "ENOMEM", 13 => "EACCES", 16 => "EBUSY", 17 => "EEXIST", 18 => "EXDEV",
        20 => "ENOTDIR", 21 => "EISDIR", 22 => "EINVAL", 24 => "EMFILE", 28 => "ENOSPC", 30 => "EROFS",
        32 => "EPIPE", 36 => "ENAMETOOLONG", 38 => "ENOSYS", 39 => "ENOTEMPTY", 40 => "ELOOP", 95 => "EOPNOTSUPP",
        _ => $"errno {errno}",
    };
}

/// <summary>
/// The one narrow door to the kernel (docs/design.md §5). Each area (mounts, processes, namespaces, files…)
/// lives in its own partial file: Kernel.Mounts.cs, Kernel.Process.cs, … The public methods here turn
/// a -1 return into a <see cref="KernelException"/> that names the call and its arguments.
/// The raw P/Invoke declarations live in <c>Libc</c> (Libc.*.cs).
/// </summary>
public static partial class Kernel
{
    /// <summary>Throws a KernelException naming <paramref name="call"/> when <paramref name="rc"/> is -1.</summary>
    public static int Check(int rc, string call)
    {
        if (rc == -1) throw new KernelException(call, Marshal.GetLastPInvokeError());
        return rc;
    }

    public static long Check(long rc, string call)
    {
        if (rc == -1) throw new KernelException(call, Marshal.GetLastPInvokeError());
        return rc;
    }
}
