namespace MiniContainer.Containers;

/// <summary>
/// One shim kept started ahead of time, so that a `run` or an `exec` does not wait for it.
///
/// For containers (`minicontainer-shim warm`, cgroup v1 hosts only): starting a container the usual way starts two
/// Native AOT processes one after the other — the shim, then the init stage it clones into new namespaces — creates
/// those namespaces, and moves the init stage into its cgroup (which waits for an RCU grace period, see
/// CgroupAttachPrimer): ~5 ms of a `run --rm` that takes ~30 ms here. A warm shim has done all that before a container
/// is asked for: its init stage waits in fresh PID, UTS, IPC and network namespaces
/// (<see cref="Runtime.ContainerSpec.WarmNamespaces"/>) and in a spare cgroup. The next start that wants exactly those
/// (<see cref="Runtime.ContainerSpec.SuitsWarmShim"/>) takes it and names its bundle; the shim renames the spare
/// cgroup to the container's and goes on as one started for it. Not on cgroup v2: there a shim started for its
/// container has PID 1 born in its cgroup, v2 refuses the rename, and a warm init stage would have to be moved.
///
/// For execs (`minicontainer-shim warm-exec`, every host): only the shim's own start-up is done ahead; the exec's spec
/// names the container, whose namespaces it joins as usual.
///
/// One of each is kept, started once the start that took the last one is over. A start that finds none (the first,
/// or several at once) starts its own. MINICONTAINER_WARM_SHIM=0 in the daemon's environment turns both off (to
/// compare; see the README's bench section).
/// </summary>
public sealed class WarmShim
{
    private readonly object _gate = new();
    private readonly string _mode;
    private Task<ShimHandle?>? _next;
    private bool _stopped;

    private WarmShim(string mode) => _mode = mode;

    private static bool TurnedOff => Environment.GetEnvironmentVariable("MINICONTAINER_WARM_SHIM") == "0";

    /// <summary>Container shims kept warm: on a cgroup v1 host, unless turned off.</summary>
    public static WarmShim? ForContainers(Cgroups.CgroupVersion hostVersion) =>
        hostVersion == Cgroups.CgroupVersion.V1 && !TurnedOff ? new WarmShim("warm") : null;

    /// <summary>Exec shims kept warm, unless turned off.</summary>
    public static WarmShim? ForExecs() => TurnedOff ? null : new WarmShim("warm-exec");

    /// <summary>The warm shim, if one was started (it may still be getting ready: waiting for it is never slower than
    /// starting another); null when there is none (the first start, starts at the same moment, or one that failed).
    /// It is the caller's from now on.</summary>
    public async Task<ShimHandle?> TakeAsync()
    {
        Task<ShimHandle?>? next;
        lock (_gate) { next = _next; _next = null; }
        return next is null ? null : await next;
    }

    /// <summary>A warm shim is there or on its way: the next start that suits it will not move a process into a cgroup.</summary>
    public bool Expected
    {
        get { lock (_gate) return _next is not null && !(_next.IsCompletedSuccessfully && _next.Result is null); }
    }

    /// <summary>The spare cgroup of a warm shim that died before it became a container's (its init stage died with it;
    /// Destroy kills whatever is left inside).</summary>
    public static void RemoveSpareCgroup(ShimHandle warm)
    {
        try { Cgroups.CgroupManager.Open(Cgroups.CgroupManager.WarmSpareName(warm.ProcessId)).Destroy(); }
        catch (Exception e) when (e is Cgroups.CgroupException or IOException) { Log.Warn($"the spare cgroup of warm shim {warm.ProcessId}: {e.Message}"); }
    }

    /// <summary>
    /// At daemon start: the spare cgroups (minicontainer/warm-PID) whose warm shim is no longer running, e.g. one killed
    /// with SIGKILL, which cannot clean up after itself. A spare whose shim lives belongs to it (maybe another daemon's).
    /// </summary>
    public static void RemoveStaleSpareCgroups()
    {
        try
        {
            foreach (string parent in Cgroups.CgroupManager.Open(Cgroups.CgroupManager.ParentName).Directories)
            {
                if (!Directory.Exists(parent)) continue;
                foreach (string dir in Directory.GetDirectories(parent, Cgroups.CgroupManager.WarmSparePrefix + "*"))
                {
                    if (!int.TryParse(Path.GetFileName(dir)[Cgroups.CgroupManager.WarmSparePrefix.Length..], out int pid) || IsWarmShim(pid)) continue;
                    Cgroups.CgroupManager.Open(Cgroups.CgroupManager.WarmSpareName(pid)).Destroy();
                }
            }
        }
        catch (Exception e) when (e is Cgroups.CgroupException or IOException or UnauthorizedAccessException)
        {
            Log.Warn($"stale warm shim cgroups: {e.Message}");
        }
    }

    private static bool IsWarmShim(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains("minicontainer-shim", StringComparison.Ordinal); }
        catch (IOException) { return false; }
    }

    /// <summary>Starts the next warm shim, unless one is there or on its way.</summary>
    public void Refill()
    {
        lock (_gate)
        {
            if (_stopped || _next != null) return;
            _next = StartAsync(_mode);
        }
    }

    private static async Task<ShimHandle?> StartAsync(string mode)
    {
        await Task.Yield();   // off the caller's path: the start that triggered this answers first
        // Whatever goes wrong here, the start that would have taken it starts a shim of its own instead.
        try { return await ShimHandle.StartWarmAsync(mode); }
        catch (Exception e)
        {
            Log.Warn($"a warm shim could not be started: {e.Message}");
            return null;
        }
    }

    /// <summary>The daemon stops: the warm shim is told so (end of its stdin), and its init stage dies with it.</summary>
    public async Task StopAsync()
    {
        Task<ShimHandle?>? next;
        lock (_gate) { _stopped = true; next = _next; _next = null; }
        // It exits at once (end of stdin); a shim that does not is not waited for long: the daemon's stop goes on.
        if (next is not null && await next is { } shim) await Task.WhenAny(shim.AbortAsync(), Task.Delay(TimeSpan.FromSeconds(5)));
    }
}
