using System.Globalization;
using MiniContainer.Linux;

namespace MiniContainer.Shim;

/// <summary>
/// A shim lives as long as its container, mostly asleep in read() and waitpid(). Its start-up touched most of its
/// code (the JSON reader, the clone, the cgroup writer…), and the kernel keeps every touched page of the binary and
/// of libc mapped in it — counted in its RSS — for the rest of its life, though it never runs that code again.
/// Once the container runs, the shim lets go of those pages: for each read-only mapping of a file (its code and
/// constants, libc's, libm's) that holds no copy-on-write page, madvise(MADV_DONTNEED). The pages stay in the page
/// cache, shared, and the few the supervising loop uses come back on their first touch (a minor fault, no disk).
/// What stays resident is what is really the shim's own: its heap, its stacks, its runtime data.
/// </summary>
public static class WorkingSet
{
    /// <summary>Release the pages of read-only file mappings; returns how many bytes of mappings were released.</summary>
    public static long ReleaseStartupPages()
    {
        var mappings = ReadOnlyFileMappings();
        // The start-up's garbage goes now, and the collector gives its emptied heap back to the kernel (aggressive
        // mode decommits what it can) — also so that the collector's own code has run before its pages are let go.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();   // the finalizer thread runs what the collection found now, not after the release
        long released = 0;
        // From here on, as little code as possible: each function touched now maps its neighbourhood back in (the
        // kernel's fault-around maps up to 64 KiB of cached pages around each fault). A refusal costs nothing: the
        // pages just stay mapped.
        for (int i = 0; i < mappings.Count; i++)
            if (Kernel.UnmapUntouchedPages(mappings[i].Start, mappings[i].End - mappings[i].Start)) released += (long)(mappings[i].End - mappings[i].Start);
        return released;
    }

    public readonly record struct Mapping(ulong Start, ulong End);

    /// <summary>From /proc/self/smaps: mappings of a file, not writable, with no anonymous (copied-on-write) pages —
    /// e.g. relocated read-only data after RELRO is writable-then-sealed and holds such pages: it is left alone.</summary>
    public static List<Mapping> ReadOnlyFileMappings() => Parse(File.ReadAllLines("/proc/self/smaps"));

    public static List<Mapping> Parse(IEnumerable<string> smaps)
    {
        var result = new List<Mapping>();
        Mapping? current = null;
        bool candidate = false;
        foreach (string line in smaps)
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && IsHex(line.AsSpan(0, dash)))
            {
                // "start-end perms offset dev inode [path]"
                string[] f = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                current = new Mapping(ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber),
                                      ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber));
                candidate = f.Length == 6 && f[1][1] != 'w' && f[1][3] == 'p' && f[5].StartsWith('/') && f[4] != "0";
            }
            else if (current is { } m && candidate && line.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                if (line.AsSpan("Anonymous:".Length).Trim().SequenceEqual("0 kB")) result.Add(m);
                candidate = false;
            }
        }
        return result;
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (char c in s) if (!char.IsAsciiHexDigit(c)) return false;
        return s.Length > 0;
    }
}
