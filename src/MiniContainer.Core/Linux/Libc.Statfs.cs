using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

internal static unsafe partial class Libc
{
    /// <summary>glibc's struct statfs on 64-bit Linux (x86-64 and arm64): eleven 8-byte words, then 4 spare.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatFs
    {
        public long Type, BlockSize;
        public ulong Blocks, BlocksFree, BlocksAvailable, Files, FilesFree;
        public long FsId, NameLength, FragmentSize, Flags;
        public fixed long Spare[4];
    }

    [LibraryImport(Name, EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int statfs(string path, StatFs* buf);
}
