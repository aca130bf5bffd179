namespace MiniContainer.Cgroups;

/// <summary>cgroup v1 memory controller: memory.limit_in_bytes, memory.memsw.limit_in_bytes, memory.oom_control.</summary>
public static class MemoryV1
{
    public const string Limit = "memory.limit_in_bytes";
    /// <summary>memory + swap. Only present with swap accounting (CONFIG_MEMCG_SWAP and not swapaccount=0).</summary>
    public const string MemSwLimit = "memory.memsw.limit_in_bytes";
    public const string OomControl = "memory.oom_control";

    public const string SoftLimit = "memory.soft_limit_in_bytes";
    public const string Swappiness = "memory.swappiness";

    public static void Apply(string? dir, ResourceLimits limits, ICollection<string> warnings)
    {
        ApplyLimits(dir, limits, warnings);
        if (limits.MemoryReservationBytes is long reservation and > 0)
        {
            if (dir is null || !CgroupFile.Exists(dir, SoftLimit)) CgroupWarnings.Add(warnings, CgroupWarnings.ReservationUnsupported);
            else CgroupFile.Write(dir, SoftLimit, reservation);
        }
        if (limits.MemorySwappiness is long swappiness and >= 0)
        {
            if (dir is null || !CgroupFile.Exists(dir, Swappiness)) CgroupWarnings.Add(warnings, CgroupWarnings.SwappinessUnsupported);
            else CgroupFile.Write(dir, Swappiness, swappiness);
        }
    }

    private static void ApplyLimits(string? dir, ResourceLimits limits, ICollection<string> warnings)
    {
        if (!limits.HasMemory) return;
        if (dir is null || !CgroupFile.Exists(dir, Limit)) { CgroupWarnings.Add(warnings, CgroupWarnings.MemoryUnsupported); return; }

        long memory = limits.MemoryBytes!.Value;
        long total = limits.EffectiveMemorySwapTotal!.Value;  // -1 = unlimited
        if (!CgroupFile.Exists(dir, MemSwLimit))
        {
            if (total != -1) CgroupWarnings.Add(warnings, CgroupWarnings.SwapUnsupported);
            CgroupFile.Write(dir, Limit, memory);
            return;
        }

        // Order matters. The kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every instant and
        // refuses (EINVAL) any single write that would break it. So when the new memory limit is above the current
        // memsw limit (raising both, as `docker update` may), memsw goes first; otherwise (a fresh cgroup, where both
        // are unlimited, or lowering) memory goes first. runc orders the writes the same way.
        long currentTotal = CgroupFile.TryReadLimit(dir, MemSwLimit) ?? long.MaxValue;
        if (total == -1 || memory > currentTotal)
        {
            CgroupFile.Write(dir, MemSwLimit, total);
            CgroupFile.Write(dir, Limit, memory);
        }
        else
        {
            CgroupFile.Write(dir, Limit, memory);
            CgroupFile.Write(dir, MemSwLimit, total);
        }
    }

    /// <summary>
    /// memory.oom_control has "oom_kill N" since Linux 4.13: the number of processes the OOM killer killed here.
    /// Older kernels only say "under_oom 1" while the group is stuck at its limit with the killer disabled; we use
    /// that as the fallback. memory.failcnt is NOT used: it counts every time usage touched the limit, which happens
    /// in normal page-cache reclaim without anything being killed.
    /// </summary>
    public static bool OomKilled(string? dir)
    {
        if (dir is null) return false;
        Dictionary<string, long> oom = CgroupFile.ReadKeyed(dir, OomControl);
        if (oom.TryGetValue("oom_kill", out long kills)) return kills > 0;
        return oom.TryGetValue("under_oom", out long under) && under > 0;
    }

    public static CgroupStats Stats(string? dir, CgroupStats s)
    {
        if (dir is null) return s;
        Dictionary<string, long> stat = CgroupFile.ReadKeyed(dir, "memory.stat");
        return s with
        {
            MemoryUsageBytes = CgroupFile.TryReadLong(dir, "memory.usage_in_bytes") ?? 0,
            MemoryLimitBytes = CgroupFile.TryReadLimit(dir, Limit),
            MemoryMaxUsageBytes = CgroupFile.TryReadLong(dir, "memory.max_usage_in_bytes"),
            MemoryInactiveFileBytes = stat.GetValueOrDefault("total_inactive_file"),
            MemoryStat = stat,
            MemoryFailCount = CgroupFile.TryReadLong(dir, "memory.failcnt") ?? 0,
            OomKills = CgroupFile.ReadKeyed(dir, OomControl).GetValueOrDefault("oom_kill"),
        };
    }
}
