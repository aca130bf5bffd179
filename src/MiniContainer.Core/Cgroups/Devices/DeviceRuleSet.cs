namespace MiniContainer.Cgroups;

/// <summary>
/// What a list of device rules leaves in effect, computed the way the kernel's cgroup v1 devices controller
/// computes it (security/device_cgroup.c), so that v1 and v2 enforce exactly the same thing:
/// <list type="bullet">
/// <item>a cgroup has a default (allow all or deny all) and a list of exceptions to it;</item>
/// <item>an 'a' rule sets the default and clears the exceptions;</item>
/// <item>a rule against the default adds an exception (merging the access into an exception for the same
/// type and numbers); a rule agreeing with the default removes those access bits from an exception for the
/// same type and numbers. It never punches a hole into a wider exception;</item>
/// <item>deny by default: a request is allowed when ONE exception names the device and covers all the access
/// asked for. Allow by default: a request is denied when an exception names the device with any of it.</item>
/// </list>
/// cgroup v1 is given the result (DevicesV1); cgroup v2 gets a BPF program compiled from it (DeviceFilterProgram).
/// </summary>
public sealed class DeviceRuleSet
{
    public bool DefaultAllow { get; }

    /// <summary>The exceptions, each 'c' or 'b', each with Allow == !DefaultAllow, in the order they were first added.</summary>
    public IReadOnlyList<DeviceRule> Exceptions { get; }

    private DeviceRuleSet(bool defaultAllow, List<DeviceRule> exceptions)
    {
        DefaultAllow = defaultAllow;
        Exceptions = exceptions;
    }

    /// <summary>Applies <paramref name="rules"/> in order to a fresh cgroup (which, like its parent, allows everything).</summary>
    public static DeviceRuleSet From(IEnumerable<DeviceRule> rules)
    {
        bool defaultAllow = true;
        var exceptions = new List<DeviceRule>();
        foreach (DeviceRule rule in rules)
        {
            if (rule.Type == DeviceType.All)
            {
                defaultAllow = rule.Allow;
                exceptions.Clear();
                continue;
            }
            int same = exceptions.FindIndex(e => e.Type == rule.Type && e.Major == rule.Major && e.Minor == rule.Minor);
            if (rule.Allow != defaultAllow)
            {
                if (same >= 0) exceptions[same] = exceptions[same] with { Access = exceptions[same].Access | rule.Access };
                else exceptions.Add(rule);
            }
            else if (same >= 0)
            {
                DeviceAccess left = exceptions[same].Access & ~rule.Access;
                if (left == DeviceAccess.None) exceptions.RemoveAt(same);
                else exceptions[same] = exceptions[same] with { Access = left };
            }
        }
        return new DeviceRuleSet(defaultAllow, exceptions);
    }

    /// <summary>Would the kernel let a process in this cgroup do <paramref name="access"/> on the device?</summary>
    public bool Permits(DeviceType type, long major, long minor, DeviceAccess access) => DefaultAllow
        ? !Exceptions.Any(e => e.Names(type, major, minor) && (e.Access & access) != 0)
        : Exceptions.Any(e => e.Names(type, major, minor) && (access & ~e.Access) == 0);

    /// <summary>The rules that recreate this set: the 'a' rule for the default, then each exception.</summary>
    public IEnumerable<DeviceRule> AsRules() => [DefaultAllow ? DeviceRule.AllowAll : DeviceRule.DenyAll, .. Exceptions];

    public override string ToString() => string.Join(", ", AsRules());
}

/// <summary>
/// Docker 20.10's device rules, in the order dockerd and runc hand them to the kernel:
/// moby's default spec (deny all; null, zero, urandom, random, tty, console; deny fuse), then the container's own
/// (--device, --device-cgroup-rule), then the devices runc always allows (mknod of anything, the standard nodes,
/// ptys, ptmx, tun). A privileged container gets allow-all instead of the first two parts.
/// </summary>
public static class DockerDeviceRules
{
    /// <summary>moby 20.10 oci.DefaultLinuxSpec: Linux.Resources.Devices.</summary>
    public static readonly IReadOnlyList<DeviceRule> DefaultSpec =
    [
        DeviceRule.DenyAll,
        DeviceRule.AllowChar(1, 5),   // /dev/zero
        DeviceRule.AllowChar(1, 3),   // /dev/null
        DeviceRule.AllowChar(1, 9),   // /dev/urandom
        DeviceRule.AllowChar(1, 8),   // /dev/random
        DeviceRule.AllowChar(5, 0),   // /dev/tty
        DeviceRule.AllowChar(5, 1),   // /dev/console
        new DeviceRule(false, DeviceType.Char, 10, 229, DeviceAccess.All),  // /dev/fuse
    ];

    /// <summary>runc 1.0/1.1 specconv.AllowedDevices, appended after the container's rules.</summary>
    public static readonly IReadOnlyList<DeviceRule> RuntimeAllowed =
    [
        new DeviceRule(true, DeviceType.Char, DeviceRule.Any, DeviceRule.Any, DeviceAccess.Mknod),
        new DeviceRule(true, DeviceType.Block, DeviceRule.Any, DeviceRule.Any, DeviceAccess.Mknod),
        DeviceRule.AllowChar(1, 3),   // /dev/null
        DeviceRule.AllowChar(1, 8),   // /dev/random
        DeviceRule.AllowChar(1, 7),   // /dev/full
        DeviceRule.AllowChar(5, 0),   // /dev/tty
        DeviceRule.AllowChar(1, 5),   // /dev/zero
        DeviceRule.AllowChar(1, 9),   // /dev/urandom
        DeviceRule.AllowChar(136, DeviceRule.Any),  // /dev/pts/*
        DeviceRule.AllowChar(5, 2),   // /dev/ptmx
        DeviceRule.AllowChar(10, 200),  // /dev/net/tun
    ];

    /// <summary>The full list for one container.</summary>
    public static List<DeviceRule> For(bool privileged, IEnumerable<DeviceRule> containerRules) =>
        privileged ? [DeviceRule.AllowAll, .. RuntimeAllowed] : [.. DefaultSpec, .. containerRules, .. RuntimeAllowed];
}
