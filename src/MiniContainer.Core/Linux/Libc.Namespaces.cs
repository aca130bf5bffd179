using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

internal static unsafe partial class Libc
{
    [LibraryImport(Name, EntryPoint = "unshare", SetLastError = true)]
    internal static partial int unshare(int flags);

    [LibraryImport(Name, EntryPoint = "setns", SetLastError = true)]
    internal static partial int setns(int fd, int nstype);

    [LibraryImport(Name, EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int access(string path, int mode);

    [LibraryImport(Name, EntryPoint = "execve", SetLastError = true)]
    internal static partial int execve(byte* path, byte** argv, byte** envp);
}
