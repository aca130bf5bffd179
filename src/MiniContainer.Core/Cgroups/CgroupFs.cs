namespace MiniContainer.Cgroups;

/// <summary>
/// Where the cgroup hierarchies are. On the host it is read from /proc/self/mountinfo; tests build one that
/// points at a temp directory laid out like cgroupfs.
/// <list type="bullet">
/// <item>v2: one hierarchy, <see cref="UnifiedMount"/> (normally /sys/fs/cgroup itself is cgroup2).</item>
/// <item>v1: one hierarchy per controller group, <see cref="V1Mounts"/> maps each controller to its mount point;
/// co-mounted controllers ("cpu,cpuacct") map to the same directory. On a hybrid host <see cref="UnifiedMount"/>
/// is the extra controller-less cgroup2 mount (/sys/fs/cgroup/unified), recorded but not used for limits.</item>
/// </list>
/// </summary>
public sealed class CgroupFs
{
    public const string DefaultRoot = "/sys/fs/cgroup";

    /// <summary>The v1 controllers the kernel can offer (anything else in a cgroup mount's options, like name=systemd or xattr, is not one).</summary>
    public static readonly IReadOnlySet<string> KnownV1Controllers = new HashSet<string>(StringComparer.Ordinal)
    {
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio", "perf_event",
        "hugetlb", "pids", "rdma", "misc",
    };

    public CgroupVersion Version { get; }
    public string? UnifiedMount { get; }
    public IReadOnlyDictionary<string, string> V1Mounts { get; }

    private CgroupFs(CgroupVersion version, string? unified, IReadOnlyDictionary<string, string> v1)
    {
        Version = version;
        UnifiedMount = unified;
        V1Mounts = v1;
    }

    public static CgroupFs V2(string mountPoint) =>
        new(CgroupVersion.V2, mountPoint, new Dictionary<string, string>());

    public static CgroupFs V1(IReadOnlyDictionary<string, string> controllerMounts, string? hybridUnifiedMount = null) =>
        new(CgroupVersion.V1, hybridUnifiedMount, new Dictionary<string, string>(controllerMounts, StringComparer.Ordinal));

    /// <summary>v1 hierarchies as directories of <paramref name="root"/>: V1Layout("/tmp/x", "memory", "cpu,cpuacct", "pids").</summary>
    public static CgroupFs V1Layout(string root, params string[] hierarchies)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string h in hierarchies)
            foreach (string controller in h.Split(','))
                map[controller] = Path.Combine(root, h);
        return V1(map);
    }

    /// <summary>The host's hierarchies, read once from /proc/self/mountinfo.</summary>
    public static CgroupFs Host => s_host.Value;
    private static readonly Lazy<CgroupFs> s_host = new(() => Detect());

    /// <summary>Reads /proc/self/mountinfo now.</summary>
    public static CgroupFs Detect(string cgroupRoot = DefaultRoot) =>
        FromMountInfo(File.ReadAllText("/proc/self/mountinfo"), cgroupRoot);

    /// <summary>
    /// Decides from mountinfo text: v2 when the last mount at <paramref name="cgroupRoot"/> is cgroup2 (what
    /// statfs would call CGROUP2_SUPER_MAGIC); otherwise v1, mapping each controller named in a "cgroup" mount's
    /// super options to that mount, preferring mounts under <paramref name="cgroupRoot"/> (later ones hide earlier
    /// ones). With no v1 controller mounted but a cgroup2 mount somewhere, that mount is used as v2.
    /// </summary>
    public static CgroupFs FromMountInfo(string mountInfo, string cgroupRoot = DefaultRoot)
    {
        cgroupRoot = cgroupRoot.TrimEnd('/');
        List<MountInfoEntry> entries = MountInfo.Parse(mountInfo);

        MountInfoEntry? atRoot = entries.LastOrDefault(e => e.MountPoint == cgroupRoot);
        if (atRoot?.FsType == "cgroup2") return V2(cgroupRoot);

        bool Under(string mountPoint) => mountPoint == cgroupRoot || mountPoint.StartsWith(cgroupRoot + "/", StringComparison.Ordinal);

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (MountInfoEntry e in entries.Where(e => e.FsType == "cgroup" && Under(e.MountPoint)))
            foreach (string c in e.SuperOptions.Where(KnownV1Controllers.Contains))
                map[c] = e.MountPoint;  // a later mount at the same place hides an earlier one
        foreach (MountInfoEntry e in entries.Where(e => e.FsType == "cgroup" && !Under(e.MountPoint)))
            foreach (string c in e.SuperOptions.Where(KnownV1Controllers.Contains))
                map.TryAdd(c, e.MountPoint);

        string? unified = entries.LastOrDefault(e => e.FsType == "cgroup2" && Under(e.MountPoint))?.MountPoint
                          ?? entries.LastOrDefault(e => e.FsType == "cgroup2")?.MountPoint;
        if (map.Count > 0) return V1(map, unified);
        if (unified is not null) return V2(unified);
        throw new CgroupException(
            $"no cgroup filesystem is mounted (neither cgroup2 at {cgroupRoot} nor any cgroup v1 hierarchy in /proc/self/mountinfo); " +
            $"mount one, e.g. `mount -t cgroup2 none {cgroupRoot}`");
    }

    /// <summary>Where a v1 controller's hierarchy is mounted, or null if it is not.</summary>
    public string? MountOf(string controller) => V1Mounts.TryGetValue(controller, out string? m) ? m : null;

    public override string ToString() => Version == CgroupVersion.V2
        ? $"cgroup v2 at {UnifiedMount}"
        : $"cgroup v1: {string.Join(", ", V1Mounts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))}";
}
