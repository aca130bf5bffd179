using Microsoft.Win32.SafeHandles;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Storage;

/// <summary>
/// A directory held open and used as "/" for every path looked up in it: a container's root (its
/// /proc/PID/root, or a stopped container's overlay mounted for the copy), or the destination of an
/// extraction. Every lookup is one openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS), so symlinks — absolute,
/// relative, chains, or swapped in while we work — are followed inside this directory and never out of it.
/// </summary>
public sealed class RootedDirectory : IDisposable
{
    public SafeFileHandle Handle { get; }

    public RootedDirectory(SafeFileHandle handle) => Handle = handle;

    public static RootedDirectory Open(string path) => new(Kernel.OpenDirectoryHandle(path));

    /// <summary>Opens <paramref name="path"/> ("/a/b" or "a/b"), resolved inside the root.</summary>
    public SafeFileHandle Open(string path, int flags, uint mode = 0) => Kernel.OpenInRoot(Handle, path.TrimStart('/'), flags, mode);

    /// <summary>An O_PATH handle of a directory inside the root, every symlink on the way followed inside it.</summary>
    public SafeFileHandle OpenDirectory(string path) => Open(path, Kernel.O_PATH | Kernel.O_DIRECTORY);

    /// <summary>lstat of <paramref name="path"/> inside the root (the last element is not followed); null if missing.</summary>
    public FileStatus? Stat(string path)
    {
        try
        {
            using var handle = Open(path, Kernel.O_PATH | Kernel.O_NOFOLLOW);
            return Kernel.StatAt(handle, "");
        }
        catch (KernelException e) when (e.Errno is 2 /* ENOENT */ or 20 /* ENOTDIR */) { return null; }
    }

    /// <summary>The absolute in-root path <paramref name="path"/> leads to once every symlink is followed
    /// (what Docker reports as a symlink's "linkTarget"). Only ever a name: nothing is opened by it.</summary>
    public string Resolve(string path) => SecureJoin.ResolveInRoot(ReadLinkOrNull, path);

    private string? ReadLinkOrNull(string inRootPath)
    {
        try
        {
            using var handle = Open(inRootPath, Kernel.O_PATH | Kernel.O_NOFOLLOW);
            return Kernel.StatAt(handle, "") is { IsSymbolicLink: true } ? Kernel.ReadLinkAt(handle, "") : null;
        }
        catch (KernelException e) when (e.Errno is 2 or 20) { return null; }
    }

    public void Dispose() => Handle.Dispose();
}
