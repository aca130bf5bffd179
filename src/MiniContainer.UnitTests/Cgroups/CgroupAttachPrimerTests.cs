using MiniContainer.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Cgroups;

public class CgroupAttachPrimerTests
{
    [Fact]
    public void On_v2_it_is_the_unified_cgroup_the_process_is_in()
    {
        var fs = CgroupFs.V2("/sys/fs/cgroup");
        Assert.Equal("/sys/fs/cgroup/system.slice/minicontainerd.service/cgroup.procs",
            CgroupAttachPrimer.OwnProcsFile(fs, "0::/system.slice/minicontainerd.service\n"));
        Assert.Equal("/sys/fs/cgroup/cgroup.procs", CgroupAttachPrimer.OwnProcsFile(fs, "0::/\n"));
    }

    [Fact]
    public void On_v1_it_is_the_pids_hierarchy_whatever_else_is_mounted_with_it()
    {
        var fs = CgroupFs.V1Layout("/sys/fs/cgroup", "memory", "cpu,cpuacct", "pids", "cpuset");
        string self = "12:cpuset:/\n9:pids:/user.slice/session-1.scope\n4:memory:/user.slice\n1:name=systemd:/user.slice\n0::/user.slice\n";
        Assert.Equal("/sys/fs/cgroup/pids/user.slice/session-1.scope/cgroup.procs", CgroupAttachPrimer.OwnProcsFile(fs, self));
    }

    [Fact]
    public void Without_a_pids_hierarchy_on_v1_there_is_nothing_to_prime()
    {
        var fs = CgroupFs.V1Layout("/sys/fs/cgroup", "memory", "cpuset");
        Assert.Null(CgroupAttachPrimer.OwnProcsFile(fs, "12:cpuset:/\n4:memory:/user.slice\n"));
    }

    [Fact]
    public void A_lease_is_over_when_its_holder_ends_it_or_by_itself_after_the_longest_hold()
    {
        var lease = new CgroupAttachPrimer.Lease();
        long now = Environment.TickCount64;
        Assert.False(lease.IsOver(now));
        Assert.True(lease.IsOver(now + (long)CgroupAttachPrimer.MaxHold.TotalMilliseconds + 1));   // a create never started
        lease.Dispose();
        Assert.True(lease.IsOver(now));
        lease.Dispose();   // the start's and the create's owner may both end it
        Assert.True(lease.IsOver(now));
    }
}
