using System.Globalization;

namespace MiniContainer.Cgroups;

/// <summary>cgroup v2 cpu controller: cpu.max ("$QUOTA $PERIOD", "max" = unlimited) and cpu.weight (1..10000, default 100).</summary>
public static class CpuV2
{
    public const string Max = "cpu.max";
    public const string Weight = "cpu.weight";

    public static void Apply(string dir, ResourceLimits limits, ICollection<string> warnings)
    {
        bool bandwidth = limits.CpuQuotaMicros is not null || limits.CpuPeriodMicros != ResourceLimits.DefaultCpuPeriodMicros;
        if (bandwidth)
        {
            if (!CgroupFile.Exists(dir, Max)) CgroupWarnings.Add(warnings, CgroupWarnings.CpuQuotaUnsupported);
            else CgroupFile.Write(dir, Max, FormatMax(limits.CpuQuotaMicros, limits.CpuPeriodMicros));
        }
        if (limits.CpuShares is > 0)
        {
            if (!CgroupFile.Exists(dir, Weight)) CgroupWarnings.Add(warnings, CgroupWarnings.CpuSharesUnsupported);
            else CgroupFile.Write(dir, Weight, SharesToWeight(limits.CpuShares.Value));
        }
    }

    /// <summary>"150000 100000", or "max 100000" when the quota is unset or -1.</summary>
    public static string FormatMax(long? quota, long period) =>
        $"{(quota is null or -1 ? "max" : quota.Value.ToString(CultureInfo.InvariantCulture))} {period.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Docker's --cpu-shares (v1 cpu.shares, 2..262144, default 1024) as a v2 cpu.weight (1..10000, default 100),
    /// with the mapping crun (1.23+) and runc (1.3.2+, opencontainers/cgroups) use:
    /// <code>weight = ceil(10 ^ ((log2(shares)² + 125·log2(shares)) / 612 − 7/34))</code>
    /// a curve in log space through the three points that matter: 2 → 1, 1024 → 100 (default to default) and
    /// 262144 → 10000. The older linear formula, 1 + (shares − 2)·9999/262142, sent the default 1024 to 39, so a
    /// container that asked for "default" got less than its neighbours; we do not use it.
    /// </summary>
    public static long SharesToWeight(long shares)
    {
        if (shares <= 0) return 0;  // unset
        if (shares <= 2) return 1;
        if (shares >= 262144) return 10000;
        double l = Math.Log2(shares);
        double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
        return (long)Math.Ceiling(Math.Pow(10, exponent));
    }

    /// <summary>cpu.stat (present even without the cpu controller, which only adds the throttling lines).</summary>
    public static CgroupStats Stats(string dir, CgroupStats s)
    {
        Dictionary<string, long> stat = CgroupFile.ReadKeyed(dir, "cpu.stat");
        return s with
        {
            CpuUsageMicros = stat.GetValueOrDefault("usage_usec"),
            CpuUserMicros = stat.GetValueOrDefault("user_usec"),
            CpuSystemMicros = stat.GetValueOrDefault("system_usec"),
            CpuPeriods = stat.GetValueOrDefault("nr_periods"),
            CpuThrottledPeriods = stat.GetValueOrDefault("nr_throttled"),
            CpuThrottledMicros = stat.GetValueOrDefault("throttled_usec"),
        };
    }
}
