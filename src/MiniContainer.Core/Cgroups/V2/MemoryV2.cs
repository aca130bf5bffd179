using System.Globalization;

namespace MiniContainer.Cgroups;

/// <summary>cgroup v2 memory controller: memory.max, memory.swap.max, memory.events.</summary>
public static class MemoryV2
{
    public const string Max = "memory.max";
    /// <summary>Swap ALONE (not memory + swap as in v1 and Docker's --memory-swap). Present only with swap accounting.</summary>
    public const string SwapMax = "memory.swap.max";
    public const string Events = "memory.events";

    /// <summary>Best-effort protection: v2's counterpart of v1's soft limit, which runc writes for --memory-reservation.</summary>
    public const string Low = "memory.low";

    public static void Apply(string dir, ResourceLimits limits, ICollection<string> warnings)
    {
        ApplyLimits(dir, limits, warnings);
        if (limits.MemoryReservationBytes is long reservation and > 0)
        {
            if (!CgroupFile.Exists(dir, Low)) CgroupWarnings.Add(warnings, CgroupWarnings.ReservationUnsupported);
            else CgroupFile.Write(dir, Low, reservation);
        }
        // v2 has no per-cgroup swappiness: dockerd warns and drops the setting, and so do we.
        if (limits.MemorySwappiness is >= 0) CgroupWarnings.Add(warnings, CgroupWarnings.SwappinessUnsupported);
    }

    private static void ApplyLimits(string dir, ResourceLimits limits, ICollection<string> warnings)
    {
        if (!limits.HasMemory) return;
        if (!CgroupFile.Exists(dir, Max)) { CgroupWarnings.Add(warnings, CgroupWarnings.MemoryUnsupported); return; }
        CgroupFile.Write(dir, Max, limits.MemoryBytes!.Value);

        long swap = limits.EffectiveSwapOnly!.Value;  // Docker's total minus the memory; -1 = unlimited
        if (!CgroupFile.Exists(dir, SwapMax))
        {
            if (swap != -1) CgroupWarnings.Add(warnings, CgroupWarnings.SwapUnsupported);
            return;
        }
        CgroupFile.Write(dir, SwapMax, swap == -1 ? "max" : swap.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>memory.events "oom_kill N": processes the OOM killer killed in this cgroup or below (Linux 4.13+).</summary>
    public static bool OomKilled(string dir) => CgroupFile.ReadKeyed(dir, Events).GetValueOrDefault("oom_kill") > 0;

    public static CgroupStats Stats(string dir, CgroupStats s)
    {
        Dictionary<string, long> stat = CgroupFile.ReadKeyed(dir, "memory.stat");
        return s with
        {
            MemoryUsageBytes = CgroupFile.TryReadLong(dir, "memory.current") ?? 0,
            MemoryLimitBytes = CgroupFile.TryReadLimit(dir, Max),
            MemoryMaxUsageBytes = CgroupFile.TryReadLong(dir, "memory.peak"),
            MemoryInactiveFileBytes = stat.GetValueOrDefault("inactive_file"),
            MemoryStat = stat,
            OomKills = CgroupFile.ReadKeyed(dir, Events).GetValueOrDefault("oom_kill"),
        };
    }
}
