using MiniContainer.Explaining;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim;


/// <summary>
/// Root in a container is not root on the host: like Docker, we keep only a short list of capabilities
/// in the bounding set, so no program run inside can ever gain the others (mount, modules, raw I/O…).
/// --cap-add / --cap-drop adjust that list ("ALL" means every capability).
/// </summary>
public static class Capabilities
{
    /// <summary>prctl(PR_CAPBSET_DROP) for every capability not kept.</summary>
    public static void DropFromBoundingSet(HashSet<int> kept)
    {
        int last = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim());
        long t = Explain.Begin();   // one step for the whole loop: one prctl per capability
        for (int cap = 0; cap <= last; cap++)
            if (!kept.Contains(cap))
                Kernel.Prctl(Kernel.PR_CAPBSET_DROP, (ulong)cap, $"PR_CAPBSET_DROP {Name(cap)}");
        if (t != 0)
            Explain.Record(t, ExplainText.CapabilityDrop(
                Enumerable.Range(0, last + 1).Where(c => !kept.Contains(c)).Select(Name).ToList(),
                Enumerable.Range(0, last + 1).Where(kept.Contains).Select(Name).ToList()));
    }

    /// <summary>An OCI bundle's explicit sets, after the switch to the container's user (PR_SET_KEEPCAPS kept the
    /// permitted set across it): capset for effective, permitted and inheritable, then each ambient capability.
    /// execve then applies the kernel's rules to them, as it does for runc.</summary>
    public static void SetProcessSets(CapabilitySets sets)
    {
        Kernel.SetCapabilities(Mask(sets.Effective), Mask(sets.Permitted), Mask(sets.Inheritable));
        foreach (int cap in sets.Ambient) Kernel.RaiseAmbientCapability(cap);
    }

    /// <summary>After a switch away from root with PR_SET_KEEPCAPS the effective set is empty but the permitted one is
    /// not: make them equal again (installing a seccomp filter without no_new_privs needs CAP_SYS_ADMIN in effect).</summary>
    public static void RaiseEffectiveToPermitted()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapPrm:", StringComparison.Ordinal));
        ulong permitted = Convert.ToUInt64(line["CapPrm:".Length..].Trim(), 16);
        Kernel.SetCapabilities(permitted, permitted, 0);
    }

    private static ulong Mask(IEnumerable<int> caps) => caps.Aggregate(0UL, (m, c) => m | (1UL << c));

    private static string Name(int cap) => cap < CapabilitySet.Names.Length ? CapabilitySet.Names[cap] : cap.ToString();
}
