using Xunit;

namespace MiniContainer.NativeTests.Cgroups;

/// <summary>
/// A test of cgroup v2 files that only a pure v2 host has (/sys/fs/cgroup is cgroup2 with controllers): reported as
/// skipped, with the reason, on a hybrid or v1 host. scripts/vm-test.sh runs them in a VM whose kernel has only v2.
/// </summary>
public sealed class CgroupV2FactAttribute : FactAttribute
{
    public CgroupV2FactAttribute()
    {
        if (!Support.CgroupV2)
            Skip = "needs a pure cgroup v2 host (this one mounts cgroup v1 at /sys/fs/cgroup); scripts/vm-test.sh runs it in a v2-only VM";
    }
}

/// <summary>
/// A test of a hybrid host's empty unified mount (cgroup v1 controllers, cgroup2 without them): reported as skipped,
/// with the reason, where there is none — in the VM lane, whose pure v2 host the other tests cover.
/// </summary>
public sealed class HybridCgroupFactAttribute : FactAttribute
{
    public HybridCgroupFactAttribute()
    {
        if (MiniContainer.Cgroups.CgroupFs.Host.Version == MiniContainer.Cgroups.CgroupVersion.V2 || MiniContainer.Cgroups.CgroupFs.Host.UnifiedMount is null)
            Skip = "needs a hybrid host (cgroup v1 controllers beside an empty cgroup2 mount); the pure v2 path has its own tests";
    }
}
