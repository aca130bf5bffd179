using System.Diagnostics;

namespace MiniContainer.Cgroups;

/// <summary>
/// cgroup v2 core files for stopping a cgroup: cgroup.kill (Linux 5.14+: SIGKILL to everything in the subtree,
/// atomically with respect to fork) and cgroup.freeze (Linux 5.2+: "1" freezes, cgroup.events says "frozen 1" when done).
/// </summary>
public static class FreezerV2
{
    public const string Kill = "cgroup.kill";
    public const string Freeze = "cgroup.freeze";
    public const string Events = "cgroup.events";

    public static bool HasKill(string dir) => CgroupFile.Exists(dir, Kill);
    public static bool HasFreeze(string dir) => CgroupFile.Exists(dir, Freeze);

    /// <summary>Writes 1 to cgroup.kill: the kernel SIGKILLs every process in the subtree, including ones mid-fork.</summary>
    public static void KillEverything(string dir) => CgroupFile.Write(dir, Kill, "1");

    /// <summary>Writes 1 to cgroup.freeze and waits (bounded) for "frozen 1" in cgroup.events.</summary>
    public static bool FreezeAndWait(string dir, TimeSpan wait)
    {
        CgroupFile.Write(dir, Freeze, "1");
        var clock = Stopwatch.StartNew();
        while (CgroupFile.ReadKeyed(dir, Events).GetValueOrDefault("frozen") != 1)
        {
            if (clock.Elapsed > wait) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    public static void Thaw(string dir) => CgroupFile.Write(dir, Freeze, "0");
}
