using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

/// <summary>
/// Raw libc entry points. Partial: each area adds its own file (Libc.Mounts.cs, Libc.FileSystem.cs…).
/// Declarations use [LibraryImport] with SetLastError so Kernel.Check can read errno.
/// </summary>
internal static unsafe partial class Libc
{
    internal const string Name = "libc";
}
