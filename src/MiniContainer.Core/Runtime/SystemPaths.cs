namespace MiniContainer.Runtime;

/// <summary>
/// The parts of /proc and /sys a container must not see or change, as Docker's defaults have them.
/// procfs and sysfs are not namespaced: /proc/kcore is the host's memory, /proc/sysrq-trigger reboots the
/// host, /sys/firmware holds the host's ACPI tables and EFI variables, and powercap's energy counters
/// leak what other tenants compute (the PLATYPUS side channel). The init stage covers each masked file with
/// /dev/null and each masked directory with an empty read-only tmpfs, and re-mounts the read-only ones
/// read-only. --privileged and --security-opt systempaths=unconfined turn both lists off, as in Docker.
/// </summary>
public static class SystemPaths
{
    /// <summary>Hidden: a file reads as empty, a directory as an empty read-only directory.</summary>
    public static readonly string[] Masked =
    {
        "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
        "/sys/devices/virtual/powercap", "/sys/firmware",
    };

    /// <summary>Visible but read-only.</summary>
    public static readonly string[] ReadOnly = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" };

    /// <summary>What the container gets: nothing when privileged or unconfined; otherwise the masked list plus each
    /// CPU's thermal_throttle directory (its counters are another side channel) found under <paramref name="cpuDir"/>.</summary>
    public static (List<string> Masked, List<string> ReadOnly) For(bool privileged, bool unconfined, string cpuDir = "/sys/devices/system/cpu")
    {
        if (privileged || unconfined) return (new List<string>(), new List<string>());
        var masked = Masked.ToList();
        if (Directory.Exists(cpuDir))
            masked.AddRange(Directory.EnumerateDirectories(cpuDir, "cpu*")
                .Select(cpu => Path.Combine(cpu, "thermal_throttle"))
                .Where(Directory.Exists)
                .Order(StringComparer.Ordinal));
        return (masked, ReadOnly.ToList());
    }
}
