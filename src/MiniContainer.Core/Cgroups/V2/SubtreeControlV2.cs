namespace MiniContainer.Cgroups;

/// <summary>
/// cgroup v2 delegation: a controller's files (memory.max, cpu.max…) appear in a cgroup only when its PARENT lists
/// the controller in cgroup.subtree_control, and a parent may enable only what its own cgroup.controllers offers.
/// So before creating "minicontainer/&lt;id&gt;" we enable our controllers top-down: in the root, then in "minicontainer".
/// </summary>
public static class SubtreeControlV2
{
    public const string Controllers = "cgroup.controllers";
    public const string SubtreeControl = "cgroup.subtree_control";

    /// <summary>The controllers a container needs (cpuset for --cpuset-cpus); those the kernel does not offer are skipped.</summary>
    public static readonly IReadOnlyList<string> Wanted = ["cpu", "cpuset", "io", "memory", "pids"];

    /// <summary>Enables those of <paramref name="wanted"/> that <paramref name="dir"/> offers and has not enabled yet, in one write.</summary>
    public static void Enable(string dir, IEnumerable<string> wanted)
    {
        HashSet<string>? available = CgroupFile.TryReadWords(dir, Controllers);
        if (available is null) return;
        HashSet<string> enabled = CgroupFile.TryReadWords(dir, SubtreeControl) ?? [];
        string[] missing = wanted.Where(c => available.Contains(c) && !enabled.Contains(c)).ToArray();
        if (missing.Length == 0) return;
        try
        {
            // One write for all: the kernel applies the whole list or none of it.
            CgroupFile.Write(dir, SubtreeControl, string.Join(' ', missing.Select(c => "+" + c)));
        }
        catch (CgroupException e)
        {
            throw new CgroupException(
                $"cannot enable the {string.Join(", ", missing)} controllers for the cgroups below {dir}: {e.InnerException?.Message}. " +
                "A cgroup v2 group that holds processes itself cannot hand controllers down (the \"no internal processes\" rule): " +
                $"move the processes listed in {Path.Combine(dir, "cgroup.procs")} into a child cgroup first (as Docker-in-Docker does).", e);
        }
    }
}
