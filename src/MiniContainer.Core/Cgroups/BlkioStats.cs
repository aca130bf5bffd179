using System.Globalization;

namespace MiniContainer.Cgroups;

/// <summary>
/// Block I/O counters for `docker stats`' BLOCK I/O column, read the way dockerd reads them:
/// v1 blkio.throttle.io_service_bytes_recursive ("8:0 Read 4096" lines, plus a "Total" line without a device), and
/// v2 io.stat ("8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0"), where dockerd reports rbytes/wbytes as
/// "read"/"write" entries.
/// </summary>
public static class BlkioStats
{
    /// <summary>v1: one entry per "MAJ:MIN Op Value" line; the device-less "Total" line is left out, as dockerd does.</summary>
    public static List<BlkioEntry> ParseV1(string? text)
    {
        var entries = new List<BlkioEntry>();
        foreach (string line in Lines(text))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 3 || !TryDevice(f[0], out long major, out long minor)) continue;
            if (long.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)) entries.Add(new(major, minor, f[1], v));
        }
        return entries;
    }

    /// <summary>v2: the <paramref name="readKey"/>/<paramref name="writeKey"/> pair of each device line (rbytes/wbytes or rios/wios).</summary>
    public static List<BlkioEntry> ParseV2(string? text, string readKey, string writeKey)
    {
        var entries = new List<BlkioEntry>();
        foreach (string line in Lines(text))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2 || !TryDevice(f[0], out long major, out long minor)) continue;
            var values = f.Skip(1).Select(kv => kv.Split('=', 2)).Where(kv => kv.Length == 2)
                .ToDictionary(kv => kv[0], kv => long.TryParse(kv[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : 0);
            entries.Add(new(major, minor, "read", values.GetValueOrDefault(readKey)));
            entries.Add(new(major, minor, "write", values.GetValueOrDefault(writeKey)));
        }
        return entries;
    }

    private static IEnumerable<string> Lines(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool TryDevice(string field, out long major, out long minor)
    {
        major = minor = 0;
        string[] mm = field.Split(':');
        return mm.Length == 2 && long.TryParse(mm[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out major) &&
               long.TryParse(mm[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out minor);
    }
}
