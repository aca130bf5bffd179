namespace MiniContainer.Cgroups;

/// <summary>
/// The limits `docker run` accepts, already in kernel units (bytes, microseconds). Parsing "512m" or "--cpus 1.5"
/// is the CLI's job. A null (or 0) field means "not set": Apply leaves the kernel's value alone, which on a fresh
/// cgroup is "unlimited".
/// </summary>
public sealed record ResourceLimits
{
    /// <summary>--memory / -m, in bytes.</summary>
    public long? MemoryBytes { get; init; }

    /// <summary>
    /// --memory-swap with Docker's meaning: memory + swap TOTAL in bytes. -1 = unlimited swap.
    /// null (or 0) with MemoryBytes set = Docker's default, twice the memory (i.e. as much swap as memory).
    /// Equal to MemoryBytes = no swap at all.
    /// </summary>
    public long? MemorySwapBytes { get; init; }

    /// <summary>CFS quota per period, in µs: --cpus 1.5 → 150000 with the default period. -1 = unlimited.</summary>
    public long? CpuQuotaMicros { get; init; }

    /// <summary>CFS period in µs (--cpu-period), 1000..1000000; Docker's default is 100 ms.</summary>
    public long CpuPeriodMicros { get; init; } = DefaultCpuPeriodMicros;

    /// <summary>--cpu-shares: relative weight, 2..262144, default 1024. v2 converts it to cpu.weight (see CpuV2.SharesToWeight).</summary>
    public long? CpuShares { get; init; }

    /// <summary>--memory-reservation, in bytes: a soft limit the kernel reclaims down to under memory pressure
    /// (v1 memory.soft_limit_in_bytes, v2 memory.low). null (or 0) = leave alone.</summary>
    public long? MemoryReservationBytes { get; init; }

    /// <summary>--memory-swappiness 0..100 (v1 memory.swappiness). v2 has no such file: Apply warns and skips it, as dockerd does.</summary>
    public long? MemorySwappiness { get; init; }

    /// <summary>--cpuset-cpus / --cpuset-mems: the CPUs ("0-2,4") and memory nodes the tasks may use. null = inherit the parent's.</summary>
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }

    /// <summary>--pids-limit: most tasks (processes + threads) at once. null = leave alone, &lt;= 0 = unlimited.</summary>
    public long? PidsLimit { get; init; }

    /// <summary>
    /// Device access, as device cgroup rules applied in order to a fresh cgroup (see DeviceRuleSet and
    /// DockerDeviceRules.For). null = the device controller is left alone (everything allowed).
    /// </summary>
    public IReadOnlyList<DeviceRule>? DeviceRules { get; init; }

    public const long DefaultCpuPeriodMicros = 100_000;
    /// <summary>Docker refuses less than 6 MB: below that the container cannot even start its init.</summary>
    public const long MinimumMemoryBytes = 6 * 1024 * 1024;

    /// <summary>--cpus N: quota = N × period (Docker: NanoCPUs × period / 1e9).</summary>
    public static long QuotaForCpus(double cpus, long periodMicros = DefaultCpuPeriodMicros) =>
        (long)Math.Round(cpus * periodMicros);

    /// <summary>These limits with --cpus applied.</summary>
    public ResourceLimits WithCpus(double cpus) => this with { CpuQuotaMicros = QuotaForCpus(cpus, CpuPeriodMicros) };

    internal bool HasMemory => MemoryBytes is > 0;

    /// <summary>
    /// The memory+swap total the kernel should enforce, following Docker: null when no memory limit is set,
    /// -1 for unlimited swap, 2 × memory when --memory-swap is not given, else the value given.
    /// </summary>
    public long? EffectiveMemorySwapTotal => !HasMemory ? null
        : MemorySwapBytes is null or 0 ? MemoryBytes * 2
        : MemorySwapBytes == -1 ? -1
        : MemorySwapBytes;

    /// <summary>The swap part alone (what cgroup v2's memory.swap.max wants): total − memory; -1 = unlimited; null = not set.</summary>
    public long? EffectiveSwapOnly => EffectiveMemorySwapTotal switch
    {
        null => null,
        -1 => -1,
        long total => total - MemoryBytes!.Value,
    };

    /// <summary>Refuses what Docker refuses, with Docker's words. Throws ArgumentException.</summary>
    public void Validate()
    {
        if (MemoryBytes is < 0) throw new ArgumentException("Invalid value: memory limit can not be negative");
        if (HasMemory && MemoryBytes < MinimumMemoryBytes) throw new ArgumentException("Minimum memory limit allowed is 6MB");
        if (!HasMemory && MemorySwapBytes is > 0)
            throw new ArgumentException("You should always set the Memory limit when using Memoryswap limit, see usage");
        if (HasMemory && MemorySwapBytes is > 0 && MemorySwapBytes < MemoryBytes)
            throw new ArgumentException("Minimum memoryswap limit should be larger than memory limit, see usage");
        if (MemorySwapBytes is < -1) throw new ArgumentException("Invalid value: memory-swap must be -1 (unlimited) or a size");
        if (CpuPeriodMicros is < 1000 or > 1_000_000)
            throw new ArgumentException("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
        if (CpuQuotaMicros is > 0 and < 1000) throw new ArgumentException("CPU cfs quota can not be less than 1ms (i.e. 1000)");
        if (CpuQuotaMicros is 0 or < -1) throw new ArgumentException("Invalid value: CPU cfs quota must be -1 (unlimited) or at least 1000");
        if (CpuShares is < 0) throw new ArgumentException("Invalid value: cpu shares can not be negative");
        if (MemoryReservationBytes is < 0) throw new ArgumentException("Invalid value: memory reservation can not be negative");
        if (HasMemory && MemoryReservationBytes is > 0 && MemoryBytes < MemoryReservationBytes)
            throw new ArgumentException("Minimum memory limit can not be less than memory reservation limit, see usage");
        if (MemorySwappiness is < -1 or > 100)
            throw new ArgumentException($"Invalid value: {MemorySwappiness}, valid memory swappiness range is 0-100");
    }
}
