using System.Globalization;
using System.Text.Json;
using MiniContainer.Cgroups;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// `events`: the container's cgroup as runc 1.1 reports it, one JSON object per line.
///   events --stats ID      one {"type":"stats","id":ID,"data":{cpu,memory,pids,blkio}} and exit (go-runc's Stats reads it)
///   events [--interval D]  a stats event every D (default 5s), and {"type":"oom","id":ID} when the kernel's OOM
///                          killer strikes in the cgroup; ends when the container stops (runc keeps polling a dead one)
/// The numbers come from the shared ICgroup.Stats (v1 and v2), in runc's units: CPU times in nanoseconds, memory in
/// bytes. Fields runc's types mark omitempty are left out when zero, as Go's encoder leaves them out; what we do not
/// read (per-CPU usage, the cpuset's flags, hugetlb, swap usage, network) is absent, not a made-up zero.
/// </summary>
public static class OciEvents
{
    /// <summary>runc (and the kernel's v2 "max") report an unlimited memory limit as the largest uint64.</summary>
    private const ulong Unlimited = ulong.MaxValue;

    public static string StatsEvent(string id, CgroupStats s)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "stats");
            w.WriteString("id", id);
            w.WriteStartObject("data");

            w.WriteStartObject("cpu");
            w.WriteStartObject("usage");
            NonZero(w, "total", s.CpuUsageMicros * 1000);
            w.WriteNumber("kernel", s.CpuSystemMicros * 1000);
            w.WriteNumber("user", s.CpuUserMicros * 1000);
            w.WriteEndObject();
            w.WriteStartObject("throttling");
            NonZero(w, "periods", s.CpuPeriods);
            NonZero(w, "throttledPeriods", s.CpuThrottledPeriods);
            NonZero(w, "throttledTime", s.CpuThrottledMicros * 1000);
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartObject("memory");
            w.WriteStartObject("usage");
            w.WriteNumber("limit", s.MemoryLimitBytes is long limit ? (ulong)limit : Unlimited);
            NonZero(w, "usage", s.MemoryUsageBytes);
            NonZero(w, "max", s.MemoryMaxUsageBytes ?? 0);
            w.WriteNumber("failcnt", s.MemoryFailCount);
            w.WriteEndObject();
            if (s.MemoryStat.Count > 0)
            {
                w.WriteStartObject("raw");
                foreach (var (key, value) in s.MemoryStat) w.WriteNumber(key, value);
                w.WriteEndObject();
            }
            w.WriteEndObject();

            w.WriteStartObject("pids");
            NonZero(w, "current", s.PidsCurrent);
            NonZero(w, "limit", s.PidsLimit ?? 0);
            w.WriteEndObject();

            w.WriteStartObject("blkio");
            Blkio(w, "ioServiceBytesRecursive", s.IoServiceBytes);
            Blkio(w, "ioServicedRecursive", s.IoServiced);
            w.WriteEndObject();

            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string OomEvent(string id) => $"{{\"type\":\"oom\",\"id\":{JsonSerializer.Serialize(id, OciLogJson.Default.String)}}}";

    private static void NonZero(Utf8JsonWriter w, string name, long value)
    {
        if (value != 0) w.WriteNumber(name, value);
    }

    private static void Blkio(Utf8JsonWriter w, string name, IReadOnlyList<BlkioEntry> entries)
    {
        if (entries.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var e in entries)
        {
            w.WriteStartObject();
            NonZero(w, "major", e.Major);
            NonZero(w, "minor", e.Minor);
            if (e.Op.Length > 0) w.WriteString("op", e.Op);
            NonZero(w, "value", e.Value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>
    /// The stream: a stats event every interval and an oom event as soon as the cgroup's OOM-kill count goes up (read
    /// every 200 ms at most), until <paramref name="running"/> says the container is gone. The count is read once more
    /// after that: an OOM kill that ended the container (the killer took PID 1, or took it next) is still reported.
    /// </summary>
    public static void Stream(string id, ICgroup cgroup, TimeSpan interval, Func<bool> running, TextWriter output)
    {
        long ooms = cgroup.Stats().OomKills;
        var poll = interval < TimeSpan.FromMilliseconds(200) ? interval : TimeSpan.FromMilliseconds(200);
        var nextStats = DateTime.UtcNow;
        while (running())
        {
            var stats = cgroup.Stats();
            ooms = ReportOoms(id, ooms, stats.OomKills, output);
            if (DateTime.UtcNow >= nextStats)
            {
                output.WriteLine(StatsEvent(id, stats));
                nextStats = DateTime.UtcNow + interval;
            }
            output.Flush();
            Thread.Sleep(poll);
        }
        // The cgroup outlives the process until `delete`; if a delete has already removed it, there is nothing to read.
        long final;
        try { final = cgroup.Stats().OomKills; }
        catch (IOException) { return; }
        ReportOoms(id, ooms, final, output);
        output.Flush();
    }

    private static long ReportOoms(string id, long reported, long count, TextWriter output)
    {
        for (; reported < count; reported++) output.WriteLine(OomEvent(id));
        return reported;
    }

    /// <summary>A Go duration as runc's --interval takes it: "5s", "500ms", "1m30s", "1.5h" (units ns, us/µs, ms, s, m, h).</summary>
    public static TimeSpan ParseDuration(string text)
    {
        string s = text.Trim();
        if (s.Length == 0) throw new OciConfigException($"invalid duration \"{text}\"");
        double total = 0;
        int i = 0;
        while (i < s.Length)
        {
            int start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (i == start || !double.TryParse(s[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
                throw new OciConfigException($"invalid duration \"{text}\"");
            int unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            total += number * s[unitStart..i] switch
            {
                "ns" => 1e-6, "us" or "µs" => 1e-3, "ms" => 1, "s" => 1000, "m" => 60_000, "h" => 3_600_000,
                "" => throw new OciConfigException($"invalid duration \"{text}\": missing unit (e.g. 5s)"),
                var unit => throw new OciConfigException($"invalid duration \"{text}\": unknown unit \"{unit}\""),
            };
        }
        if (total <= 0) throw new OciConfigException($"invalid duration \"{text}\": must be positive");
        return TimeSpan.FromMilliseconds(total);
    }
}
