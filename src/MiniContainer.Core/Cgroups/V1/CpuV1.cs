namespace MiniContainer.Cgroups;

/// <summary>cgroup v1 cpu controller (CFS bandwidth and shares); may be co-mounted with cpuacct as "cpu,cpuacct".</summary>
public static class CpuV1
{
    public const string Period = "cpu.cfs_period_us";
    public const string Quota = "cpu.cfs_quota_us";
    public const string Shares = "cpu.shares";

    public static void Apply(string? dir, ResourceLimits limits, ICollection<string> warnings)
    {
        bool bandwidth = limits.CpuQuotaMicros is not null || limits.CpuPeriodMicros != ResourceLimits.DefaultCpuPeriodMicros;
        if (bandwidth)
        {
            if (dir is null || !CgroupFile.Exists(dir, Quota)) CgroupWarnings.Add(warnings, CgroupWarnings.CpuQuotaUnsupported);
            else
            {
                // Period before quota: the kernel checks quota/period as a ratio, against the period in force.
                CgroupFile.Write(dir, Period, limits.CpuPeriodMicros);
                if (limits.CpuQuotaMicros is long quota) CgroupFile.Write(dir, Quota, quota);  // -1 = unlimited
            }
        }
        if (limits.CpuShares is > 0)
        {
            if (dir is null || !CgroupFile.Exists(dir, Shares)) CgroupWarnings.Add(warnings, CgroupWarnings.CpuSharesUnsupported);
            else CgroupFile.Write(dir, Shares, limits.CpuShares.Value);  // the kernel clamps to 2..262144
        }
    }

    /// <summary>cpu.stat: nr_periods, nr_throttled, throttled_time (ns).</summary>
    public static CgroupStats Stats(string? dir, CgroupStats s)
    {
        if (dir is null) return s;
        Dictionary<string, long> stat = CgroupFile.ReadKeyed(dir, "cpu.stat");
        return s with
        {
            CpuPeriods = stat.GetValueOrDefault("nr_periods"),
            CpuThrottledPeriods = stat.GetValueOrDefault("nr_throttled"),
            CpuThrottledMicros = stat.GetValueOrDefault("throttled_time") / 1000,
        };
    }
}
