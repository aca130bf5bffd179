using System.Diagnostics;

namespace MiniContainer.Cgroups;

/// <summary>
/// cgroup v1 freezer: freezer.state FROZEN stops every task in the cgroup (and below) where it stands, so none
/// can fork while we read the pid list and kill it. The state reads FREEZING until every task has stopped.
/// </summary>
public static class FreezerV1
{
    public const string State = "freezer.state";

    /// <summary>Writes FROZEN and waits (bounded) until the kernel reports FROZEN. False if it is still FREEZING (e.g. a task in uninterruptible sleep).</summary>
    public static bool Freeze(string dir, TimeSpan wait)
    {
        CgroupFile.Write(dir, State, "FROZEN");
        var clock = Stopwatch.StartNew();
        while (CgroupFile.TryRead(dir, State)?.Trim() != "FROZEN")
        {
            if (clock.Elapsed > wait) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    public static void Thaw(string dir) => CgroupFile.Write(dir, State, "THAWED");
}
