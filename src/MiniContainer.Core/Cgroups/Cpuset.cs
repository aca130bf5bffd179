namespace MiniContainer.Cgroups;

/// <summary>
/// The cpuset controller's two limits, the same files with the same meaning on v1 and v2: cpuset.cpus (which CPUs the
/// tasks may run on) and cpuset.mems (which memory nodes they may allocate from). The kernel refuses a value outside the
/// parent's set (EINVAL), which arrives as a CgroupException.
/// </summary>
public static class Cpuset
{
    public const string Cpus = "cpuset.cpus", Mems = "cpuset.mems";

    public static void Apply(string? dir, ResourceLimits limits, ICollection<string> warnings)
    {
        if (limits.CpusetCpus is not { Length: > 0 } && limits.CpusetMems is not { Length: > 0 }) return;
        if (dir is null || !CgroupFile.Exists(dir, Cpus)) { CgroupWarnings.Add(warnings, CgroupWarnings.CpusetUnsupported); return; }
        if (limits.CpusetCpus is { Length: > 0 } cpus) CgroupFile.Write(dir, Cpus, cpus);
        if (limits.CpusetMems is { Length: > 0 } mems) CgroupFile.Write(dir, Mems, mems);
    }

    /// <summary>The CPUs a cgroup's tasks may use: v2's effective set when the kernel has it, else cpuset.cpus.</summary>
    public static string? EffectiveCpus(string? dir) => dir is null ? null
        : (CgroupFile.TryRead(dir, "cpuset.cpus.effective") ?? CgroupFile.TryRead(dir, Cpus))?.Trim();
}
