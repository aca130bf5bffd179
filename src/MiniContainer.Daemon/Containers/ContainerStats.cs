using System.Globalization;
using System.Text.Json.Serialization;
using MiniContainer.Cgroups;

namespace MiniContainer.Containers;

/// <summary>
/// One sample of GET /containers/{id}/stats in Docker's shape (moby's StatsResponse): snake_case names, CPU times in
/// nanoseconds, sizes in bytes. <c>precpu_stats</c> is the previous sample's <c>cpu_stats</c>, so a client computes the
/// CPU % from the difference of two readings (docker stats: Δcontainer / Δsystem × online CPUs × 100).
/// </summary>
public sealed record ContainerStatsSample
{
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("read")] public DateTimeOffset Read { get; init; } = DateTimeOffset.MinValue;
    [JsonPropertyName("preread")] public DateTimeOffset PreRead { get; init; } = DateTimeOffset.MinValue;
    [JsonPropertyName("pids_stats")] public PidsStats PidsStats { get; init; } = new();
    [JsonPropertyName("blkio_stats")] public BlkioStatsJson BlkioStats { get; init; } = new();
    [JsonPropertyName("num_procs")] public int NumProcs { get; init; }
    [JsonPropertyName("storage_stats")] public Dictionary<string, long> StorageStats { get; init; } = new();
    [JsonPropertyName("cpu_stats")] public CpuStats CpuStats { get; init; } = new();
    [JsonPropertyName("precpu_stats")] public CpuStats PreCpuStats { get; init; } = new();
    [JsonPropertyName("memory_stats")] public MemoryStats MemoryStats { get; init; } = new();
    /// <summary>Per interface of the container's network namespace (lo left out); omitted without one of its own.</summary>
    [JsonPropertyName("networks"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, NetworkStats>? Networks { get; init; }
}

public sealed record PidsStats
{
    [JsonPropertyName("current"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long Current { get; init; }
    [JsonPropertyName("limit"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Limit { get; init; }
}

public sealed record BlkioStatsJson
{
    [JsonPropertyName("io_service_bytes_recursive")] public List<BlkioStatEntry>? IoServiceBytesRecursive { get; init; }
    [JsonPropertyName("io_serviced_recursive")] public List<BlkioStatEntry>? IoServicedRecursive { get; init; }
    [JsonPropertyName("io_queue_recursive")] public List<BlkioStatEntry>? IoQueueRecursive { get; init; }
    [JsonPropertyName("io_service_time_recursive")] public List<BlkioStatEntry>? IoServiceTimeRecursive { get; init; }
    [JsonPropertyName("io_wait_time_recursive")] public List<BlkioStatEntry>? IoWaitTimeRecursive { get; init; }
    [JsonPropertyName("io_merged_recursive")] public List<BlkioStatEntry>? IoMergedRecursive { get; init; }
    [JsonPropertyName("io_time_recursive")] public List<BlkioStatEntry>? IoTimeRecursive { get; init; }
    [JsonPropertyName("sectors_recursive")] public List<BlkioStatEntry>? SectorsRecursive { get; init; }
}

public sealed record BlkioStatEntry(
    [property: JsonPropertyName("major")] long Major, [property: JsonPropertyName("minor")] long Minor,
    [property: JsonPropertyName("op")] string Op, [property: JsonPropertyName("value")] long Value);

public sealed record CpuStats
{
    [JsonPropertyName("cpu_usage")] public CpuUsage CpuUsage { get; init; } = new();
    [JsonPropertyName("system_cpu_usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long SystemCpuUsage { get; init; }
    [JsonPropertyName("online_cpus"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int OnlineCpus { get; init; }
    [JsonPropertyName("throttling_data")] public ThrottlingData ThrottlingData { get; init; } = new();
}

public sealed record CpuUsage
{
    [JsonPropertyName("total_usage")] public long TotalUsage { get; init; }
    [JsonPropertyName("usage_in_kernelmode")] public long UsageInKernelmode { get; init; }
    [JsonPropertyName("usage_in_usermode")] public long UsageInUsermode { get; init; }
}

public sealed record ThrottlingData
{
    [JsonPropertyName("periods")] public long Periods { get; init; }
    [JsonPropertyName("throttled_periods")] public long ThrottledPeriods { get; init; }
    [JsonPropertyName("throttled_time")] public long ThrottledTime { get; init; }
}

public sealed record MemoryStats
{
    [JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long Usage { get; init; }
    /// <summary>v1 only (memory.max_usage_in_bytes), as dockerd.</summary>
    [JsonPropertyName("max_usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? MaxUsage { get; init; }
    [JsonPropertyName("stats"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, long>? Stats { get; init; }
    [JsonPropertyName("failcnt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Failcnt { get; init; }
    [JsonPropertyName("limit"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long Limit { get; init; }
}

public sealed record NetworkStats
{
    [JsonPropertyName("rx_bytes")] public long RxBytes { get; init; }
    [JsonPropertyName("rx_packets")] public long RxPackets { get; init; }
    [JsonPropertyName("rx_errors")] public long RxErrors { get; init; }
    [JsonPropertyName("rx_dropped")] public long RxDropped { get; init; }
    [JsonPropertyName("tx_bytes")] public long TxBytes { get; init; }
    [JsonPropertyName("tx_packets")] public long TxPackets { get; init; }
    [JsonPropertyName("tx_errors")] public long TxErrors { get; init; }
    [JsonPropertyName("tx_dropped")] public long TxDropped { get; init; }
}

/// <summary>Turns a container's cgroup and network counters into <see cref="ContainerStatsSample"/>s.</summary>
public static class ContainerStatsReader
{
    /// <summary>The memory.stat keys dockerd reports on cgroup v2 (on v1 it passes memory.stat through whole).</summary>
    private static readonly string[] V2MemoryKeys =
    [
        "anon", "file", "kernel_stack", "slab", "sock", "shmem", "file_mapped", "file_dirty", "file_writeback", "anon_thp",
        "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable", "slab_reclaimable", "slab_unreclaimable",
        "pgfault", "pgmajfault", "workingset_refault", "workingset_activate", "workingset_nodereclaim", "pgrefill", "pgscan",
        "pgsteal", "pgactivate", "pgdeactivate", "pglazyfree", "pglazyfreed", "thp_fault_alloc", "thp_collapse_alloc",
    ];

    /// <summary>What dockerd answers for a container that is not running: only its name and ID, every number zero.</summary>
    public static ContainerStatsSample Empty(ContainerRecord r) => new() { Name = r.Name, Id = r.Id };

    /// <summary>A sample of a running container now; <paramref name="previous"/> supplies precpu_stats and preread.</summary>
    public static ContainerStatsSample Sample(ContainerRecord r, ContainerStatsSample? previous)
    {
        CgroupStats s = CgroupManager.Open(CgroupManager.NameFor(r.Id)).Stats();
        var (system, online) = HostCpu.Read(File.ReadAllText("/proc/stat"));
        return FromCgroup(r, s, CgroupFs.Host.Version, system, online, HostCpu.MemTotalBytes(), DateTimeOffset.UtcNow, previous,
            r.HostConfig.NetworkMode is "host" or "none" ? null : ReadNetDev(r.State.Pid));
    }

    /// <summary>The pure part of <see cref="Sample"/>: cgroup numbers in, Docker's units and shape out.</summary>
    public static ContainerStatsSample FromCgroup(ContainerRecord r, CgroupStats s, CgroupVersion version, long systemCpuNanos, int onlineCpus,
        long machineMemory, DateTimeOffset now, ContainerStatsSample? previous, Dictionary<string, NetworkStats>? networks)
    {
        Dictionary<string, long> memoryStat = version == CgroupVersion.V2
            ? V2MemoryKeys.Where(s.MemoryStat.ContainsKey).ToDictionary(k => k, k => s.MemoryStat[k])
            : new Dictionary<string, long>(s.MemoryStat);
        static List<BlkioStatEntry>? Entries(IReadOnlyList<BlkioEntry> e) =>
            e.Count == 0 ? null : e.Select(x => new BlkioStatEntry(x.Major, x.Minor, x.Op, x.Value)).ToList();
        return new ContainerStatsSample
        {
            Name = r.Name,
            Id = r.Id,
            Read = now,
            PreRead = previous?.Read ?? DateTimeOffset.MinValue,
            PidsStats = new PidsStats { Current = s.PidsCurrent, Limit = s.PidsLimit },
            BlkioStats = new BlkioStatsJson { IoServiceBytesRecursive = Entries(s.IoServiceBytes), IoServicedRecursive = Entries(s.IoServiced) },
            CpuStats = new CpuStats
            {
                CpuUsage = new CpuUsage
                {
                    TotalUsage = s.CpuUsageMicros * 1000, UsageInKernelmode = s.CpuSystemMicros * 1000, UsageInUsermode = s.CpuUserMicros * 1000,
                },
                SystemCpuUsage = systemCpuNanos,
                OnlineCpus = onlineCpus,
                ThrottlingData = new ThrottlingData
                {
                    Periods = s.CpuPeriods, ThrottledPeriods = s.CpuThrottledPeriods, ThrottledTime = s.CpuThrottledMicros * 1000,
                },
            },
            PreCpuStats = previous?.CpuStats ?? new CpuStats(),
            MemoryStats = new MemoryStats
            {
                Usage = s.MemoryUsageBytes,
                MaxUsage = version == CgroupVersion.V1 ? s.MemoryMaxUsageBytes : null,
                Stats = memoryStat,
                Failcnt = version == CgroupVersion.V1 ? s.MemoryFailCount : null,
                // No limit: the machine's memory, as dockerd reports it.
                Limit = s.MemoryLimitBytes is long limit && (machineMemory <= 0 || limit < machineMemory) ? limit : machineMemory,
            },
            Networks = networks,
        };
    }

    /// <summary>/proc/PID/net/dev: the counters of the network namespace PID lives in (its container's), lo left out.</summary>
    public static Dictionary<string, NetworkStats>? ReadNetDev(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/net/dev"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        return ParseNetDev(text);
    }

    /// <summary>"  eth0: rxbytes rxpackets rxerrs rxdrop fifo frame compressed multicast txbytes txpackets txerrs txdrop …".</summary>
    public static Dictionary<string, NetworkStats> ParseNetDev(string text)
    {
        var result = new Dictionary<string, NetworkStats>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n').Skip(2))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            string name = line[..colon].Trim();
            if (name == "lo") continue;
            long[] f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(x => long.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : 0).ToArray();
            if (f.Length < 12) continue;
            result[name] = new NetworkStats
            {
                RxBytes = f[0], RxPackets = f[1], RxErrors = f[2], RxDropped = f[3],
                TxBytes = f[8], TxPackets = f[9], TxErrors = f[10], TxDropped = f[11],
            };
        }
        return result;
    }
}

/// <summary>The host side of the CPU %: all CPU time spent since boot, and how many CPUs are online.</summary>
public static class HostCpu
{
    /// <summary>/proc/stat counts USER_HZ ticks (100 per second on every Linux ABI).</summary>
    private const long NanosPerTick = 1_000_000_000 / 100;

    /// <summary>From /proc/stat: the "cpu" line's total in ns (dockerd's system_cpu_usage) and the number of "cpuN" lines.</summary>
    public static (long SystemNanos, int OnlineCpus) Read(string procStat)
    {
        long total = 0;
        int cpus = 0;
        foreach (string line in procStat.Split('\n'))
        {
            if (line.StartsWith("cpu ", StringComparison.Ordinal))
                total = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(7)
                    .Sum(x => long.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : 0) * NanosPerTick;
            else if (line.StartsWith("cpu", StringComparison.Ordinal) && line.Length > 3 && char.IsAsciiDigit(line[3])) cpus++;
        }
        return (total, cpus);
    }

    /// <summary>MemTotal of /proc/meminfo in bytes (0 when unreadable).</summary>
    public static long MemTotalBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal) &&
                    long.TryParse(line["MemTotal:".Length..].Trim().Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb))
                    return kb * 1024;
        }
        catch (IOException) { }
        return 0;
    }
}
