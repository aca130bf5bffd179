using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

internal static unsafe partial class Libc
{
    [LibraryImport(Name, EntryPoint = "kill", SetLastError = true)]
    internal static partial int kill(int pid, int sig);
}
