using MiniContainer.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Cgroups;

/// <summary>`rm -f` of a container whose last task is dying: the shim removes the cgroup as soon as it has reaped
/// the task, possibly between our freeze and our thaw. (Seen: "failed to write THAWED … Could not find a part of the path".)</summary>
public class KillUntilEmptyTests
{
    // Pids far above pid_max: the kill finds no such process, and nothing real is signalled.
    private static readonly IReadOnlyList<int> Dying = new[] { int.MaxValue - 1 };

    [Fact]
    public void A_cgroup_removed_between_the_freeze_and_the_thaw_is_not_an_error()
    {
        bool removed = false;
        CgroupTree.KillUntilEmpty("mc-test", () => removed ? Array.Empty<int>() : Dying,
            freeze: () => true,
            thaw: () => { removed = true; throw new CgroupException("failed to write \"THAWED\": Could not find a part of the path"); },
            TimeSpan.FromSeconds(2));
        Assert.True(removed);
    }

    [Fact]
    public void A_cgroup_removed_before_the_freeze_is_not_an_error()
    {
        int calls = 0;
        CgroupTree.KillUntilEmpty("mc-test", () => calls++ == 0 ? Dying : Array.Empty<int>(),
            freeze: () => throw new CgroupException("failed to write \"FROZEN\": Could not find a part of the path"),
            thaw: () => throw new CgroupException("failed to write \"THAWED\": Could not find a part of the path"),
            TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void A_thaw_that_fails_while_tasks_remain_still_fails()
    {
        Assert.Throws<CgroupException>(() => CgroupTree.KillUntilEmpty("mc-test", () => Dying,
            freeze: () => true,
            thaw: () => throw new CgroupException("failed to write \"THAWED\": permission denied"),
            TimeSpan.FromSeconds(2)));
    }
}
