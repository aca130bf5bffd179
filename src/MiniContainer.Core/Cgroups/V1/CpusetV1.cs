namespace MiniContainer.Cgroups;

/// <summary>
/// cgroup v1 cpuset. We put no limits here and do not join the cpuset hierarchy on its own, but if cpuset is
/// co-mounted with a controller we use, a new cgroup starts with EMPTY cpuset.cpus/cpuset.mems and the kernel
/// refuses to move any task in (ENOSPC). So each new level copies its parent's values, as cgroup.clone_children would.
/// </summary>
public static class CpusetV1
{
    public static void InheritFromParent(string parent, string dir)
    {
        foreach (string file in new[] { "cpuset.cpus", "cpuset.mems" })
        {
            string? own = CgroupFile.TryRead(dir, file);
            if (own is null || own.Trim().Length > 0) continue;
            string? inherited = CgroupFile.TryRead(parent, file)?.Trim();
            if (!string.IsNullOrEmpty(inherited)) CgroupFile.Write(dir, file, inherited);
        }
    }
}
