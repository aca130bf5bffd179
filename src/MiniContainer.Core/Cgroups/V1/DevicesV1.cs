namespace MiniContainer.Cgroups;

/// <summary>
/// cgroup v1 devices controller: devices.deny / devices.allow take one rule per write ("c 1:3 rwm"); "a" switches
/// the cgroup to deny-all (devices.deny) or allow-all (devices.allow) and clears its exceptions. We write the
/// effective set (DeviceRuleSet), default first, so the kernel ends up with exactly what cgroup v2's BPF program
/// enforces. devices.list shows the result.
/// </summary>
public static class DevicesV1
{
    public const string Allow = "devices.allow", Deny = "devices.deny", List = "devices.list";

    /// <summary>The writes that give a fresh cgroup <paramref name="set"/>, in order: (file, line).</summary>
    public static IEnumerable<(string File, string Line)> Writes(DeviceRuleSet set)
    {
        yield return (set.DefaultAllow ? Allow : Deny, "a");
        foreach (DeviceRule e in set.Exceptions) yield return (e.Allow ? Allow : Deny, e.CgroupText);
    }

    public static void Apply(string? dir, ResourceLimits limits)
    {
        if (limits.DeviceRules is not { } rules) return;
        if (dir is null || !CgroupFile.Exists(dir, Deny))
            throw new CgroupException("the cgroup v1 devices controller is not mounted (no devices.deny" +
                                      (dir is null ? ")" : $" in {dir})") + ": device access cannot be confined; mount it at /sys/fs/cgroup/devices");
        foreach (var (file, line) in Writes(DeviceRuleSet.From(rules))) CgroupFile.Write(dir, file, line);
    }
}
