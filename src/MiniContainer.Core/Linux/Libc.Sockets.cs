using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MiniContainer.Linux;

internal static unsafe partial class Libc
{
    /// <summary>struct sockaddr_un: a unix socket's address, a path of at most 107 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockaddrUn
    {
        public ushort Family;
        public fixed byte Path[108];
    }

    [LibraryImport(Name, EntryPoint = "bind", SetLastError = true)]
    internal static partial int bind(int fd, SockaddrUn* address, uint length);

    [LibraryImport(Name, EntryPoint = "listen", SetLastError = true)]
    internal static partial int listen(int fd, int backlog);

    [LibraryImport(Name, EntryPoint = "accept4", SetLastError = true)]
    internal static partial int accept4(int fd, void* address, void* length, int flags);

    [LibraryImport(Name, EntryPoint = "recv", SetLastError = true)]
    internal static partial nint recv(SafeFileHandle fd, byte* buffer, nint length, int flags);

    [LibraryImport(Name, EntryPoint = "send", SetLastError = true)]
    internal static partial nint send(SafeFileHandle fd, byte* buffer, nint length, int flags);

    [LibraryImport(Name, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int shutdown(SafeFileHandle fd, int how);
}
