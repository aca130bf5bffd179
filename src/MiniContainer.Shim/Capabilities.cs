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
        for (int cap = 0; cap <= last; cap++)
            if (!kept.Contains(cap))
                Kernel.Prctl(Kernel.PR_CAPBSET_DROP, (ulong)cap, $"PR_CAPBSET_DROP {(cap < CapabilitySet.Names.Length ? CapabilitySet.Names[cap] : cap.ToString())}");
    }
}
