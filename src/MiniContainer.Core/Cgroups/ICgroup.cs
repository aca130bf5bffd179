namespace MiniContainer.Cgroups;

/// <summary>
/// One container's cgroup, in whichever cgroup version the host has. The shim owns it for the container's
/// whole life, in this order: Create → Apply → AddProcess(container pid) (on v2 the process is born in it instead:
/// clone3 with CLONE_INTO_CGROUP, see Launcher) → … → OomKilled (after the container's
/// PID 1 is reaped) → KillAll → Destroy.
/// </summary>
public interface ICgroup
{
    /// <summary>Path relative to each hierarchy's root, e.g. "minicontainer/&lt;container-id&gt;".</summary>
    string Name { get; }

    CgroupVersion Version { get; }

    /// <summary>The directories this cgroup lives in: one on v2, one per distinct hierarchy on v1.</summary>
    IReadOnlyList<string> Directories { get; }

    /// <summary>Limits the kernel could not enforce during the last Create/Apply (e.g. no swap accounting), worded like Docker's warnings.</summary>
    IReadOnlyList<string> Warnings { get; }

    /// <summary>mkdir in every hierarchy needed (idempotent). v2 also enables the controllers in the parents' cgroup.subtree_control.</summary>
    void Create();

    /// <summary>Writes the limits. A limit the kernel lacks is skipped and explained in <see cref="Warnings"/>; a write the kernel refuses throws <see cref="CgroupException"/>.</summary>
    void Apply(ResourceLimits limits);

    /// <summary>Moves a process (all its threads) into this cgroup, in every hierarchy. Its future children are born inside.</summary>
    void AddProcess(int pid);

    /// <summary>Every process in this cgroup and any cgroups below it (pids as this process sees them), sorted.</summary>
    IReadOnlyList<int> Processes();

    /// <summary>Did the kernel's OOM killer kill a process here? Read it before <see cref="Destroy"/>.</summary>
    bool OomKilled();

    /// <summary>SIGKILLs every process inside, without letting a fork bomb outrun it; returns when the cgroup is empty.</summary>
    void KillAll();

    /// <summary>Pause: stops every task where it stands (v1 freezer.state FROZEN, v2 cgroup.freeze 1) and returns once the
    /// kernel says all are stopped; throws CgroupException (and thaws again) when that takes longer than <paramref name="wait"/>.</summary>
    void Freeze(TimeSpan wait);

    /// <summary>Unpause: lets the tasks run again (v1 THAWED, v2 cgroup.freeze 0).</summary>
    void Thaw();

    /// <summary>Does the kernel report this cgroup frozen?</summary>
    bool IsFrozen();

    /// <summary>KillAll if anything is left, then removes the directories (children first). Idempotent; leaves nothing behind.</summary>
    void Destroy();

    CgroupStats Stats();
}
