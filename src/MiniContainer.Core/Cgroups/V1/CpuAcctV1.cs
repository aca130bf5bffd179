namespace MiniContainer.Cgroups;

/// <summary>cgroup v1 cpuacct controller: nothing to limit, only CPU time used (for `docker stats`).</summary>
public static class CpuAcctV1
{
    /// <summary>cpuacct.stat counts USER_HZ ticks, which is 100 per second on every Linux ABI.</summary>
    private const long MicrosPerTick = 1_000_000 / 100;

    /// <summary>cpuacct.usage, cpuacct.usage_user and cpuacct.usage_sys are in ns (the last two since Linux 4.7; cpuacct.stat before).</summary>
    public static CgroupStats Stats(string? dir, CgroupStats s)
    {
        if (dir is null) return s;
        long? user = CgroupFile.TryReadLong(dir, "cpuacct.usage_user") / 1000;
        long? system = CgroupFile.TryReadLong(dir, "cpuacct.usage_sys") / 1000;
        if (user is null || system is null)
        {
            Dictionary<string, long> ticks = CgroupFile.ReadKeyed(dir, "cpuacct.stat");
            user = ticks.GetValueOrDefault("user") * MicrosPerTick;
            system = ticks.GetValueOrDefault("system") * MicrosPerTick;
        }
        return s with
        {
            CpuUsageMicros = (CgroupFile.TryReadLong(dir, "cpuacct.usage") ?? 0) / 1000,
            CpuUserMicros = user.Value,
            CpuSystemMicros = system.Value,
        };
    }
}
