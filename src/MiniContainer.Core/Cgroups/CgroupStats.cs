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
    /// <summary>memory.stat as the kernel wrote it (v1: cache, rss, total_*…; v2: anon, file, inactive_file…), the
    /// memory_stats.stats that dockerd passes through.</summary>
    public IReadOnlyDictionary<string, long> MemoryStat { get; init; } = new Dictionary<string, long>();
    /// <summary>v1 memory.failcnt: how often usage hit the limit (v2 has none).</summary>
    public long MemoryFailCount { get; init; }
    /// <summary>How many times the OOM killer killed a process here.</summary>
    public long OomKills { get; init; }

    public long CpuUsageMicros { get; init; }
    public long CpuUserMicros { get; init; }
    public long CpuSystemMicros { get; init; }
    /// <summary>CFS periods that had runnable tasks, how many of them hit the quota, and the total time throttled.</summary>
    public long CpuPeriods { get; init; }
    public long CpuThrottledPeriods { get; init; }
    public long CpuThrottledMicros { get; init; }

    /// <summary>Bytes read and written per block device (v1 blkio.throttle.io_service_bytes_recursive, v2 io.stat).</summary>
    public IReadOnlyList<BlkioEntry> IoServiceBytes { get; init; } = [];
    /// <summary>Read and write operations per block device (v1 blkio.throttle.io_serviced_recursive, v2 io.stat rios/wios).</summary>
    public IReadOnlyList<BlkioEntry> IoServiced { get; init; } = [];

    /// <summary>The CPUs the tasks may run on (cpuset.cpus.effective / cpuset.cpus), e.g. "0-1"; null without cpuset.</summary>
    public string? CpusetCpus { get; init; }

    public long PidsCurrent { get; init; }
    /// <summary>null = unlimited.</summary>
    public long? PidsLimit { get; init; }
}

/// <summary>One line of a block-I/O counter: device numbers, the operation as dockerd names it ("read", "write"…; v1
/// capitalises them, "Read"), and the count.</summary>
public sealed record BlkioEntry(long Major, long Minor, string Op, long Value);
