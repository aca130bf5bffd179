namespace MiniContainer.Cgroups;

/// <summary>
/// Which cgroup interface the host offers (docs/design.md §3).
/// V2: /sys/fs/cgroup is one unified cgroup2 hierarchy (most hosts today).
/// V1: each controller is its own hierarchy under /sys/fs/cgroup/&lt;controller&gt; ("legacy"), possibly with an
/// extra controller-less cgroup2 mount at /sys/fs/cgroup/unified ("hybrid", as on the machines we build on).
/// </summary>
public enum CgroupVersion
{
    V1 = 1,
    V2 = 2,
}
