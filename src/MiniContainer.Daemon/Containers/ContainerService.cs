using MiniContainer.Linux;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Events;
using MiniContainer.Images;
using MiniContainer.Runtime;
using MiniContainer.Storage;

namespace MiniContainer.Containers;


/// <summary>
/// The container verbs, each a short recipe. `run` from the CLI arrives here as
/// Create (record + dirs) → Attach (optional) → Start (spec.json → shim → clone → init → execve) → Wait.
/// </summary>
public sealed partial class ContainerService
{
    private readonly HostPaths _paths;
    private readonly ImageStore _images;
    private readonly ConcurrentDictionary<string, Container> _containers = new();
    private readonly object _nameLock = new();

    /// <summary>--userns-remap: the host uid and gid ranges container ids map to; null = no user namespace.</summary>
    public UsernsRemap? UsernsRemap { get; init; }
    /// <summary>A container shim kept started ahead of time (cgroup v1 hosts), or null: every shim is started for its container.</summary>
    public WarmShim? WarmShims { get; init; }

    private readonly Volumes.VolumeStore _volumes;

    /// <summary>Bridge networks, endpoints, published ports (null: every container gets only loopback).</summary>
    public Networking.NetworkService? Networking { get; set; }

    /// <summary>Runs healthchecks while containers run (null: none are run, e.g. in tests of other parts).</summary>
    public HealthMonitor? Health { get; set; }

    /// <summary>Where container and volume-mount events go (GET /events): the daemon's one bus.</summary>
    public EventBus Events { get; init; } = new();

    public ContainerService(HostPaths paths, ImageStore images, Volumes.VolumeStore volumes)
    {
        _volumes = volumes;
        _paths = paths;
        _images = images;
        Directory.CreateDirectory(paths.Containers);
    }

    public IEnumerable<Container> All => _containers.Values.Where(c => !c.Removed);

    /// <summary>Volatile scratch space for short-lived mounts (export).</summary>
    public string ScratchDir => Path.Combine(_paths.ExecRoot, "scratch");

    // ---------------------------------------------------------------- create

    public Container Create(string? name, JsonObject body)
    {
        // A start usually follows at once (run, compose up): begin the wait of the move into the cgroup now, and keep
        // it paid until the start has its process there (see CgroupAttachPrimer). Not when a warm shim is there or on
        // its way: its init stage is in its cgroup already, and a primer's write would hold the cgroup lock against the
        // rename that makes that cgroup the container's.
        var warmth = WarmShims?.Expected == true ? null : Cgroups.CgroupAttachPrimer.WarmForMove();
        try
        {
            var c = CreateContainer(name, body);
            c.AttachWarmth = warmth;
            return c;
        }
        catch
        {
            warmth?.Dispose();
            throw;
        }
    }

    private Container CreateContainer(string? name, JsonObject body)
    {
        string imageRef = (string?)body["Image"] ?? throw new BadRequestException("config cannot be empty in order to create a container");
        var clock = Diagnostics.PhaseClock.Begin();
        var image = _images.Find(imageRef) ?? throw new NotFoundException($"No such image: {NormalizeForMessage(imageRef)}");
        using var explain = Explaining.ExplainSession.BeginFor(null, "create");
        string id = NewId();
        lock (_nameLock)
        {
            if (string.IsNullOrEmpty(name)) name = NameGenerator.Next(n => FindByName(n) != null);
            else
            {
                CreateRequest.ValidateName(name);
                name = name.TrimStart('/');
                if (FindByName(name) is { } existing)
                    throw new ConflictException($"Conflict. The container name \"/{name}\" is already in use by container \"{existing.Record.Id}\". You have to remove (or rename) that container to be able to reuse that name.");
            }
            var record = CreateRequest.Build(id, name, body, image);
            // A privileged container gets the host's devices and every capability; in a remapped user namespace its
            // root owns none of them. dockerd refuses the combination, and so do we.
            if (record.HostConfig.Privileged && UsernsRemap is not null && record.HostConfig.UsernsMode != "host")
                throw new BadRequestException("privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode (--userns=host)");
            CheckPidMode(record.HostConfig);
            HostConfigModes.CheckVolumeDriver(record.HostConfig,
                createsVolumes: record.Mounts.Any(m => m.Type == "volume" && (m.Name is null || _volumes.Find(m.Name) is null)));
            foreach (var link in ContainerLink.Of(record.HostConfig))
                if (Find(link.Name) is null)
                    throw new BadRequestException($"could not get container for {link.Name}: No such container: {link.Name}");
            Networking?.PrepareCreate(record, body);
            AddVolumesFrom(record);
            var c = new Container(record, _paths.Container(id), _paths.ContainerRun(id));
            clock?.Mark("config");
            try
            {
                ContainerMounts.Prepare(record.Mounts, _volumes, _images.LowerDirs(image));
                PrepareDirectories(c, image);
                clock?.Mark("files");
                c.SaveDurableUnlessAutoRemove();
                clock?.Mark("state");
                explain?.Finish(c);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ApiException)
            {
                UndoCreate(c);
                if (e is ApiException) throw;
                throw new ApiException(500, $"cannot create the container's files in {c.Dir}: {e.Message}");
            }
            _containers[id] = c;
            Log.Info($"container {c.Record.ShortId} created ({name}, image {imageRef})");
            Events.Container(record, "create");
            clock?.Report(c.Record.ShortId, "create");
            return c;
        }
    }

    /// <summary>A failed create leaves nothing behind: not its directory (a half-written one would come back as a
    /// container after a restart), nor the anonymous volumes made for it.</summary>
    private void UndoCreate(Container c)
    {
        try { DeleteTree(c.Dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Log.Warn($"cannot remove {c.Dir} of a failed create: {e.Message}"); }
        foreach (var m in c.Record.Mounts.Where(m => m.Type == "volume" && m.Name != null))
            if (_volumes.Find(m.Name!) is { } v && v.Labels.ContainsKey(Volumes.VolumeStore.AnonymousLabel) && UsersOfVolume(v.Name).Count == 0)
                try { _volumes.Remove(v.Name, Array.Empty<string>()); }
                catch (Exception e) { Log.Warn($"cannot remove volume {v.Name} of a failed create: {e.Message}"); }
    }

    private void PrepareDirectories(Container c, Image image)
    {
        var r = c.Record;
        HostDirectories.CreateLikeParent(c.Dir);   // as private as containers/ itself
        long t = Explaining.Explain.Begin();
        Directory.CreateDirectory(c.UpperDir);
        Directory.CreateDirectory(Path.Combine(c.Dir, "work"));
        Directory.CreateDirectory(Path.Combine(c.Dir, "merged"));
        if (t != 0) Explaining.Explain.Record(t, Explaining.ExplainText.RootfsDirectories(c.UpperDir, Path.Combine(c.Dir, "work"), Path.Combine(c.Dir, "merged"), string.Join(':', _images.LowerDirs(image))));
        r.LogPath = Path.Combine(c.Dir, c.Record.Id + "-json.log");
        r.HostnamePath = Path.Combine(c.Dir, "hostname");
        r.HostsPath = Path.Combine(c.Dir, "hosts");
        r.ResolvConfPath = Path.Combine(c.Dir, "resolv.conf");
        WriteEtcFilesAndLog(r, onlyLost: false);
        r.GraphDriver.Data = new Dictionary<string, string>
        {
            ["LowerDir"] = string.Join(':', _images.LowerDirs(image)),
            ["UpperDir"] = c.UpperDir,
            ["WorkDir"] = Path.Combine(c.Dir, "work"),
            ["MergedDir"] = Path.Combine(c.Dir, "merged"),
        };
    }

    /// <summary>--volumes-from CTR[:ro|:rw]: the same volumes and bind mounts as CTR, at the same places (read-only
    /// with :ro), except where this container mounts something itself.</summary>
    private void AddVolumesFrom(ContainerRecord record)
    {
        foreach (string spec in record.HostConfig.VolumesFrom ?? new())
        {
            string[] parts = spec.Split(':');
            string mode = parts.Length > 1 ? parts[1] : "";
            if (parts.Length > 2 || mode is not ("" or "ro" or "rw"))
                throw new BadRequestException($"invalid mode for volumes-from: {spec}");
            var source = Find(parts[0]) ?? throw new NotFoundException($"No such container: {parts[0]}");
            foreach (var m in source.Record.Mounts.Where(m => m.Type is "volume" or "bind"))
                if (!record.Mounts.Any(existing => existing.Destination == m.Destination))
                    record.Mounts.Add(new MountPoint
                    {
                        Type = m.Type, Name = m.Name, Source = m.Source, Destination = m.Destination, Driver = m.Driver,
                        Mode = m.Mode, RW = mode == "ro" ? false : mode == "rw" || m.RW, Propagation = m.Propagation, NoCopy = true,
                    });
        }
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static string NormalizeForMessage(string reference) =>
        reference.Contains(':') || reference.Contains('@') ? reference : reference + ":latest";

    // ---------------------------------------------------------------- find

    public Container Get(string idOrName) =>
        Find(idOrName) ?? throw new NotFoundException($"No such container: {idOrName}");

    public Container? Find(string idOrName)
    {
        if (string.IsNullOrEmpty(idOrName)) return null;
        if (_containers.TryGetValue(idOrName, out var exact) && !exact.Removed) return exact;
        if (FindByName(idOrName.TrimStart('/')) is { } byName) return byName;
        var byPrefix = All.Where(c => c.Record.Id.StartsWith(idOrName, StringComparison.Ordinal)).ToList();
        if (byPrefix.Count > 1) throw new BadRequestException($"multiple IDs found with provided prefix: {idOrName}");
        return byPrefix.FirstOrDefault();
    }

    private Container? FindByName(string name) => All.FirstOrDefault(c => c.Record.PlainName == name);

    // ---------------------------------------------------------------- start

    public async Task StartAsync(Container c)
    {
        await c.Gate.WaitAsync();
        try
        {
            if (c.Removed) throw new NotFoundException($"No such container: {c.Record.Id}");
            // A restarting container counts as running, as in dockerd: `restart` (or `stop` first) starts it now.
            if (c.Record.State.Running || c.Record.State.Restarting) throw new NotModifiedException();
            // A start by the user is a fresh start for the restart policy: no count, no back-off, not stopped by the user.
            c.Record.HasBeenManuallyStopped = false;
            c.Record.RestartCount = 0;
            c.RestartDelay = TimeSpan.Zero;
            await StartLockedAsync(c);
        }
        finally { c.Gate.Release(); }
    }

    /// <summary>Start, recorded step by step when --explain is on for the container (see ExplainSession).</summary>
    private async Task StartLockedAsync(Container c)
    {
        using var explain = Explaining.ExplainSession.BeginFor(c, "start");
        try { await StartRecipeAsync(c, explain is not null); }
        finally
        {
            explain?.Finish(c, c.Dir);
            WarmShims?.Refill();   // once this start is over, so it does not compete with it
        }
    }

    private async Task StartRecipeAsync(Container c, bool explain)
    {
        var r = c.Record;
        var clock = Diagnostics.PhaseClock.Begin();
        ContainerSpec spec;
        // What is checked at start (the --pid container, legacy links' targets, bind propagation) fails the start as
        // the shim's own failures do: recorded, and attached clients released.
        try { spec = BuildSpec(c); ClearVolatileMark(c); c.MountedByThisDaemon = true; }
        catch (ApiException e)
        {
            RecordStartFailure(c, new StartFailedException(e.Message, 125));
            foreach (var pending in c.PendingAttaches) pending.TrySetResult(null);   // no shim to attach to: their streams end
            c.PendingAttaches.Clear();
            c.PendingAttachStreams.Clear();
            if (r.HostConfig.AutoRemove) _ = RemoveAfterExitAsync(c);   // run --rm waits for the removal, as with dockerd
            throw;
        }
        spec.Process.Explain = explain;
        WriteEtcFilesAndLog(r, onlyLost: true);
        // Read by the shim and its init stage right away, and written again at every start: no fsync needed.
        AtomicFile.WriteAllBytes(c.SpecFile, JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeJson.Default.ContainerSpec), AtomicFile.Private, durable: false);
        // The init stage reads its spec as the container's root: under --userns-remap, the remapped uid and gid.
        if (spec.GidMappings is [{ } rootGid, ..]) { Kernel.LChown(c.SpecFile, 0, rootGid.HostId); Kernel.Chmod(c.SpecFile, HostDirectories.GroupReadableFile); }
        File.Delete(c.ExitFile);
        clock?.Mark("spec");

        ShimHandle shim;
        try { shim = await CreateShimAsync(c, spec, clock); }
        catch (StartFailedException e) { RecordStartFailure(c, e); throw; }
        finally { c.AttachWarmth?.Dispose(); }
        clock?.Mark("shim");   // its cgroup made, the init stage cloned into its namespaces and waiting for the go

        // Wire the network while PID 1 waits before exec: veth into its namespace, address, routes, ports.
        try { Networking?.ConnectAtStart(c, shim.Pid); }
        catch (ApiException e)
        {
            await shim.AbortAsync();
            RecordStartFailure(c, new StartFailedException(e.Message, 125));
            throw;
        }
        clock?.Mark("network");

        // Connect everyone who must see the first byte of output before the process may run.
        var monitor = await ShimHandle.ConnectAsync(c.ControlSocket, "");
        foreach (var (pending, streams) in c.PendingAttaches.Zip(c.PendingAttachStreams))
            pending.TrySetResult(await ShimHandle.ConnectAsync(c.ControlSocket, streams));
        c.PendingAttaches.Clear();
        c.PendingAttachStreams.Clear();
        clock?.Mark("attach");

        try { await shim.StartAsync(); }
        catch (StartFailedException e)
        {
            monitor?.Dispose();
            RecordStartFailure(c, e);
            if (r.HostConfig.AutoRemove) _ = RemoveAfterExitAsync(c);
            throw;
        }
        clock?.Mark("release");   // the go: the init stage builds the rootfs, pivots and execs; "started" read
        r.State = new ContainerState
        {
            Status = "running", Running = true, Pid = shim.Pid, StartedAt = ContainerState.Format(DateTimeOffset.UtcNow),
            Health = r.State.Health,
        };
        Health?.OnStarted(c);
        c.SaveDurableUnlessAutoRemove();
        Log.Info($"container {r.ShortId} started (pid {shim.Pid})");
        PublishVolumeEvents(r, "mount");
        Events.Container(r, "start");
        clock?.Mark("state");
        clock?.Report(r.ShortId, "start");
        if (monitor != null) _ = MonitorAsync(c, monitor);
        else await OnExitedAsync(c);
    }

    /// <summary>
    /// A --rm container's upper dir is mounted volatile (see OverlayVolatile), and the kernel then refuses to mount it
    /// again until its mark is removed. Such a container is started again only if its removal failed. The mark goes when
    /// this daemon made that mount: the host has not crashed since, so the upper dir is whole. Otherwise (a mark from
    /// before the daemon started: dockerd's rule of removing such containers at start did not get to it) the start fails.
    /// </summary>
    private static void ClearVolatileMark(Container c)
    {
        string mark = Storage.OverlayVolatile.MarkIn(c.Record.GraphDriver.Data["WorkDir"]);
        if (!Directory.Exists(mark)) return;
        if (!c.MountedByThisDaemon)
            throw new ApiException(500, $"the writable layer of container {c.Record.ShortId} was mounted volatile (--rm) before the daemon started: after a crash of the host its files cannot be trusted; remove the container");
        Directory.Delete(mark, recursive: true);
    }

    /// <summary>The container's shim, its init stage cloned and waiting: the warm one when the container suits it (see
    /// WarmShim), else one started for it.</summary>
    private async Task<ShimHandle> CreateShimAsync(Container c, ContainerSpec spec, Diagnostics.PhaseClock? clock)
    {
        if (WarmShims is { } warmShims && spec.SuitsWarmShim && await warmShims.TakeAsync() is { } warm)
        {
            clock?.Mark("spawn");   // nothing to spawn: it was started before
            c.AttachWarmth?.Dispose();   // nothing will be moved: a primer's write would only hold up the rename
            if (await warm.TryRunAsync("run", c.Dir)) return warm;
            WarmShim.RemoveSpareCgroup(warm);   // it died before it had the container: what it left
        }
        // The shim's move of PID 1 into its cgroup will wait less (create's lease may be gone: a restart, a later start).
        using var warmth = Cgroups.CgroupAttachPrimer.WarmForMove();
        return await ShimHandle.CreateAsync("run", c.Dir, clock);
    }

    /// <summary>
    /// The container's hostname, hosts and resolv.conf as create writes them (a start on a network rewrites hosts and
    /// resolv.conf), and its empty log. They follow from the record, so they are written without an fsync; a start
    /// first restores any that a crash lost (onlyLost: missing or empty) from the record, which is written durably.
    /// </summary>
    private static void WriteEtcFilesAndLog(ContainerRecord r, bool onlyLost)
    {
        // Bind-mounted into the container, so readable by any user inside (the directory keeps host users out).
        Write(r.HostnamePath, r.Config.Hostname + "\n", AtomicFile.WorldReadable);
        Write(r.HostsPath, EtcFiles.Hosts(r.HostConfig.NetworkMode, r.HostConfig.ExtraHosts), AtomicFile.WorldReadable);
        Write(r.ResolvConfPath, EtcFiles.ResolvConf(r.HostConfig.Dns), AtomicFile.WorldReadable);
        if (!onlyLost || !File.Exists(r.LogPath)) AtomicFile.WriteAllBytes(r.LogPath, [], AtomicFile.Private, durable: false);

        void Write(string path, string content, UnixFileMode mode)
        {
            if (onlyLost && new FileInfo(path) is { Exists: true, Length: > 0 }) return;
            AtomicFile.WriteAllText(path, content, mode, durable: false);
        }
    }

    private void RecordStartFailure(Container c, StartFailedException e)
    {
        c.Record.State = new ContainerState
        {
            Status = c.Record.State.StartedAt == ContainerState.ZeroTime ? "created" : "exited",
            ExitCode = e.ExitCode, Error = e.Message,
            StartedAt = c.Record.State.StartedAt, FinishedAt = c.Record.State.FinishedAt, Health = c.Record.State.Health,
        };
        c.Save();
        c.SignalExited();
        Log.Warn($"container {c.Record.ShortId} failed to start: {e.Message}");
    }

    private ContainerSpec BuildSpec(Container c)
    {
        var r = c.Record;
        var h = r.HostConfig;
        var (deviceNodes, deviceRules) = ContainerDeviceOptions.ForStart(h);
        var security = SecurityOptions.Of(h);
        // A record written before these lists existed gets the defaults it would get today.
        var (defaultMasked, defaultReadOnly) = SystemPaths.For(h.Privileged, security.SystemPathsUnconfined);
        var (capAdd, capDrop) = Capabilities(h);
        // Compiled here, once per start, for this container's capabilities; exec reuses it.
        c.SeccompFilter = security.CompileFilter(h.Privileged, h.CapAdd, h.CapDrop);
        return new ContainerSpec
        {
            Privileged = h.Privileged,
            MaskedPaths = h.MaskedPaths ?? defaultMasked,
            ReadonlyPaths = h.ReadonlyPaths ?? defaultReadOnly,
            Id = r.Id,
            Hostname = r.Config.Hostname,
            HostnamePath = r.HostnamePath, HostsPath = r.HostsPath, ResolvConfPath = r.ResolvConfPath,
            NetworkMode = h.NetworkMode == "host" ? "host" : "none",
            JoinNetworkNamespace = Networking?.NamespaceToJoin(r),
            PidNamespace = PidNamespaceOf(h), HostUts = h.UTSMode == "host", HostCgroupNamespace = h.CgroupnsMode == "host",
            Rootfs = new RootfsSpec
            {
                LowerDirs = r.GraphDriver.Data["LowerDir"].Split(':').ToList(),
                UpperDir = r.GraphDriver.Data["UpperDir"], WorkDir = r.GraphDriver.Data["WorkDir"], MergedDir = r.GraphDriver.Data["MergedDir"],
                ReadOnly = h.ReadonlyRootfs, Volatile = h.AutoRemove && Storage.OverlayVolatile.Supported,
            },
            Process = new ProcessSpec
            {
                Args = new[] { r.Path }.Concat(r.Args).ToList(),
                Env = CreateRequest.MergeEnv(LinkEnvironment(r), CreateRequest.ProcessEnv(r.Config)), Cwd = r.Config.WorkingDir is { Length: > 0 } w ? w : "/", User = r.Config.User, GroupAdd = h.GroupAdd,
                Terminal = r.Config.Tty, OpenStdin = r.Config.OpenStdin, Init = h.Init == true,
                ConsoleRows = (ushort)h.ConsoleSize[0], ConsoleCols = (ushort)h.ConsoleSize[1],
                CapAdd = capAdd, CapDrop = capDrop,
                NoNewPrivileges = security.NoNewPrivileges, SeccompFilter = c.SeccompFilter,
            },
            ShmSizeBytes = h.ShmSize > 0 ? h.ShmSize : 64 * 1024 * 1024,
            // Parents before children (/data before /data/logs), as Docker orders them.
            Mounts = r.Mounts.OrderBy(m => m.Destination.Count(ch => ch == '/')).Select(m => m.Type == "tmpfs"
                ? new MountSpec { Type = "tmpfs", Destination = m.Destination, ReadOnly = !m.RW, Options = string.IsNullOrEmpty(m.TmpfsOptions) ? null : m.TmpfsOptions }
                : new MountSpec { Type = "bind", Source = m.Source, Destination = m.Destination, ReadOnly = !m.RW,
                    Propagation = MountPropagation.IsPrivate(m.Propagation) ? null : MountPropagation.CheckSource(m.Source, m.Propagation) }).ToList(),
            CgroupName = "minicontainer/" + r.Id,
            Devices = deviceNodes.Count > 0 ? deviceNodes : null,
            UidMappings = UsernsRemap is null || h.UsernsMode == "host" ? null : [.. UsernsRemap.Uids],
            GidMappings = UsernsRemap is null || h.UsernsMode == "host" ? null : [.. UsernsRemap.Gids],
            Resources = ContainerResources.SpecOf(h, deviceRules.Select(rule => rule.ToString()).ToList()),
            LogPath = LogDrivers.LogFileFor(r),
            ControlSocket = c.ControlSocket,
            ExitFile = c.ExitFile,
        };
    }

    /// <summary>The --cap-add/--cap-drop a container's processes (its PID 1 and every exec) start with:
    /// --privileged means every capability, whatever was dropped, as in Docker.</summary>
    public static (List<string>? Add, List<string>? Drop) Capabilities(HostConfig h) =>
        h.Privileged ? (new List<string> { "ALL" }, null) : (h.CapAdd, h.CapDrop);

    /// <summary>Holds the monitor connection until the shim says the process exited (or the shim vanishes).</summary>
    private async Task MonitorAsync(Container c, NetworkStream monitor)
    {
        ExitRecord? reported = null;
        try
        {
            while (await ShimProtocol.ReadFrameAsync(monitor) is { } frame)
                if (frame.Type == ShimProtocol.Exited) { reported = ParseExitRecord(frame.Payload); break; }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        finally { monitor.Dispose(); }
        await OnExitedAsync(c, reported);
    }

    /// <summary>The exit record the shim sends with its Exited frame (the same JSON as exit.json).</summary>
    internal static ExitRecord? ParseExitRecord(ReadOnlyMemory<byte> payload)
    {
        if (payload.IsEmpty) return null;
        try { return JsonSerializer.Deserialize(payload.Span, RuntimeJson.Default.ExitRecord); }
        catch (JsonException) { return null; }
    }

    /// <summary>What a container whose shim died without recording an exit is said to have ended with. The kernel
    /// SIGKILLed its processes with the shim (and we killed the cgroup to be sure): 137, as containerd reports a task
    /// whose shim died.</summary>
    internal static ExitRecord ShimDied() => new()
    {
        ExitCode = 128 + 9, Signal = 9, FinishedAt = DateTimeOffset.UtcNow,
        Error = "the container's shim died (killed or crashed); its processes were killed with it",
    };

    /// <param name="reported">The record the shim sent over the control socket, if it did: it still holds the true exit
    /// code when the disk was too full for exit.json.</param>
    private async Task OnExitedAsync(Container c, ExitRecord? reported = null)
    {
        // Read before the exit is handled: a restart waiting for this exit clears it as soon as it is handled.
        bool remove = c.Record.HostConfig.AutoRemove && !c.KeptForRestart;
        var handling = c.BeginExitHandling();
        try { await HandleExitAsync(c, reported, removalFollows: remove); }
        finally { handling.TrySetResult(); }
        if (remove) await RemoveAfterExitAsync(c);
    }

    private async Task HandleExitAsync(Container c, ExitRecord? reported, bool removalFollows)
    {
        var clock = Diagnostics.PhaseClock.Begin();
        Health?.Stop(c);
        var exit = c.ReadExitRecord() ?? reported;
        var r = c.Record;
        if (exit is null)
        {
            // No exit recorded anywhere: the shim is gone. Its processes got SIGKILL from the kernel when it died
            // (parent-death signal); kill the whole cgroup too, for anything that got past that, and remove it.
            try { await DestroyCgroupAsync(c); }
            catch (ApiException e) { Log.Warn($"container {r.ShortId}: {e.Message}"); }
            exit = ShimDied();
            Log.Warn($"container {r.ShortId}: its shim died without recording an exit; killed what was left in its cgroup");
        }
        // The restart policy decides now, as dockerd's does: a container it will start again is "restarting" (with
        // the exit code and time of this run) rather than "exited" in between.
        var finished = exit.FinishedAt;
        var ranFor = DateTimeOffset.TryParse(r.State.StartedAt, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var started) ? finished - started : TimeSpan.Zero;
        bool restart = !c.Removed && !r.HostConfig.AutoRemove &&
                       RestartRules.AfterExit(r.HostConfig.RestartPolicy, exit.ExitCode, r.HasBeenManuallyStopped, r.RestartCount);
        c.RestartDelay = RestartRules.NextDelay(c.RestartDelay, ranFor);
        if (restart) r.RestartCount++;
        r.State = new ContainerState
        {
            Status = restart ? "restarting" : "exited",
            Restarting = restart,
            ExitCode = exit.ExitCode,
            OOMKilled = exit.OomKilled,
            Error = exit.Error ?? "",
            StartedAt = r.State.StartedAt,
            FinishedAt = ContainerState.Format(finished),
            Health = r.State.Health,
        };
        if (exit.OomKilled) Events.Container(r, "oom");
        Events.Container(r, "die", ("exitCode", r.State.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // Neither may stop the exit from being handled (--rm, restart policy, waiters), e.g. on a full disk.
        clock?.Mark("exit record");
        try { Networking?.OnStopped(c); }
        catch (Exception e) { Log.Warn($"container {r.ShortId}: releasing its network endpoints failed: {e.Message}"); }
        clock?.Mark("network");
        PublishVolumeEvents(r, "unmount");
        // An --rm container's exit is not saved: its removal follows at once, and should a crash come first, the
        // daemon removes it when it comes back whichever state its record was left in (ReloadAsync).
        try { if (!removalFollows) c.Save(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Log.Warn($"container {r.ShortId}: cannot save its exit state: {e.Message}"); }
        Log.Info($"container {r.ShortId} exited with {r.State.ExitCode}{(r.State.OOMKilled ? " (OOM killed)" : "")}" +
                 (restart ? $"; restart policy {r.HostConfig.RestartPolicy.Name}: restart #{r.RestartCount} in {c.RestartDelay.TotalMilliseconds:0} ms" : ""));
        if (restart) ScheduleRestart(c);
        c.SignalExited();
        clock?.Mark("state");
        clock?.Report(r.ShortId, "exit");
    }

    /// <summary>--restart: start the container again after its back-off (100 ms, doubling up to a minute; see
    /// RestartRules), unless a `stop`, `kill` or `rm -f` cancels it first (CancelRestartAsync).</summary>
    private void ScheduleRestart(Container c)
    {
        var cancel = new CancellationTokenSource();
        c.PendingRestart = cancel;
        _ = RestartAfterDelayAsync(c, c.RestartDelay, cancel.Token);
    }

    private async Task RestartAfterDelayAsync(Container c, TimeSpan delay, CancellationToken cancelled)
    {
        try { await Task.Delay(delay, cancelled); }
        catch (OperationCanceledException) { return; }   // whoever cancelled has set the state
        await c.Gate.WaitAsync();
        try
        {
            if (cancelled.IsCancellationRequested || c.Removed || !c.Record.State.Restarting) return;
            c.PendingRestart = null;
            // A start that fails records the failure ("exited", with the error) and ends the restarts, as in dockerd.
            try { await StartLockedAsync(c); }
            catch (ApiException e) { Log.Warn($"container {c.Record.ShortId}: restart failed: {e.Message}"); }
        }
        finally { c.Gate.Release(); }
    }

    /// <summary>Ends a "restarting" container's wait for its restart: it stays exited. False if it was not restarting
    /// (or the restart had begun: then it is running, and the caller stops it as any other).</summary>
    private async Task<bool> CancelRestartAsync(Container c)
    {
        if (!c.Record.State.Restarting) return false;
        await c.Gate.WaitAsync();
        try
        {
            if (!c.Record.State.Restarting) return false;
            c.PendingRestart?.Cancel();
            c.PendingRestart = null;
            c.Record.State.Restarting = false;
            c.Record.State.Status = "exited";
            c.Save();
            Log.Info($"container {c.Record.ShortId}: its pending restart was cancelled");
            c.SignalExited();
            return true;
        }
        finally { c.Gate.Release(); }
    }

    private async Task RemoveAfterExitAsync(Container c)
    {
        try { await RemoveAsync(c, force: true, removeVolumes: true); }
        catch (Exception e) { Log.Warn($"auto-remove of {c.Record.ShortId} failed: {e.Message}"); }
    }

    // ---------------------------------------------------------------- attach

    /// <summary>A shim connection carrying the requested streams: now if running, at start if not started yet.</summary>
    public async Task<NetworkStream?> AttachAsync(Container c, string streams)
    {
        TaskCompletionSource<NetworkStream?> pending;
        await c.Gate.WaitAsync();
        try
        {
            if (c.Record.State.Restarting) throw new ConflictException("You cannot attach to a restarting container, wait until it is running");
            if (c.Record.State.Status == "exited" || c.Removed)
                throw new ConflictException("You cannot attach to a stopped container, start it first");
            Events.Container(c.Record, "attach");
            if (c.Record.State.Running) return await ShimHandle.ConnectAsync(c.ControlSocket, streams);
            pending = new TaskCompletionSource<NetworkStream?>(TaskCreationOptions.RunContinuationsAsynchronously);
            c.PendingAttaches.Add(pending);
            c.PendingAttachStreams.Add(streams);
        }
        finally { c.Gate.Release(); }
        return await pending.Task;
    }

    public async Task ResizeAsync(Container c, int height, int width)
    {
        if (!c.Record.State.Running) throw new ConflictException($"Container {c.Record.Id} is not running");
        await SendToShimAsync(c.ControlSocket, ShimProtocol.Resize, $"{height} {width}");
    }

    /// <summary>Sends one frame on a control connection of its own and returns once the shim has acted on it: the shim
    /// reads its clients' frames in order and closes a connection only after the last one, so its close is the
    /// acknowledgement. Without it two resizes (the CLI's first and a window change right after) went out on two
    /// connections, and the shim's two client threads could apply them in either order, leaving the old size.</summary>
    public static async Task SendToShimAsync(string socket, byte type, string payload)
    {
        await using var s = await ShimHandle.ConnectAsync(socket, "");
        if (s == null) return;   // the process has ended: nothing to act on
        // The shim holds a resize until the process's terminal exists (a moment after start): bounded, so a shim
        // that never gets there cannot hold the request. A shim that goes away meanwhile (the process ended) is no error.
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        byte[] rest = new byte[64];
        try
        {
            await ShimProtocol.WriteFrameAsync(s, type, System.Text.Encoding.ASCII.GetBytes(payload));
            s.Socket.Shutdown(SocketShutdown.Send);
            while (await s.ReadAsync(rest, bounded.Token) > 0) { }
        }
        catch (OperationCanceledException) { Log.Warn($"the shim at {socket} did not act on a '{(char)type}' frame within 5 s"); }
        catch (Exception e) when (e is IOException or SocketException) { }
    }

    // ---------------------------------------------------------------- stop / kill / restart

    public async Task StopAsync(Container c, int? timeoutSeconds)
    {
        c.Record.HasBeenManuallyStopped = true;   // the restart policy leaves it stopped
        if (await CancelRestartAsync(c)) return;   // it was waiting to restart: now it stays exited
        var (exited, running) = RunningProcess(c);
        if (running is null) throw new NotModifiedException();
        int signal = Signals.Parse(c.Record.Config.StopSignal ?? "SIGTERM");
        int timeout = timeoutSeconds ?? c.Record.Config.StopTimeout ?? 10;
        Log.Info($"stopping {c.Record.ShortId} with {Kernel.SignalName(signal)}, {timeout}s before SIGKILL");
        if (timeout != 0)
        {
            Events.Container(c.Record, "kill", ("signal", signal.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Kernel.TryKill(running.Pid, signal);
            await ThawAfterSignalAsync(c);
        }
        if (timeout < 0) await exited;
        else if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(timeout))) != exited)
        {
            // The grace period is over: SIGKILL everything in the container's cgroup, not only its PID 1.
            Events.Container(c.Record, "kill", ("signal", "9"));
            await KillCgroupAsync(c);
            await exited;
        }
        Events.Container(c.Record, "stop");
    }

    /// <summary>
    /// The container's running state, read once, and the exit that will end it. The exit handler replaces the state
    /// (Pid 0) at any moment: reading State.Running and then State.Pid once more could signal pid 0, which is the
    /// daemon's own process group. The exit task is taken first, so an exit after the read completes it.
    /// </summary>
    private static (Task Exited, ContainerState? Running) RunningProcess(Container c)
    {
        var exited = c.NextExit;
        var state = c.Record.State;
        return (exited, state is { Running: true, Pid: > 0 } ? state : null);
    }

    public async Task KillAsync(Container c, string? signalName)
    {
        var r = c.Record;
        var (exited, running) = RunningProcess(c);
        if (running is null && !r.State.Restarting) throw new ConflictException($"Cannot kill container: {r.PlainName}: Container {r.Id} is not running");
        int signal = Signals.Parse(string.IsNullOrEmpty(signalName) ? "SIGKILL" : signalName);
        // As dockerd: SIGKILL or the container's stop signal means "stop it for good" to the restart policy.
        bool stopsIt = signal == Kernel.SIGKILL || signal == Signals.Parse(r.Config.StopSignal ?? "SIGTERM");
        if (stopsIt) r.HasBeenManuallyStopped = true;
        Events.Container(r, "kill", ("signal", signal.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // Restarting: there is no process to signal; a stopping signal cancels the pending restart.
        if (running is null) { if (stopsIt) await CancelRestartAsync(c); return; }
        Kernel.TryKill(running.Pid, signal);   // gone already (ESRCH): its exit is on its way, and answers as below
        await ThawAfterSignalAsync(c);   // as dockerd: a paused container is thawed after the signal, so it can act on it
        // As dockerd: a SIGKILL is answered once the exit is recorded (State.Running false, ExitCode 137), so that
        // a `rm` or `inspect` right after `kill` sees the container stopped. A shim that never reports does not
        // hold the answer up for long.
        if (signal == Kernel.SIGKILL && await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(10))) != exited)
            Log.Warn($"container {r.ShortId}: no exit reported 10s after SIGKILL");
    }

    /// <summary>Stop and start again. An --rm container is not removed by the exit of this stop (as with dockerd, which
    /// turns AutoRemove off for the stop); it is removed when it exits later.</summary>
    public async Task RestartAsync(Container c, int? timeout)
    {
        c.KeptForRestart = true;
        try { if (c.Record.State.Running || c.Record.State.Restarting) await StopAsync(c, timeout); }
        finally { c.KeptForRestart = false; }
        await StartAsync(c);
        Events.Container(c.Record, "restart");
    }

    // ---------------------------------------------------------------- remove

    /// <summary>Names of the containers that mount a volume (any state): a volume in use cannot be removed.</summary>
    public IReadOnlyList<string> UsersOfVolume(string volume) =>
        All.Where(c => c.Record.Mounts.Any(m => m.Type == "volume" && m.Name == volume)).Select(c => c.Record.Id).ToList();

    public async Task RemoveAsync(Container c, bool force, bool removeVolumes = false)
    {
        using var explain = Explaining.ExplainSession.BeginFor(c, "rm");
        if (c.Record.State.Restarting)
        {
            if (!force)
                throw new ConflictException($"You cannot remove a restarting container {c.Record.Id}. Stop the container before attempting removal or force remove");
            await CancelRestartAsync(c);
        }
        if (c.Record.State.Running)
        {
            if (!force)
                throw new ConflictException($"cannot remove container \"{c.Record.Name}\": container is running: stop the container before removing or force remove");
            // rm -f ends everything in the container's cgroup, not just its PID 1; the shim then reaps PID 1 and
            // reports the exit. A shim that reports nothing (hung, or gone) does not hold the removal up for long.
            c.Record.HasBeenManuallyStopped = true;   // no restart policy brings it back meanwhile
            var exited = c.NextExit;
            Events.Container(c.Record, "kill", ("signal", "9"));
            await KillCgroupAsync(c);
            if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(10))) != exited)
                Log.Warn($"container {c.Record.ShortId}: its shim reported no exit 10s after its cgroup was killed; removing it anyway");
        }
        await c.ExitHandled;   // an exit being handled finishes releasing the endpoints first
        var clock = Diagnostics.PhaseClock.Begin();
        await c.Gate.WaitAsync();
        try
        {
            if (c.Removed) return;
            if (c.Record.State.Running)
            {
                // A start won the race for the gate after we looked: end this run too before removing.
                if (!force) throw new ConflictException($"cannot remove container \"{c.Record.Name}\": container is running: stop the container before removing or force remove");
                var exited = c.NextExit;
                await KillCgroupAsync(c);
                await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(10)));
            }
            // No process and no cgroup may outlive the container (a dead shim's leftovers included). If this
            // fails, the container stays as it was and rm reports why.
            await DestroyCgroupAsync(c);
            clock?.Mark("cgroup");
            foreach (var pending in c.PendingAttaches) pending.TrySetResult(null);
            // From here on the container is going: no state write may re-create its directory (see BeginRemoval).
            c.BeginRemoval();
            c.Record.State.Status = "removing";
            string? doomed = MoveAside(c.Dir);          // one rename: after a crash from here on, the container is gone
            string? doomedRun = MoveAside(c.RunDir);
            _containers.TryRemove(c.Record.Id, out _);
            c.SignalRemoved();
            clock?.Mark("state");
            long t = Explaining.Explain.Begin();
            DeleteMovedAside(doomed);
            if (t != 0) Explaining.Explain.Record(t, Explaining.ExplainText.RemoveTree(doomed ?? c.Dir));
            DeleteMovedAside(doomedRun);
            clock?.Mark("files");
            Log.Info($"container {c.Record.ShortId} removed");
            Events.Container(c.Record, "destroy");
            explain?.Finish(c, keep: false);
            // rm -v (and --rm) also removes the container's anonymous volumes; named ones always stay.
            if (removeVolumes)
                foreach (var m in c.Record.Mounts.Where(m => m.Type == "volume" && m.Name != null))
                    if (_volumes.Find(m.Name!) is { } v && v.Labels.ContainsKey(Volumes.VolumeStore.AnonymousLabel) && UsersOfVolume(v.Name).Count == 0)
                        _volumes.Remove(v.Name, Array.Empty<string>());
            clock?.Report(c.Record.ShortId, "remove");
        }
        finally { c.Gate.Release(); }
    }

    /// <summary>
    /// POST /containers/prune: removes every container that is not running (created, exited, dead) and that
    /// <paramref name="matches"/> accepts; returns their IDs and the bytes their writable layers held.
    /// </summary>
    public async Task<(List<string> Deleted, long Reclaimed)> PruneAsync(Func<ContainerRecord, bool> matches)
    {
        var deleted = new List<string>();
        long reclaimed = 0;
        foreach (var c in All.Where(c => !c.Record.State.Running && c.Record.State.Status is not ("restarting" or "removing") && matches(c.Record)).ToList())
        {
            long size = DiskUsage.Bytes(c.UpperDir);
            try { await RemoveAsync(c, force: false); }
            catch (ConflictException) { continue; }   // it started meanwhile
            deleted.Add(c.Record.Id);
            reclaimed += size;
        }
        return (deleted, reclaimed);
    }

    private static void DeleteTree(string dir) => DeleteMovedAside(MoveAside(dir));

    /// <summary>Rename first so a crash mid-delete never leaves a half-deleted container that looks whole
    /// (ReloadAsync deletes what is left of a ".removing-" directory). Null when dir does not exist.</summary>
    private static string? MoveAside(string dir)
    {
        if (!Directory.Exists(dir)) return null;
        string doomed = dir + ".removing-" + Guid.NewGuid().ToString("N")[..8];
        Directory.Move(dir, doomed);
        return doomed;
    }

    private static void DeleteMovedAside(string? doomed)
    {
        if (doomed is null) return;
        try { Directory.Delete(doomed, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warn($"cannot delete {doomed} ({e.Message}); the next daemon start deletes it");
        }
    }

    // ---------------------------------------------------------------- the container's cgroup

    /// <summary>SIGKILL every process in the container's cgroup (cgroup.kill on v2, freezer + kill on v1; see ICgroup.KillAll).</summary>
    private static Task KillCgroupAsync(Container c) => CgroupActionAsync(c, cg => cg.KillAll(), "kill the processes of");

    /// <summary>Kill whatever is left in the container's cgroup and remove its directories in every hierarchy (idempotent).</summary>
    private static Task DestroyCgroupAsync(Container c) => CgroupActionAsync(c, cg => cg.Destroy(), "remove the cgroup of");

    private static async Task CgroupActionAsync(Container c, Action<Cgroups.ICgroup> action, string what)
    {
        Cgroups.ICgroup cgroup;
        try { cgroup = Cgroups.CgroupManager.Open(Cgroups.CgroupManager.NameFor(c.Record.Id)); }
        catch (Cgroups.CgroupException) { return; }   // no cgroup hierarchy at all: nothing of the container can be in one
        try { await Task.Run(() => action(cgroup)); }
        catch (Cgroups.CgroupException e) { throw new ApiException(500, $"cannot {what} container {c.Record.ShortId}: {e.Message}"); }
    }

    // ---------------------------------------------------------------- wait

    /// <summary>POST /containers/{id}/wait: "not-running" (default), "next-exit" or "removed".</summary>
    public async Task<ContainerState> WaitAsync(Container c, string condition, CancellationToken ct)
    {
        switch (condition)
        {
            case "removed":
                await c.RemovedTask.WaitAsync(ct);
                break;
            case "next-exit":
                await c.NextExit.WaitAsync(ct);
                break;
            default:
                // A restarting container counts as running, as in dockerd: the wait ends at its next exit.
                if (c.Record.State.Restarting) await c.NextExit.WaitAsync(ct);
                while (c.Record.State.Running) await c.NextExit.WaitAsync(ct);
                break;
        }
        return c.Record.State;
    }

    // ---------------------------------------------------------------- reload after a daemon restart

    private readonly List<Container> _startAfterReload = new();
    private readonly List<Container> _removeAfterReload = new();

    /// <summary>After ReloadAsync and the network's reconciliation: removes the --rm containers that were not running
    /// (created and never started, or exited and not yet removed), as dockerd does when it starts.</summary>
    public async Task RemoveAutoRemovedAfterReloadAsync()
    {
        foreach (var c in _removeAfterReload)
        {
            Log.Info($"container {c.Record.ShortId} (--rm) is not running: removing it");
            await RemoveAfterExitAsync(c);
        }
        _removeAfterReload.Clear();
    }

    /// <summary>After ReloadAsync and the network's reconciliation: starts the containers whose restart policy says to
    /// when the daemon starts (always; unless-stopped when the user had not stopped it; on-failure after a failure),
    /// as dockerd does — a start like the user's, so the count and back-off begin again.</summary>
    public async Task StartByPolicyAfterReloadAsync()
    {
        foreach (var c in _startAfterReload)
        {
            Log.Info($"container {c.Record.ShortId}: restart policy {c.Record.HostConfig.RestartPolicy.Name}: starting it with the daemon");
            try { await StartAsync(c); }
            catch (ApiException e) { Log.Warn($"container {c.Record.ShortId}: start by restart policy failed: {e.Message}"); }
        }
        _startAfterReload.Clear();
    }

    /// <summary>Reads every container back and reconciles it with what is really running: a live shim is reattached, a dead one's exit is recorded.</summary>
    public async Task ReloadAsync()
    {
        foreach (string dir in Directory.GetDirectories(_paths.Containers))
        {
            string name = Path.GetFileName(dir);
            if (name.Contains(".removing-")) { DeleteMovedAside(dir); continue; }
            string config = Path.Combine(dir, "config.v2.json");
            string? saved = null;
            try { saved = File.ReadAllText(config); }
            catch (FileNotFoundException) { }
            catch (IOException e)
            {
                Log.Warn($"skipping {dir}: unreadable config ({e.Message})");
                continue;
            }
            if (RecordLostInCrash(name, saved))
            {
                // What a crash left of a container whose record never reached the disk: a create cut short, or an --rm
                // container's unflushed save (Container.SaveDurableUnlessAutoRemove). Nothing of it can run again.
                Log.Warn($"removing {dir}: its record was lost in a crash (a create cut short, or an --rm container)");
                DeleteTree(dir);
                DeleteTree(_paths.ContainerRun(name));
                continue;
            }
            if (saved is null)
            {
                Log.Warn($"skipping {dir}: unreadable config (no {config})");
                continue;
            }
            ContainerRecord? record;
            try { record = JsonSerializer.Deserialize(saved, DaemonJson.Default.ContainerRecord); }
            catch (JsonException e)
            {
                Log.Warn($"skipping {dir}: unreadable config ({e.Message})");
                continue;
            }
            if (record == null) continue;
            var c = new Container(record, dir, _paths.ContainerRun(record.Id));
            if (record.State.Status == "removing")
            {
                // A removal was under way when the daemon stopped (or an old daemon saved this state mid-removal):
                // finish it, as dockerd does, rather than bring back a "Removal In Progress" ghost.
                Log.Info($"container {record.ShortId} was being removed: finishing the removal");
                try { await DestroyCgroupAsync(c); } catch (ApiException e) { Log.Warn(e.Message); }
                DeleteMovedAside(MoveAside(dir));
                DeleteMovedAside(MoveAside(c.RunDir));
                continue;
            }
            _containers[record.Id] = c;
            if (!record.State.Running)
            {
                // An --rm container that is not running (its removal, or its start, was cut short when the daemon
                // stopped): removed once the daemon is ready, as dockerd does (RemoveAutoRemovedAfterReloadAsync).
                if (record.HostConfig.AutoRemove) { _removeAfterReload.Add(c); continue; }
                // A restart the old daemon had scheduled died with it: the container is exited until decided below.
                if (record.State.Restarting) { record.State.Restarting = false; record.State.Status = "exited"; c.Save(); }
                // Restart policies also apply when the daemon (or the machine) comes back; started once the
                // daemon is ready (StartByPolicyAfterReloadAsync).
                if (record.State.Status != "created" &&
                    RestartRules.AtDaemonStart(record.HostConfig.RestartPolicy, record.State.ExitCode, record.HasBeenManuallyStopped, record.RestartCount))
                    _startAfterReload.Add(c);
                continue;
            }
            var monitor = await ShimHandle.ConnectAsync(c.ControlSocket, "");
            if (monitor != null)
            {
                Log.Info($"container {record.ShortId} still running (pid {record.State.Pid}): reattached");
                Health?.OnReattached(c);
                _ = MonitorAsync(c, monitor);
            }
            else
            {
                // No shim to talk to: anything of the container still running is unmanageable now. OnExitedAsync
                // kills and removes its cgroup (unless the shim recorded a clean exit first).
                await OnExitedAsync(c);
            }
        }
    }

    /// <summary>A container directory (named by its 64-hex id) whose record (<paramref name="saved"/>, null when there
    /// is no config.v2.json) is missing, empty or only zero bytes: the signs of a write that was not on disk when the host
    /// went down. A record that does not parse for another reason (a newer daemon's format, a damaged disk) is left alone.</summary>
    internal static bool RecordLostInCrash(string dirName, string? saved) =>
        dirName.Length == 64 && Digests.IsHex(dirName) && (saved is null || saved.AsSpan().IndexOfAnyExcept('\0') < 0);
}

/// <summary>Docker's signal names ("SIGTERM", "TERM", "15").</summary>
public static class Signals
{
    private static readonly string[] Names =
    {
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    };

    public static int Parse(string s)
    {
        if (int.TryParse(s, out int n) && n > 0 && n < 65) return n;
        string name = s.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal)) name = name[3..];
        int i = Array.IndexOf(Names, name);
        if (i > 0) return i;
        throw new BadRequestException($"Invalid signal: {s}");
    }
}

/// <summary>The runtime-managed /etc files.</summary>
public static class EtcFiles
{
    public static string Hosts(string networkMode, IEnumerable<string>? extraHosts = null)
    {
        string hosts = networkMode == "host" && File.Exists("/etc/hosts")
            ? File.ReadAllText("/etc/hosts")
            : "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
        // --add-host name:ip
        foreach (string entry in extraHosts ?? Array.Empty<string>())
        {
            string[] parts = entry.Split(':', 2);
            hosts += $"{parts[1]}\t{parts[0]}\n";
        }
        return hosts;
    }

    /// <summary>--dns servers, or else the host's resolv.conf without loopback nameservers (they mean nothing
    /// inside a network namespace).</summary>
    public static string ResolvConf(IEnumerable<string>? dns = null)
    {
        if (dns?.Any() == true) return string.Concat(dns.Select(d => $"nameserver {d}\n"));
        if (!File.Exists("/etc/resolv.conf")) return "";
        var lines = File.ReadAllLines("/etc/resolv.conf")
            .Where(l => !(l.TrimStart().StartsWith("nameserver", StringComparison.Ordinal) &&
                          (l.Contains(" 127.") || l.Contains(" ::1"))));
        return string.Join('\n', lines) + "\n";
    }
}
