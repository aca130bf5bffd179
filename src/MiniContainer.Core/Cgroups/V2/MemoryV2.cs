using System.Globalization;

namespace MiniContainer.Cgroups;

/// <summary>cgroup v2 memory controller: memory.max, memory.swap.max, memory.events.</summary>
public static class MemoryV2
{
    public const string Max = "memory.max";
    /// <summary>Swap ALONE (not memory + swap as in v1 and Docker's --memory-swap). Present only with swap accounting.</summary>
    public const string SwapMax = "memory.swap.max";
    public const string Events = "memory.events";

    public static void Apply(string dir, ResourceLimits limits, ICollection<string> warnings)
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

    public static CgroupStats Stats(string dir, CgroupStats s) => s with
    {
        MemoryUsageBytes = CgroupFile.TryReadLong(dir, "memory.current") ?? 0,
        MemoryLimitBytes = CgroupFile.TryReadLimit(dir, Max),
        MemoryMaxUsageBytes = CgroupFile.TryReadLong(dir, "memory.peak"),
        MemoryInactiveFileBytes = CgroupFile.ReadKeyed(dir, "memory.stat").GetValueOrDefault("inactive_file"),
        OomKills = CgroupFile.ReadKeyed(dir, Events).GetValueOrDefault("oom_kill"),
    };
}
