namespace MiniContainer.Cgroups;

/// <summary>A snapshot of what a cgroup has used, for `docker stats` and inspect. Times in µs, sizes in bytes.</summary>
public sealed record CgroupStats
{
    /// <summary>v1 memory.usage_in_bytes, v2 memory.current (includes page cache).</summary>
    public long MemoryUsageBytes { get; init; }
    /// <summary>null = unlimited.</summary>
    public long? MemoryLimitBytes { get; init; }
    /// <summary>High-water mark: v1 memory.max_usage_in_bytes, v2 memory.peak (kernel ≥ 5.19); null if the kernel has none.</summary>
    public long? MemoryMaxUsageBytes { get; init; }
    /// <summary>Inactive page cache (v1 total_inactive_file, v2 inactive_file): `docker stats` shows usage minus this.</summary>
    public long MemoryInactiveFileBytes { get; init; }
    /// <summary>How many times the OOM killer killed a process here.</summary>
    public long OomKills { get; init; }

    public long CpuUsageMicros { get; init; }
    public long CpuUserMicros { get; init; }
    public long CpuSystemMicros { get; init; }
    /// <summary>CFS periods that had runnable tasks, how many of them hit the quota, and the total time throttled.</summary>
    public long CpuPeriods { get; init; }
    public long CpuThrottledPeriods { get; init; }
    public long CpuThrottledMicros { get; init; }

    public long PidsCurrent { get; init; }
    /// <summary>null = unlimited.</summary>
    public long? PidsLimit { get; init; }
}
