namespace MiniContainer.Cgroups;

/// <summary>
/// cgroup v1 cpuset: cpuset.cpus and cpuset.mems, which CPUs and memory nodes the tasks may run on. A new cgroup
/// starts with both EMPTY and the kernel refuses to move any task in (ENOSPC), so each new level copies its parent's
/// values (as cgroup.clone_children would); --cpuset-cpus/--cpuset-mems then narrow the container's own.
/// </summary>
public static class CpusetV1
{
    public static void InheritFromParent(string parent, string dir)
    {
        foreach (string file in new[] { Cpuset.Cpus, Cpuset.Mems })
        {
            string? own = CgroupFile.TryRead(dir, file);
            if (own is null || own.Trim().Length > 0) continue;
            string? inherited = CgroupFile.TryRead(parent, file)?.Trim();
            if (!string.IsNullOrEmpty(inherited)) CgroupFile.Write(dir, file, inherited);
        }
    }
}
