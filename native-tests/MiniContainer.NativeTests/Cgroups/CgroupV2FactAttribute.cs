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
