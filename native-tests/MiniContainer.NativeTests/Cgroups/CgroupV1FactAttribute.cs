using Xunit;

namespace MiniContainer.NativeTests.Cgroups;

/// <summary>
/// A test of what only a cgroup v1 (or hybrid) host does, such as the warm shim, whose spare cgroup is renamed to its
/// container's (v2 refuses such a rename, and there PID 1 is born in its cgroup instead): reported as skipped, with
/// the reason, on a pure v2 host.
/// </summary>
public sealed class CgroupV1FactAttribute : FactAttribute
{
    public CgroupV1FactAttribute()
    {
        if (MiniContainer.Cgroups.CgroupFs.Host.Version == MiniContainer.Cgroups.CgroupVersion.V2)
            Skip = "needs a cgroup v1 or hybrid host (this one is pure v2, where the daemon keeps no warm shim)";
    }
}
