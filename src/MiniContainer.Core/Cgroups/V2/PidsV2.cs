using System.Globalization;

namespace MiniContainer.Cgroups;

/// <summary>cgroup v2 pids controller: pids.max ("max" = unlimited); fork/clone beyond it fails with EAGAIN.</summary>
public static class PidsV2
{
    public const string Max = "pids.max";

    public static void Apply(string dir, ResourceLimits limits, ICollection<string> warnings)
    {
        if (limits.PidsLimit is not long limit) return;
        if (!CgroupFile.Exists(dir, Max)) { CgroupWarnings.Add(warnings, CgroupWarnings.PidsUnsupported); return; }
        CgroupFile.Write(dir, Max, limit <= 0 ? "max" : limit.ToString(CultureInfo.InvariantCulture));
    }

    public static CgroupStats Stats(string dir, CgroupStats s) => s with
    {
        PidsCurrent = CgroupFile.TryReadLong(dir, "pids.current") ?? 0,
        PidsLimit = CgroupFile.TryReadLimit(dir, Max),
    };
}
