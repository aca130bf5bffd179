using System.Text.Json;
using MiniContainer.Cgroups;
using MiniContainer.Linux;
using MiniContainer.Runtime;
using MiniContainer.Security.Seccomp;

namespace MiniContainer.Shim.Oci;

/// <summary>Something config.json asks for that minicontainer-runc does not do, or a config that is wrong: the
/// command fails with this message (never a silent drop).</summary>
public sealed class OciConfigException(string message) : Exception(message);

/// <summary>
/// An OCI bundle read and translated into the pieces the shared engine takes: the clone flags and the namespaces
/// to join, the ProcessSpec that ProcessStarter executes (user, capabilities, rlimits, seccomp), the cgroup limits,
/// the device nodes. Everything config.json sets is either translated here or refused here, before anything is
/// created on the host. Read by `create` and again by the init stage (same file, same result).
/// </summary>
public sealed partial class OciBundle
{
    public const string SpecVersion = "1.0.2";

    public string Directory { get; }
    public OciConfig Config { get; }
    public string RootfsPath { get; }
    /// <summary>CLONE_NEW* flags for the namespaces the container gets fresh.</summary>
    public Namespace NewNamespaces { get; private set; }
    /// <summary>Existing namespaces to join (type, path): the cloning thread joins them, the child inherits them.</summary>
    public List<(Namespace Kind, string Path)> JoinNamespaces { get; } = new();
    public ProcessSpec Process { get; private set; } = new();
    public ResourceLimits Limits { get; private set; } = new();
    public List<DeviceNodeSpec> DeviceNodes { get; } = new();
    public List<IdMapping>? UidMappings { get; private set; }
    public List<IdMapping>? GidMappings { get; private set; }
    /// <summary>What the bundle asks for that the kernel's own rules change, said by `create` on stderr and in the log.</summary>
    public List<string> Warnings { get; } = new();

    private OciBundle(string directory, OciConfig config)
    {
        Directory = directory;
        Config = config;
        string root = config.Root?.Path is { Length: > 0 } p ? p : throw new OciConfigException("config.json: root.path is required");
        RootfsPath = Path.GetFullPath(Path.Combine(directory, root));
        if (!System.IO.Directory.Exists(RootfsPath)) throw new OciConfigException($"rootfs ({RootfsPath}) does not exist");
    }

    public static OciBundle Load(string bundleDir)
    {
        string dir = Path.GetFullPath(bundleDir);
        string file = Path.Combine(dir, "config.json");
        if (!File.Exists(file)) throw new OciConfigException($"open {file}: no such file or directory");
        OciConfig config;
        try { config = JsonSerializer.Deserialize(File.ReadAllText(file), OciJson.Default.OciConfig) ?? throw new OciConfigException("config.json is empty"); }
        catch (JsonException e) { throw new OciConfigException($"config.json: {e.Message}"); }
        var bundle = new OciBundle(dir, config);
        bundle.Translate();
        return bundle;
    }

    private void Translate()
    {
        RefuseUnknown("config.json", Config.Unknown);
        CheckVersion(Config.OciVersion);
        if (Config.Process is not { } process) throw new OciConfigException("config.json: process is required");
        RefuseUnknown("process", process.Unknown);
        if (process.Args is not { Count: > 0 }) throw new OciConfigException("process.args must not be empty");
        if (!process.Cwd.StartsWith('/')) throw new OciConfigException($"process.cwd must be an absolute path, not \"{process.Cwd}\"");
        if (!string.IsNullOrEmpty(process.ApparmorProfile)) throw Refused("process.apparmorProfile (AppArmor is not supported)");
        if (!string.IsNullOrEmpty(process.SelinuxLabel)) throw Refused("process.selinuxLabel (SELinux is not supported)");
        if (!string.IsNullOrEmpty(process.User.Username)) throw Refused("process.user.username (Windows only)");
        var linux = Config.Linux ?? throw new OciConfigException("config.json: linux is required on Linux");
        RefuseUnknown("linux", linux.Unknown);
        if (!string.IsNullOrEmpty(linux.MountLabel)) throw Refused("linux.mountLabel (SELinux is not supported)");
        if (linux.IntelRdt is { ValueKind: not JsonValueKind.Null }) throw Refused("linux.intelRdt");
        if (linux.Personality is { ValueKind: not JsonValueKind.Null }) throw Refused("linux.personality");
        if (Config.Hooks?.Unknown is { } hooks) RefuseUnknown("hooks", hooks);
        foreach (var m in Config.Mounts ?? [])
        {
            if (!m.Destination.StartsWith('/')) throw new OciConfigException($"mount destination {m.Destination} is not absolute");
            if (m.UidMappings is { Count: > 0 } || m.GidMappings is { Count: > 0 }) throw Refused($"id-mapped mounts (mounts[{m.Destination}].uidMappings)");
        }

        TranslateNamespaces(linux);
        UidMappings = linux.UidMappings?.Select(ToMapping).ToList();
        GidMappings = linux.GidMappings?.Select(ToMapping).ToList();
        bool userns = NewNamespaces.HasFlag(Namespace.User);
        if (userns && UidMappings is not { Count: > 0 }) throw new OciConfigException("a user namespace needs linux.uidMappings");
        if (!userns && (UidMappings is { Count: > 0 } || GidMappings is { Count: > 0 }))
            throw new OciConfigException("linux.uidMappings are only honoured with a new user namespace in linux.namespaces");
        if (!string.IsNullOrEmpty(Config.Hostname) && !NewNamespaces.HasFlag(Namespace.Uts) && !JoinNamespaces.Any(j => j.Kind == Namespace.Uts))
            throw new OciConfigException("unable to set the hostname without a UTS namespace (add \"uts\" to linux.namespaces)");
        if (linux.RootfsPropagation is { Length: > 0 } prop && PropagationFlags(prop) is null)
            throw new OciConfigException($"linux.rootfsPropagation: unknown propagation \"{prop}\"");

        foreach (string key in linux.Sysctl?.Keys ?? Enumerable.Empty<string>()) CheckSysctl(key);
        Process = TranslateProcess(process, linux);
        Limits = TranslateResources(linux.Resources);
        TranslateDevices(linux.Devices, userns);
    }

    /// <summary>config.md: ociVersion MUST be in SemVer v2.0.0 form, and a runtime MUST fail on an invalid value (runc
    /// takes any string). Only 1.x is read here: a 2.0 config may mean something else by the same fields.</summary>
    public static void CheckVersion(string version)
    {
        if (!SemVer().IsMatch(version))
            throw new OciConfigException($"config.json: ociVersion \"{version}\" is not a SemVer 2.0.0 version (runtime-spec config.md)");
        if (!version.StartsWith("1.", StringComparison.Ordinal))
            throw new OciConfigException($"config.json: ociVersion {version}: only runtime-spec 1.x is supported");
    }

    // MAJOR.MINOR.PATCH with optional -prerelease and +build, numbers without leading zeros (semver.org §2, §9, §10).
    [System.Text.RegularExpressions.GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$")]
    private static partial System.Text.RegularExpressions.Regex SemVer();

    private bool Has(Namespace kind) => NewNamespaces.HasFlag(kind) || JoinNamespaces.Any(j => j.Kind == kind);

    /// <summary>Only the sysctls the container's own namespaces scope (runc's list): any other would change the host.</summary>
    private void CheckSysctl(string key)
    {
        bool ipcKey = key is "kernel.msgmax" or "kernel.msgmnb" or "kernel.msgmni" or "kernel.sem" or "kernel.shmall" or "kernel.shmmax"
                      or "kernel.shmmni" or "kernel.shm_rmid_forced" || key.StartsWith("fs.mqueue.", StringComparison.Ordinal);
        bool netKey = key.StartsWith("net.", StringComparison.Ordinal);
        if (key.Contains("..") || key.Contains('/') || !((ipcKey && Has(Namespace.Ipc)) || (netKey && Has(Namespace.Net))))
            throw new OciConfigException($"sysctl \"{key}\" is not in a namespace of the container's own (allowed: IPC sysctls with an ipc " +
                                         "namespace, net.* with a network namespace)");
    }

    private static readonly Dictionary<string, Namespace> NamespaceTypes = new()
    {
        ["pid"] = Namespace.Pid, ["network"] = Namespace.Net, ["mount"] = Namespace.Mount, ["ipc"] = Namespace.Ipc,
        ["uts"] = Namespace.Uts, ["user"] = Namespace.User, ["cgroup"] = Namespace.Cgroup,
    };

    /// <summary>The namespace types linux.namespaces may name (what `features` lists).</summary>
    public static IEnumerable<string> NamespaceNames => NamespaceTypes.Keys;

    private void TranslateNamespaces(OciLinux linux)
    {
        var seen = new HashSet<string>();
        foreach (var ns in linux.Namespaces ?? [])
        {
            if (!seen.Add(ns.Type)) throw new OciConfigException($"linux.namespaces: duplicate namespace type \"{ns.Type}\"");
            if (!NamespaceTypes.TryGetValue(ns.Type, out var kind))
                throw ns.Type == "time" ? Refused("the time namespace") : new OciConfigException($"linux.namespaces: unknown namespace type \"{ns.Type}\"");
            if (string.IsNullOrEmpty(ns.Path)) { NewNamespaces |= kind; continue; }
            // The cloning thread joins these with setns() (allowed in a multithreaded process for these kinds), the clone
            // child a mount namespace (single-threaded, as the kernel wants). A user namespace would have to be joined
            // before the others are made, so that it owns them: not done.
            if (kind is Namespace.User or Namespace.Cgroup)
                throw Refused($"joining an existing {ns.Type} namespace (linux.namespaces path {ns.Path})");
            if (!File.Exists(ns.Path)) throw new OciConfigException($"linux.namespaces: {ns.Type} namespace {ns.Path} does not exist");
            JoinNamespaces.Add((kind, ns.Path));
        }
        if (!NewNamespaces.HasFlag(Namespace.Mount) && !JoinNamespaces.Any(j => j.Kind == Namespace.Mount))
            throw Refused("a container in the runtime's own mount namespace (its mounts and pivot_root would be the host's): add " +
                          "{\"type\": \"mount\"} to linux.namespaces");
    }

    private static IdMapping ToMapping(OciIdMapping m) => new() { ContainerId = m.ContainerID, HostId = m.HostID, Size = m.Size };

    private static readonly string[] RlimitNames =
    {
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
        "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    };

    /// <summary>exec --process: another process of this container, read and translated (or refused) like process.</summary>
    public ProcessSpec TranslateExecProcess(OciProcess p)
    {
        RefuseUnknown("process", p.Unknown);
        if (p.Args is not { Count: > 0 }) throw new OciConfigException("process.args must not be empty");
        if (string.IsNullOrEmpty(p.Cwd)) p.Cwd = "/";
        if (!p.Cwd.StartsWith('/')) throw new OciConfigException($"process.cwd must be an absolute path, not \"{p.Cwd}\"");
        if (!string.IsNullOrEmpty(p.ApparmorProfile)) throw Refused("process.apparmorProfile (AppArmor is not supported)");
        if (!string.IsNullOrEmpty(p.SelinuxLabel)) throw Refused("process.selinuxLabel (SELinux is not supported)");
        return TranslateProcess(p, Config.Linux!);
    }

    private ProcessSpec TranslateProcess(OciProcess p, OciLinux linux)
    {
        var caps = p.Capabilities is { } c
            ? new CapabilitySets
            {
                Bounding = CapNumbers(c.Bounding, "bounding"), Effective = CapNumbers(c.Effective, "effective"),
                Permitted = CapNumbers(c.Permitted, "permitted"), Inheritable = CapNumbers(c.Inheritable, "inheritable"),
                Ambient = CapNumbers(c.Ambient, "ambient"),
            }
            : null; // no capabilities object: the process keeps the runtime's (runc does the same)
        if (caps is not null && caps.Ambient.Except(caps.Permitted.Intersect(caps.Inheritable)).ToList() is { Count: > 0 } cannot)
        {
            // The kernel raises an ambient capability only if it is permitted and inheritable; runc skips the others
            // without a word. We skip them too (so runc's bundles run), and say so.
            Warnings.Add("process.capabilities.ambient: " + string.Join(", ", cannot.Select(n => "CAP_" + CapabilitySet.Names[n])) +
                         " not raised: an ambient capability must also be in the permitted and inheritable sets");
            caps.Ambient = caps.Ambient.Except(cannot).ToList();
        }
        if (caps is not null && !NewNamespaces.HasFlag(Namespace.User)) CheckGrantable(caps, OwnPermittedCapabilities());
        var rlimits = new List<ResourceLimitSetting>();
        foreach (var r in p.Rlimits ?? [])
        {
            int n = Array.IndexOf(RlimitNames, r.Type);
            if (n < 0) throw new OciConfigException($"process.rlimits: unknown rlimit type \"{r.Type}\"");
            if (rlimits.Any(x => x.Resource == n)) throw new OciConfigException($"process.rlimits: duplicate {r.Type}");
            rlimits.Add(new ResourceLimitSetting { Resource = n, Soft = r.Soft, Hard = r.Hard });
        }
        return new ProcessSpec
        {
            Args = p.Args!, Env = p.Env ?? new(), Cwd = p.Cwd, User = $"{p.User.Uid}:{p.User.Gid}",
            ExactGroups = p.User.AdditionalGids ?? new(), Terminal = p.Terminal,
            ConsoleRows = p.ConsoleSize?.Height ?? 0, ConsoleCols = p.ConsoleSize?.Width ?? 0,
            NoNewPrivileges = p.NoNewPrivileges, Capabilities = caps, Rlimits = rlimits,
            SeccompFilter = linux.Seccomp is { } profile ? CompileSeccomp(profile, caps) : null,
        };
    }

    /// <summary>
    /// Without a user namespace of its own, the container can get no capability the runtime does not hold itself: capset
    /// would fail with EPERM in the init stage after `start` (the program never runs, and `create` had said yes). So
    /// `create` refuses it, naming the capabilities, as runc's "unable to apply caps" does. (A bounding-set entry the runtime
    /// lacks is no error: the bounding set can only shrink, and the capability is already out of it.)
    /// </summary>
    public static void CheckGrantable(CapabilitySets caps, ulong ownPermitted)
    {
        var missing = caps.Effective.Concat(caps.Permitted).Concat(caps.Inheritable)
            .Where(n => (ownPermitted & (1UL << n)) == 0).Distinct().Order().ToList();
        if (missing.Count > 0)
            throw new OciConfigException("process.capabilities: " + string.Join(", ", missing.Select(n => "CAP_" + CapabilitySet.Names[n])) +
                                         " cannot be granted: minicontainer-runc does not hold " + (missing.Count == 1 ? "it" : "them") +
                                         " itself (see CapPrm in /proc/self/status)");
    }

    /// <summary>This process's permitted capabilities (CapPrm of /proc/self/status), as a bit mask.</summary>
    private static ulong OwnPermittedCapabilities()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapPrm:", StringComparison.Ordinal));
        return ulong.Parse(line["CapPrm:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<int> CapNumbers(List<string>? names, string set)
    {
        var numbers = new List<int>();
        foreach (string name in names ?? [])
        {
            string bare = name.StartsWith("CAP_", StringComparison.Ordinal) ? name[4..] : name;
            int n = Array.IndexOf(CapabilitySet.Names, bare);
            if (n < 0) throw new OciConfigException($"process.capabilities.{set}: unknown capability \"{name}\"");
            numbers.Add(n);
        }
        return numbers;
    }

    private static byte[] CompileSeccomp(SeccompProfile profile, CapabilitySets? caps)
    {
        try
        {
            var names = (caps?.Effective ?? Enumerable.Range(0, CapabilitySet.Names.Length).ToList()).Select(n => "CAP_" + CapabilitySet.Names[n]).ToHashSet();
            return SeccompCompiler.Compile(profile, names, SeccompCompiler.RunningKernel);
        }
        catch (SeccompProfileException e) { throw new OciConfigException($"linux.seccomp: {e.Message}"); }
    }

    /// <summary>The resources minicontainer-runc honours, on cgroup v1 and v2 alike: memory, cpu, pids and the device
    /// rules. Any other controller's section is refused.</summary>
    internal ResourceLimits TranslateResources(OciResources? r)
    {
        if (r is null) return new ResourceLimits();
        RefuseUnknown("linux.resources", r.Unknown);
        if (r.Memory is { } m)
        {
            if (m.Kernel is not null) throw Refused("linux.resources.memory.kernel (kernel memory limits are deprecated in Linux)");
            if (m.KernelTCP is not null) throw Refused("linux.resources.memory.kernelTCP");
            if (m.DisableOOMKiller == true) throw Refused("linux.resources.memory.disableOOMKiller");
            if (m.CheckBeforeUpdate == true) throw Refused("linux.resources.memory.checkBeforeUpdate");
        }
        if (r.Cpu is { } c && (c.RealtimePeriod is not null || c.RealtimeRuntime is not null || c.Idle is not null))
            throw Refused("linux.resources.cpu realtimeRuntime, realtimePeriod and idle");
        var rules = new List<DeviceRule>();
        foreach (var d in r.Devices ?? [])
        {
            var type = d.Type switch
            {
                null or "" or "a" => DeviceType.All, "c" => DeviceType.Char, "b" => DeviceType.Block,
                _ => throw new OciConfigException($"linux.resources.devices: unknown device type \"{d.Type}\""),
            };
            var access = string.IsNullOrEmpty(d.Access) ? DeviceAccess.All : ParseAccess(d.Access);
            rules.Add(new DeviceRule(d.Allow, type, d.Major ?? DeviceRule.Any, d.Minor ?? DeviceRule.Any, access));
        }
        return new ResourceLimits
        {
            MemoryBytes = r.Memory?.Limit, MemoryReservationBytes = r.Memory?.Reservation, MemorySwapBytes = r.Memory?.Swap,
            MemorySwappiness = (long?)r.Memory?.Swappiness,
            CpuShares = (long?)r.Cpu?.Shares, CpuQuotaMicros = r.Cpu?.Quota,
            CpuPeriodMicros = r.Cpu?.Period is { } period ? (long)period : ResourceLimits.DefaultCpuPeriodMicros,
            CpusetCpus = NullIfEmpty(r.Cpu?.Cpus), CpusetMems = NullIfEmpty(r.Cpu?.Mems),
            PidsLimit = r.Pids?.Limit,
            DeviceRules = r.Devices is null ? null : rules,
        };
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static DeviceAccess ParseAccess(string text)
    {
        try { return DeviceRule.ParseAccess(text); }
        catch (FormatException e) { throw new OciConfigException($"linux.resources.devices: {e.Message}"); }
    }

    /// <summary>
    /// The device rules the cgroup gets: the bundle's, then (as runc does) the devices every container may use —
    /// the default devices of runtime-spec config-linux.md and /dev/pts — and each node of linux.devices.
    /// </summary>
    public IReadOnlyList<DeviceRule>? EffectiveDeviceRules()
    {
        if (Limits.DeviceRules is not { } rules) return null;
        var all = new List<DeviceRule>(rules);
        foreach (var (major, minor) in new (long, long)[] { (1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (136, DeviceRule.Any) })
            all.Add(DeviceRule.AllowChar(major, minor, DeviceAccess.All));
        foreach (var d in DeviceNodes.Where(d => d.Type != 'p'))   // a FIFO is no device: the cgroup does not govern it
            all.Add(new DeviceRule(true, d.Type == 'b' ? DeviceType.Block : DeviceType.Char, d.Major, d.Minor, DeviceAccess.All));
        return all;
    }

    private void TranslateDevices(List<OciDevice>? devices, bool userns)
    {
        foreach (var d in devices ?? [])
        {
            if (!d.Path.StartsWith('/')) throw new OciConfigException($"linux.devices: path {d.Path} is not absolute");
            char type = d.Type switch
            {
                "c" or "u" => 'c', "b" => 'b', "p" => 'p',
                _ => throw new OciConfigException($"linux.devices: unknown type \"{d.Type}\" for {d.Path}"),
            };
            if (userns) throw Refused($"linux.devices ({d.Path}) in a user namespace, where mknod is not allowed");
            DeviceNodes.Add(new DeviceNodeSpec
            {
                Path = d.Path, HostPath = d.Path, Type = type, Major = (uint)d.Major, Minor = (uint)d.Minor,
                FileMode = (d.FileMode ?? 0x1B6 /* 0666 */) & 0xFFF, Uid = d.Uid ?? 0, Gid = d.Gid ?? 0,
            });
        }
    }

    /// <summary>"rprivate", "slave"… → the propagation flags for mount(2); null when unknown.</summary>
    public static MountFlags? PropagationFlags(string name) => name switch
    {
        "private" => MountFlags.Private, "rprivate" => MountFlags.Private | MountFlags.Recursive,
        "slave" => MountFlags.Slave, "rslave" => MountFlags.Slave | MountFlags.Recursive,
        "shared" => MountFlags.Shared, "rshared" => MountFlags.Shared | MountFlags.Recursive,
        "unbindable" => MountFlags.Unbindable, "runbindable" => MountFlags.Unbindable | MountFlags.Recursive,
        _ => null,
    };

    /// <summary>The cgroup (relative to each hierarchy's root): linux.cgroupsPath, or minicontainer-runc/ID.</summary>
    public string CgroupName(string id)
    {
        string? path = Config.Linux?.CgroupsPath;
        if (string.IsNullOrEmpty(path)) return $"{DefaultCgroupParent}/{id}";
        if (path.Contains(':')) throw Refused($"linux.cgroupsPath \"{path}\" in systemd's slice:prefix:name form (--systemd-cgroup is not supported)");
        string name = path.Trim('/');
        try { CgroupManager.ValidateName(name); }
        catch (ArgumentException) { throw new OciConfigException($"linux.cgroupsPath \"{path}\" is not a valid cgroup path"); }
        return name;
    }

    /// <summary>The parent of the cgroups minicontainer-runc names itself (host objects carry the project's prefix).</summary>
    public const string DefaultCgroupParent = "minicontainer-runc";

    /// <summary>Fields runtime-spec defines that minicontainer-runc does not do: refused when they carry a value.</summary>
    private static readonly Dictionary<string, string[]> KnownUnsupported = new()
    {
        ["config.json"] = ["solaris", "windows", "vm", "zos"],
        ["process"] = ["ioPriority", "scheduler", "execCPUAffinity", "commandLine"],
        ["linux"] = ["timeOffsets", "memoryPolicy", "netDevices"],
        ["linux.resources"] = ["blockIO", "hugepageLimits", "network", "rdma", "unified"],
        ["hooks"] = [],
    };

    /// <summary>A field the spec defines and we do not do is refused; a property the spec does not define at all is
    /// ignored, as config.md's "Extensibility" demands of runtimes, and said as a warning.</summary>
    private void RefuseUnknown(string where, Dictionary<string, JsonElement>? unknown)
    {
        foreach (var (key, value) in unknown ?? [])
        {
            if (value.ValueKind is JsonValueKind.Null) continue;
            if (KnownUnsupported.TryGetValue(where, out var known) && known.Contains(key)) throw Refused($"{where}.{key}");
            Warnings.Add($"{where}.{key}: not a runtime-spec property; ignored (runtimes must not fail on unknown properties)");
        }
    }

    private static OciConfigException Refused(string what) =>
        new($"{what}: not supported by minicontainer-runc (refused rather than ignored)");
}
