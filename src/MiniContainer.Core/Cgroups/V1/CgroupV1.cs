namespace MiniContainer.Cgroups;

/// <summary>
/// A container's cgroup on a v1 (legacy or hybrid) host: one directory per hierarchy we join.
/// We join memory, cpu and cpuacct (which may share one co-mounted "cpu,cpuacct" hierarchy), pids, devices (which
/// device nodes it may open), freezer (for pause, and so KillAll can stop a fork bomb before killing it), cpuset
/// (--cpuset-cpus) and blkio (for the block I/O `docker stats` shows). The others are not joined: we set nothing
/// there, so the container stays in its parent's groups.
/// </summary>
public sealed class CgroupV1 : ICgroup
{
    public static readonly IReadOnlyList<string> Controllers = ["memory", "cpu", "cpuacct", "pids", "devices", "freezer", "cpuset", "blkio"];

    private readonly Dictionary<string, string> _dirByController = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _mountByDir = new(StringComparer.Ordinal);
    private readonly List<string> _dirs = [];
    private readonly List<string> _warnings = [];

    private readonly CgroupFs _fs;

    public CgroupV1(string name, CgroupFs fs)
    {
        Name = name;
        _fs = fs;
        foreach (string controller in Controllers)
        {
            if (fs.MountOf(controller) is not string mount) continue;
            string dir = Path.Combine(mount, name);
            _dirByController[controller] = dir;
            if (_mountByDir.TryAdd(dir, mount)) _dirs.Add(dir);  // co-mounted controllers share one directory
        }
        if (_dirs.Count == 0)
            throw new CgroupException($"no cgroup v1 hierarchy for any of {string.Join(", ", Controllers)} is mounted ({fs})");
    }

    public string Name { get; }
    public CgroupVersion Version => CgroupVersion.V1;
    public IReadOnlyList<string> Directories => _dirs;
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>How long KillAll may take before it gives up and throws.</summary>
    public TimeSpan KillTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The directory of one controller, or null when the host does not mount it.</summary>
    public string? DirectoryOf(string controller) => _dirByController.TryGetValue(controller, out string? d) ? d : null;

    public void Create()
    {
        foreach (string dir in _dirs)
            CgroupTree.CreateLevels(_mountByDir[dir], Name, CpusetV1.InheritFromParent);
    }

    public void Apply(ResourceLimits limits)
    {
        limits.Validate();
        _warnings.Clear();
        MemoryV1.Apply(DirectoryOf("memory"), limits, _warnings);
        CpuV1.Apply(DirectoryOf("cpu"), limits, _warnings);
        PidsV1.Apply(DirectoryOf("pids"), limits, _warnings);
        Cpuset.Apply(DirectoryOf("cpuset"), limits, _warnings);
        DevicesV1.Apply(DirectoryOf("devices"), limits);
    }

    public void AddProcess(int pid)
    {
        foreach (string dir in _dirs) CgroupFile.Write(dir, "cgroup.procs", pid);
    }

    /// <summary>
    /// rename(2) of every directory to <paramref name="newName"/>, which must have the same parent: the processes inside
    /// stay, now in the cgroup of that name. That is how a warm shim's spare cgroup becomes its container's, with the
    /// init stage already inside, so that nothing is moved at start (a move waits for an RCU grace period, see
    /// CgroupAttachPrimer). Cgroup v1 allows such a rename; v2 refuses it. If one fails, those done are named back.
    /// </summary>
    public CgroupV1 RenameTo(string newName)
    {
        if (Path.GetDirectoryName(newName) != Path.GetDirectoryName(Name))
            throw new CgroupException($"cannot rename cgroup {Name} to {newName}: a cgroup is renamed under the same parent only");
        var renamed = new CgroupV1(newName, _fs);
        var done = new List<(string From, string To)>();
        try
        {
            foreach (string dir in _dirs)
            {
                string to = Path.Combine(_mountByDir[dir], newName);
                Directory.Move(dir, to);
                done.Add((dir, to));
            }
        }
        catch (IOException e)
        {
            foreach (var (from, to) in done) try { Directory.Move(to, from); } catch (IOException) { }
            throw new CgroupException($"cannot rename cgroup {Name} to {newName}: {e.Message}");
        }
        return renamed;
    }

    /// <summary>The union over every hierarchy: a process moved in only some of them still counts.</summary>
    public IReadOnlyList<int> Processes()
    {
        var pids = new HashSet<int>();
        foreach (string dir in _dirs) CgroupTree.CollectProcesses(dir, pids);
        return pids.Order().ToList();
    }

    public bool OomKilled() => MemoryV1.OomKilled(DirectoryOf("memory"));

    /// <summary>freezer FROZEN → SIGKILL every pid → THAWED, until empty. Without a freezer hierarchy, a plain kill loop.</summary>
    public void KillAll()
    {
        string? freezer = DirectoryOf("freezer");
        bool canFreeze = freezer is not null && CgroupFile.Exists(freezer, FreezerV1.State);
        CgroupTree.KillUntilEmpty(Name, Processes,
            canFreeze ? () => FreezerV1.Freeze(freezer!, TimeSpan.FromSeconds(1)) : null,
            canFreeze ? () => FreezerV1.Thaw(freezer!) : null,
            KillTimeout);
    }

    /// <summary>freezer.state FROZEN, then waits until the kernel reports every task stopped (FREEZING until then).</summary>
    public void Freeze(TimeSpan wait)
    {
        string freezer = DirectoryOf("freezer") is { } d && CgroupFile.Exists(d, FreezerV1.State) ? d
            : throw new CgroupException($"the cgroup v1 freezer hierarchy is not mounted: cannot pause {Name} (mount it at /sys/fs/cgroup/freezer)");
        if (!FreezerV1.Freeze(freezer, wait))
        {
            FreezerV1.Thaw(freezer);
            throw new CgroupException($"cgroup {Name} was still FREEZING after {wait.TotalSeconds:0.#}s (a task in uninterruptible sleep?); left it thawed");
        }
    }

    public void Thaw()
    {
        if (DirectoryOf("freezer") is { } d && CgroupFile.Exists(d, FreezerV1.State)) FreezerV1.Thaw(d);
    }

    public bool IsFrozen() => DirectoryOf("freezer") is { } d && CgroupFile.TryRead(d, FreezerV1.State)?.Trim() == "FROZEN";

    public void Destroy() => CgroupTree.Destroy(this, TimeSpan.FromSeconds(5));

    public CgroupStats Stats()
    {
        var s = new CgroupStats();
        s = MemoryV1.Stats(DirectoryOf("memory"), s);
        s = CpuAcctV1.Stats(DirectoryOf("cpuacct"), s);
        s = CpuV1.Stats(DirectoryOf("cpu"), s);
        s = PidsV1.Stats(DirectoryOf("pids"), s);
        if (DirectoryOf("blkio") is { } blkio)
            s = s with
            {
                IoServiceBytes = BlkioStats.ParseV1(CgroupFile.TryRead(blkio, "blkio.throttle.io_service_bytes_recursive")),
                IoServiced = BlkioStats.ParseV1(CgroupFile.TryRead(blkio, "blkio.throttle.io_serviced_recursive")),
            };
        return s with { CpusetCpus = Cpuset.EffectiveCpus(DirectoryOf("cpuset")) };
    }

    public override string ToString() => $"cgroup v1 {Name} ({string.Join(", ", _dirs)})";
}
