namespace MiniContainer.Linux;

public static unsafe partial class Kernel
{
    private const int MADV_DONTNEED = 4;

    /// <summary>
    /// madvise(MADV_DONTNEED) on a read-only, file-backed mapping: the process stops mapping those pages (its RSS
    /// drops by them); the next touch maps them again from the page cache, with the file's bytes — which are the
    /// same bytes, because nothing ever wrote to them. (On a written private page it would throw the writes away:
    /// callers check that the mapping has no anonymous copy-on-write pages first.) False when the kernel refuses;
    /// no message is built: the caller may have just released the code that would format it.
    /// </summary>
    public static bool UnmapUntouchedPages(ulong start, ulong length) => Libc.madvise((nuint)start, (nuint)length, MADV_DONTNEED) == 0;
}
