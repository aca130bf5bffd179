using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

internal static unsafe partial class Libc
{
    [LibraryImport(Name, EntryPoint = "madvise", SetLastError = true)]
    internal static partial int madvise(nuint addr, nuint length, int advice);
}
