using System.Net.Sockets;
using System.Text.Json;
using MiniContainer.Api;
using MiniContainer.Runtime;
using MiniContainer.Storage;

namespace MiniContainer.Containers;

/// <summary>A container the daemon manages: its record plus the live bits (lock, waiters, pending attaches).</summary>
public sealed class Container
{
    public ContainerRecord Record { get; }
    public string Dir { get; }
    /// <summary>The writable layer: overlayfs's upperdir, where everything the container changes lands.</summary>
    public string UpperDir => Path.Combine(Dir, "upper");
    public string RunDir { get; }
    public string ControlSocket => Path.Combine(RunDir, "shim.sock");
    public string ExitFile => Path.Combine(Dir, "exit.json");
    public string SpecFile => Path.Combine(Dir, "spec.json");
    public string ConfigFile => Path.Combine(Dir, "config.v2.json");

    /// <summary>The seccomp filter compiled at the last start (null: none); exec'd processes get the same.</summary>
    public byte[]? SeccompFilter { get; set; }

    /// <summary>The restart policy's current back-off (zero: none yet; see RestartRules.NextDelay).</summary>
    public TimeSpan RestartDelay { get; set; }

    /// <summary>Cancels the restart the policy has scheduled while the container is "restarting" (null: none).</summary>
    public CancellationTokenSource? PendingRestart { get; set; }

    /// <summary>Set while a `restart` stops the container: that exit does not remove an --rm container.</summary>
    public bool KeptForRestart { get; set; }

    /// <summary>Whether this daemon process started the container (and so mounted its upper dir) at least once: a
    /// volatile mount it made was not cut short by a crash of the host (see ContainerService.ClearVolatileMark).</summary>
    public bool MountedByThisDaemon { get; set; }

    /// <summary>Taken at create, ended once the first start's PID 1 is in its cgroup (see CgroupAttachPrimer).</summary>
    public Cgroups.CgroupAttachPrimer.Lease? AttachWarmth { get; set; }

    /// <summary>Guards State.Health between the health monitor's probes and the container stopping.</summary>
    public object HealthLock { get; } = new();

    /// <summary>Serialises start/stop/remove of this container.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Attach requests that arrived before start: start connects them to the shim before releasing the process.</summary>
    public List<TaskCompletionSource<NetworkStream?>> PendingAttaches { get; } = new();
    public List<string> PendingAttachStreams { get; } = new();

    private TaskCompletionSource _exited = NewSignal();
    private readonly TaskCompletionSource _removed = NewSignal();

    public bool Removed => _removed.Task.IsCompleted;

    public Container(ContainerRecord record, string dir, string runDir)
    {
        Record = record;
        Dir = dir;
        RunDir = runDir;
    }

    /// <summary>Completes at the next exit (or at once when told the current run has already ended).</summary>
    public Task NextExit => _exited.Task;
    public Task RemovedTask => _removed.Task;

    public void SignalExited()
    {
        var old = _exited;
        _exited = NewSignal();
        old.TrySetResult();
    }

    public void SignalRemoved() { _removed.TrySetResult(); SignalExited(); }

    /// <summary>
    /// Completes when the daemon has finished handling the last exit: state, endpoints, ports and DNS names released.
    /// The state reads "exited" a moment before that, so a removal waits on this first; otherwise `rm` could return while
    /// the container still held an endpoint, and a `network rm` just after it would find "active endpoints".
    /// </summary>
    public Task ExitHandled { get; private set; } = Task.CompletedTask;

    public TaskCompletionSource BeginExitHandling()
    {
        var handling = NewSignal();
        ExitHandled = handling.Task;
        return handling;
    }

    private readonly object _stateLock = new();
    private bool _removing;

    /// <summary>
    /// From now on nothing writes this container's state again: an exit handler, a network change or a restart
    /// that races with `rm` must not re-create the directory rm is deleting (AtomicFile would create it), or the
    /// container comes back after a daemon restart as a "Removal In Progress" ghost. Waits for a Save in flight.
    /// </summary>
    public void BeginRemoval()
    {
        lock (_stateLock) _removing = true;
    }

    /// <summary>Writes config.v2.json atomically; does nothing once removal has begun or the directory is gone.
    /// Durable (fsynced before the rename) unless the caller knows a lost write cannot matter: see SaveDurableUnlessAutoRemove.</summary>
    public void Save(bool durable = true)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(Record, DaemonJson.Default.ContainerRecord);
        lock (_stateLock)
        {
            if (_removing || !Directory.Exists(Dir)) return;
            AtomicFile.WriteAllBytes(ConfigFile, json, AtomicFile.Private, durable);
        }
    }

    /// <summary>
    /// The save of a create or a start. An --rm container's is not fsynced: whatever a crash of the host leaves of it,
    /// the container is removed when the daemon comes back (ReloadAsync), since nothing of it runs after a reboot. A
    /// lost save leaves the older record, or on filesystems that do not flush a renamed file first an empty one, which
    /// ReloadAsync also removes. Page-cache writes survive a crash of the daemon alone, so a running container is still
    /// found running. The fsync costs about a millisecond on the path of each `run --rm`.
    /// </summary>
    public void SaveDurableUnlessAutoRemove() => Save(durable: !Record.HostConfig.AutoRemove);

    public ExitRecord? ReadExitRecord()
    {
        try { return JsonSerializer.Deserialize(File.ReadAllText(ExitFile), RuntimeJson.Default.ExitRecord); }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
