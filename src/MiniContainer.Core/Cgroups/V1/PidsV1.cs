namespace MiniContainer.Cgroups;

/// <summary>cgroup v1 pids controller: pids.max caps how many tasks (processes and threads) may exist at once; fork/clone fails with EAGAIN beyond it.</summary>
public static class PidsV1
{
    public const string Max = "pids.max";

    public static void Apply(string? dir, ResourceLimits limits, ICollection<string> warnings)
    {
        if (limits.PidsLimit is not long limit) return;
        if (dir is null || !CgroupFile.Exists(dir, Max)) { CgroupWarnings.Add(warnings, CgroupWarnings.PidsUnsupported); return; }
        CgroupFile.Write(dir, Max, limit <= 0 ? "max" : limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public static CgroupStats Stats(string? dir, CgroupStats s) => dir is null ? s : s with
    {
        PidsCurrent = CgroupFile.TryReadLong(dir, "pids.current") ?? 0,
        PidsLimit = CgroupFile.TryReadLimit(dir, Max),
    };
}
