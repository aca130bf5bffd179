using MiniContainer.Explaining;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace MiniContainer.Cgroups;

/// <summary>
/// Reading and writing cgroupfs control files. These are plain file operations, but with kernel rules:
/// a value must arrive in ONE write(2) (the kernel parses each write on its own), and a control file that does
/// not exist means the kernel lacks that feature, so we never create files (no O_CREAT).
/// Each write is recorded as a step for --explain (see Explain).
/// </summary>
public static class CgroupFile
{
    public static bool Exists(string dir, string file) => File.Exists(Path.Combine(dir, file));

    /// <summary>Writes <paramref name="value"/> with a single pwrite(2) at offset 0 (O_WRONLY|O_TRUNC, never O_CREAT).</summary>
    public static void Write(string dir, string file, string value)
    {
        string path = Path.Combine(dir, file);
        long t = Explain.Begin();
        byte[] bytes = Encoding.ASCII.GetBytes(value);
        try
        {
            using SafeFileHandle h = File.OpenHandle(path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite);
            RandomAccess.Write(h, bytes, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CgroupException($"failed to write \"{value}\" to {path}: {e.Message}", e);
        }
        if (t != 0) Explain.Record(t, ExplainText.CgroupWrite(path, value));
    }

    public static void Write(string dir, string file, long value) => Write(dir, file, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>The file's text, or null when the file (or its cgroup) does not exist.</summary>
    public static string? TryRead(string dir, string file)
    {
        try { return File.ReadAllText(Path.Combine(dir, file)); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    /// <summary>A single number; null when the file is missing, empty, or says "max".</summary>
    public static long? TryReadLong(string dir, string file)
    {
        string? text = TryRead(dir, file)?.Trim();
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;
    }

    /// <summary>
    /// A limit: v2 writes "max" for unlimited, v1 a page-rounded LONG_MAX (9223372036854771712). Both come back as null.
    /// </summary>
    public static long? TryReadLimit(string dir, string file)
    {
        long? v = TryReadLong(dir, file);
        return v is null or >= UnlimitedThreshold or < 0 ? null : v;
    }

    /// <summary>Anything this large is the kernel's "no limit" (v1 reports LONG_MAX rounded down to a page).</summary>
    internal const long UnlimitedThreshold = 1L << 62;

    /// <summary>"key value" lines (memory.events, memory.stat, cpu.stat, memory.oom_control…). Missing file = empty.</summary>
    public static Dictionary<string, long> ReadKeyed(string dir, string file)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        string? text = TryRead(dir, file);
        if (text is null) return result;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int sp = line.IndexOf(' ');
            if (sp <= 0) continue;
            if (long.TryParse(line.AsSpan(sp + 1).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v))
                result[line[..sp]] = v;
        }
        return result;
    }

    /// <summary>Whitespace-separated words (cgroup.controllers, cgroup.subtree_control); null when missing.</summary>
    public static HashSet<string>? TryReadWords(string dir, string file) =>
        TryRead(dir, file) is string text
            ? new HashSet<string>(text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal)
            : null;

    /// <summary>The pids listed in <paramref name="dir"/>/cgroup.procs (this cgroup only, not its children).</summary>
    public static List<int> ReadPids(string dir)
    {
        var pids = new List<int>();
        string? text;
        try { text = TryRead(dir, "cgroup.procs"); }
        catch (IOException) { return pids; } // the cgroup was removed while we read it
        if (text is null) return pids;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (int.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid)) pids.Add(pid);
        return pids;
    }
}
