using MiniContainer.Api;
using MiniContainer.Cgroups;
using MiniContainer.Runtime;

namespace MiniContainer.Containers;

/// <summary>
/// A container's HostConfig resource fields in the two forms the kernel side takes: the limits the shim applies to a
/// fresh cgroup at start (<see cref="SpecOf"/>), and the limits `update` applies to the live cgroup (<see cref="LimitsOf"/>).
/// Both come from the one record, so a restart keeps what an update set.
/// </summary>
public static class ContainerResources
{
    /// <summary>CFS quota in µs: --cpus (NanoCpus × period) or --cpu-quota; null when neither is set.</summary>
    private static long? Quota(HostConfig h) =>
        h.NanoCpus > 0 ? h.NanoCpus * Period(h) / 1_000_000_000 : h.CpuQuota > 0 ? h.CpuQuota : null;

    private static long Period(HostConfig h) => h.CpuPeriod > 0 ? h.CpuPeriod : ResourceLimits.DefaultCpuPeriodMicros;

    /// <summary>What the shim writes into the new cgroup at start, with the device rules the caller computed.</summary>
    public static ResourceLimitsSpec SpecOf(HostConfig h, List<string> deviceRules) => new()
    {
        DeviceRules = deviceRules,
        MemoryBytes = h.Memory > 0 ? h.Memory : null,
        MemorySwapBytes = h.MemorySwap != 0 ? h.MemorySwap : null,
        MemoryReservationBytes = h.MemoryReservation > 0 ? h.MemoryReservation : null,
        MemorySwappiness = h.MemorySwappiness,
        CpuQuotaMicros = Quota(h),
        CpuPeriodMicros = Period(h),
        CpuShares = h.CpuShares > 0 ? h.CpuShares : null,
        PidsLimit = h.PidsLimit is > 0 ? h.PidsLimit : null,
        CpusetCpus = h.CpusetCpus is { Length: > 0 } cpus ? cpus : null,
        CpusetMems = h.CpusetMems is { Length: > 0 } mems ? mems : null,
    };

    /// <summary>
    /// Every resource limit of the record, for rewriting a running container's cgroup after `update`. Unlike at
    /// start, an unlimited pids limit is written ("max") and an unset quota is written as "no quota", so that a
    /// limit an update lifts is lifted in the kernel too. Devices are left alone.
    /// </summary>
    public static ResourceLimits LimitsOf(HostConfig h) => new()
    {
        MemoryBytes = h.Memory > 0 ? h.Memory : null,
        MemorySwapBytes = h.MemorySwap != 0 ? h.MemorySwap : null,
        MemoryReservationBytes = h.MemoryReservation > 0 ? h.MemoryReservation : null,
        MemorySwappiness = h.MemorySwappiness,
        CpuQuotaMicros = Quota(h) ?? -1,
        CpuPeriodMicros = Period(h),
        CpuShares = h.CpuShares > 0 ? h.CpuShares : null,
        PidsLimit = h.PidsLimit is > 0 ? h.PidsLimit : h.PidsLimit is null ? null : -1,
        CpusetCpus = h.CpusetCpus is { Length: > 0 } cpus ? cpus : null,
        CpusetMems = h.CpusetMems is { Length: > 0 } mems ? mems : null,
    };

    /// <summary>
    /// Checks the fields this class adds to create (and update) with dockerd's words, and drops what the host cannot
    /// honour the way dockerd does: --memory-swappiness on cgroup v2, where no such setting exists, becomes null with
    /// dockerd's warning. Returns the warnings.
    /// </summary>
    public static List<string> Validate(HostConfig h, CgroupVersion? version = null)
    {
        var warnings = new List<string>();
        if (h.MemoryReservation < 0) throw new BadRequestException("Invalid value: memory reservation can not be negative");
        if (h.MemoryReservation > 0 && h.MemoryReservation < CreateRequest.MinimumMemory)
            throw new BadRequestException("Minimum memory reservation allowed is 6MB");
        if (h.Memory > 0 && h.MemoryReservation > 0 && h.Memory < h.MemoryReservation)
            throw new BadRequestException("Minimum memory limit can not be less than memory reservation limit, see usage");
        if (h.MemorySwappiness is < -1 or > 100)
            throw new BadRequestException($"Invalid value: {h.MemorySwappiness}, valid memory swappiness range is 0-100");
        CheckCpuset(h.CpusetCpus, "cpus", "CPUs", "cpuset.cpus");
        CheckCpuset(h.CpusetMems, "mems", "memory nodes", "cpuset.mems");
        if (h.MemorySwappiness is not null && (version ?? CgroupFs.Host.Version) == CgroupVersion.V2)
        {
            warnings.Add(CgroupWarnings.SwappinessUnsupported);
            h.MemorySwappiness = null;
        }
        return warnings;
    }

    /// <summary>"Invalid value 0-x for cpuset cpus", or "Requested CPUs are not available - requested 4, available: 0-1", as dockerd.</summary>
    private static void CheckCpuset(string value, string what, string plural, string file)
    {
        if (string.IsNullOrEmpty(value)) return;
        try { CpuSetList.Parse(value); }
        catch (ArgumentException) { throw new BadRequestException($"Invalid value {value} for cpuset {what}"); }
        string? available = AvailableSet(file);
        if (available is not null && !CpuSetList.IsSubset(value, available))
            throw new BadRequestException($"Requested {plural} are not available - requested {value}, available: {available}");
    }

    /// <summary>What the host offers containers: the cpuset root's list (v1 cpuset hierarchy, or v2 root's effective set).</summary>
    private static string? AvailableSet(string file)
    {
        CgroupFs fs = CgroupFs.Host;
        string? root = fs.Version == CgroupVersion.V2 ? fs.UnifiedMount : fs.MountOf("cpuset");
        if (root is null) return null;
        return (CgroupFile.TryRead(root, file + ".effective") ?? CgroupFile.TryRead(root, file))?.Trim() is { Length: > 0 } s ? s : null;
    }
}
