namespace MiniContainer.Cgroups;

/// <summary>What we tell the user when the kernel cannot enforce a limit: Docker's own warnings, word for word where it has one.</summary>
public static class CgroupWarnings
{
    public const string MemoryUnsupported =
        "Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.";
    public const string SwapUnsupported =
        "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.";
    public const string CpuQuotaUnsupported =
        "Your kernel does not support CPU CFS scheduler or the cgroup is not mounted. CPU quota and period discarded.";
    public const string CpuSharesUnsupported =
        "Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.";
    public const string PidsUnsupported =
        "Your kernel does not support pids limit capabilities or the cgroup is not mounted. PIDs limit discarded.";

    public const string SwappinessUnsupported =
        "Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.";
    public const string ReservationUnsupported =
        "Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.";
    public const string CpusetUnsupported =
        "Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.";

    internal static void Add(ICollection<string> warnings, string warning)
    {
        if (!warnings.Contains(warning)) warnings.Add(warning);
    }
}
