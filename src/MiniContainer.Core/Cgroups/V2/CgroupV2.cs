namespace MiniContainer.Cgroups;

/// <summary>A container's cgroup on a unified (v2) host: a single directory under the cgroup2 mount.</summary>
public sealed class CgroupV2 : ICgroup
{
    private readonly string _mount;
    private readonly string _dir;
    private readonly List<string> _warnings = [];

    public CgroupV2(string name, CgroupFs fs)
    {
        Name = name;
        _mount = fs.UnifiedMount ?? throw new CgroupException($"no cgroup2 hierarchy is mounted ({fs})");
        _dir = Path.Combine(_mount, name);
    }

    public string Name { get; }
    public CgroupVersion Version => CgroupVersion.V2;
    public string CgroupDirectory => _dir;
    public IReadOnlyList<string> Directories => [_dir];
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>How long KillAll may take before it gives up and throws.</summary>
    public TimeSpan KillTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Use cgroup.kill when the kernel has it (5.14+). Tests turn it off to exercise the freeze-and-kill loop older kernels need.</summary>
    public bool UseCgroupKill { get; set; } = true;

    /// <summary>Enables our controllers in each ancestor's cgroup.subtree_control, top-down, creating ancestors as needed; then mkdir the leaf.</summary>
    public void Create()
    {
        string[] parts = Name.Split('/');
        string dir = _mount;
        string parent = dir;
        for (int i = 0; i < parts.Length; i++)
        {
            SubtreeControlV2.Enable(dir, SubtreeControlV2.Wanted);
            CgroupTree.CreateLevels(dir, parts[i]);
            parent = dir;
            dir = Path.Combine(dir, parts[i]);
        }
        // If CgroupManager.RemoveParentIfEmpty removed "minicontainer" between our Enable and our mkdir, mkdir re-created
        // it without controllers, and the leaf's cgroup.controllers lacks them. Enabling them in the parent now (it
        // holds no processes) makes the kernel add memory.max etc. to the leaf that already exists.
        HashSet<string>? leafHas = CgroupFile.TryReadWords(dir, SubtreeControlV2.Controllers);
        HashSet<string>? parentOffers = CgroupFile.TryReadWords(parent, SubtreeControlV2.Controllers);
        if (leafHas is not null && parentOffers is not null &&
            SubtreeControlV2.Wanted.Any(c => parentOffers.Contains(c) && !leafHas.Contains(c)))
            SubtreeControlV2.Enable(parent, SubtreeControlV2.Wanted);
    }

    public void Apply(ResourceLimits limits)
    {
        limits.Validate();
        _warnings.Clear();
        MemoryV2.Apply(_dir, limits, _warnings);
        CpuV2.Apply(_dir, limits, _warnings);
        PidsV2.Apply(_dir, limits, _warnings);
        Cpuset.Apply(_dir, limits, _warnings);
        DevicesV2.Apply(_dir, limits);
    }

    public void AddProcess(int pid) => CgroupFile.Write(_dir, "cgroup.procs", pid);

    public IReadOnlyList<int> Processes()
    {
        var pids = new HashSet<int>();
        CgroupTree.CollectProcesses(_dir, pids);
        return pids.Order().ToList();
    }

    public bool OomKilled() => MemoryV2.OomKilled(_dir);

    /// <summary>cgroup.kill when present (race-free, one write); otherwise cgroup.freeze 1 → SIGKILL each → cgroup.freeze 0, until empty.</summary>
    public void KillAll()
    {
        if (UseCgroupKill && FreezerV2.HasKill(_dir))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Processes() is { Count: > 0 } pids)
            {
                if (clock.Elapsed > KillTimeout) throw CgroupTree.StillRunning(Name, pids, KillTimeout);
                try { FreezerV2.KillEverything(_dir); }
                catch (CgroupException) when (Processes().Count == 0) { return; }   // removed meanwhile: see CgroupTree.KillUntilEmpty
                CgroupTree.WaitUntilEmpty(Processes, TimeSpan.FromMilliseconds(500));
            }
            return;
        }
        bool canFreeze = FreezerV2.HasFreeze(_dir);
        CgroupTree.KillUntilEmpty(Name, Processes,
            canFreeze ? () => FreezerV2.FreezeAndWait(_dir, TimeSpan.FromSeconds(1)) : null,
            canFreeze ? () => FreezerV2.Thaw(_dir) : null,
            KillTimeout);
    }

    /// <summary>cgroup.freeze 1, then waits for "frozen 1" in cgroup.events.</summary>
    public void Freeze(TimeSpan wait)
    {
        if (!FreezerV2.HasFreeze(_dir)) throw new CgroupException($"the kernel has no cgroup.freeze in {_dir} (Linux 5.2+ is needed to pause)");
        if (!FreezerV2.FreezeAndWait(_dir, wait))
        {
            FreezerV2.Thaw(_dir);
            throw new CgroupException($"cgroup {Name} was not frozen after {wait.TotalSeconds:0.#}s; left it thawed");
        }
    }

    public void Thaw()
    {
        if (FreezerV2.HasFreeze(_dir)) FreezerV2.Thaw(_dir);
    }

    public bool IsFrozen() => CgroupFile.ReadKeyed(_dir, FreezerV2.Events).GetValueOrDefault("frozen") == 1;

    public void Destroy() => CgroupTree.Destroy(this, TimeSpan.FromSeconds(5));

    public CgroupStats Stats()
    {
        var s = new CgroupStats();
        s = MemoryV2.Stats(_dir, s);
        s = CpuV2.Stats(_dir, s);
        s = PidsV2.Stats(_dir, s);
        string? io = CgroupFile.TryRead(_dir, "io.stat");
        return s with
        {
            IoServiceBytes = BlkioStats.ParseV2(io, "rbytes", "wbytes"),
            IoServiced = BlkioStats.ParseV2(io, "rios", "wios"),
            CpusetCpus = Cpuset.EffectiveCpus(_dir),
        };
    }

    public override string ToString() => $"cgroup v2 {Name} ({_dir})";
}
