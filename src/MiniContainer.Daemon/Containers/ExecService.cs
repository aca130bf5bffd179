using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Runtime;
using MiniContainer.Storage;
using MiniContainer.Events;

namespace MiniContainer.Containers;

/// <summary>One `exec` session, kept in memory as Docker keeps them.</summary>
public sealed class ExecInstance
{
    public string Id { get; init; } = "";
    public Container Container { get; init; } = null!;
    public ProcessSpec Process { get; init; } = new();
    public bool AttachStdin, AttachStdout, AttachStderr, Detach;
    /// <summary>The sequence on a TTY's stdin that ends the exec's stream while the process runs on.</summary>
    public DetachKeys DetachKeys { get; set; } = DetachKeys.Default;
    /// <summary>exec --privileged: every capability for this process.</summary>
    public bool Privileged { get; init; }
    /// <summary>A healthcheck probe (logged only with --debug: one runs every interval).</summary>
    public bool IsProbe { get; init; }
    public bool Running;
    public int? ExitCode;
    public int Pid;
    /// <summary>Taken at create, ended once the start's process is in the cgroup (see CgroupAttachPrimer).</summary>
    public Cgroups.CgroupAttachPrimer.Lease? AttachWarmth;
    public string Dir => Path.Combine(Container.Dir, "exec", Id);
    public string ControlSocket => Path.Combine(Container.RunDir, "exec-" + Id[..12] + ".sock");
    public string ExitFile => Path.Combine(Dir, "exit.json");
    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// docker exec: create (remember the command) → start (a shim joins the container's namespaces and runs it) →
/// inspect (exit code). The process runs in the container's cgroup and namespaces but is not its PID 1.
/// </summary>
public sealed class ExecService
{
    private readonly ConcurrentDictionary<string, ExecInstance> _execs = new();

    /// <summary>Where exec_create / exec_start / exec_die events go: the daemon's one bus.</summary>
    public MiniContainer.Events.EventBus Events { get; init; } = new();

    /// <summary>An exec shim kept started ahead of time (see WarmShim), or null: every exec starts its own.</summary>
    public WarmShim? WarmShims { get; init; }

    /// <summary>Docker's action for an exec event: "exec_start: sh -c true".</summary>
    private static string ExecAction(string verb, ExecInstance exec) => $"{verb}: {string.Join(' ', exec.Process.Args)}";

    /// <summary>A lease on the cgroup move's grace period if the exec's process will be moved into the container's cgroup
    /// (see CgroupAttachPrimer.WarmForMove): the shim's child may not create it there when the container has its own
    /// user namespace, which the shim tells the same way (Kernel.SameNamespace).</summary>
    private static Cgroups.CgroupAttachPrimer.Lease? WarmIfMoved(Container c) =>
        Cgroups.CgroupAttachPrimer.WarmForMove(birthRefused: !MiniContainer.Linux.Kernel.SameNamespace($"/proc/{c.Record.State.Pid}/ns/user", "/proc/self/ns/user"));

    public ExecInstance Create(Container c, JsonObject body)
    {
        RefuseIfNotRunning(c);
        var cmd = CreateRequest.StringList(body["Cmd"]);
        if (cmd == null || cmd.Count == 0) throw new BadRequestException("No exec command specified");
        bool tty = (bool?)body["Tty"] ?? false;
        var size = body["ConsoleSize"] as JsonArray;
        var exec = NewExec(c, cmd, CreateRequest.StringList(body["Env"]), tty,
            user: (string?)body["User"], workingDir: (string?)body["WorkingDir"], privileged: (bool?)body["Privileged"] ?? false,
            attachStdin: (bool?)body["AttachStdin"] ?? false, attachStdout: (bool?)body["AttachStdout"] ?? false,
            attachStderr: (bool?)body["AttachStderr"] ?? false,
            rows: (ushort)((int?)size?[0] ?? 0), cols: (ushort)((int?)size?[1] ?? 0));
        exec.Detach = (bool?)body["Detach"] ?? false;
        // Go decodes JSON field names case-insensitively: docker-py sends "detachKeys".
        string? keys = (string?)(body["DetachKeys"] ?? body["detachKeys"]);
        try { exec.DetachKeys = DetachKeys.Parse(keys); }
        catch (FormatException) { throw new BadRequestException($"Invalid escape keys ({keys}) provided"); }
        // An exec's start follows its create at once (docker exec, docker-py): start the cgroup move's grace period now,
        // and keep it paid until the start's process is in the cgroup. The exec's shim reaches its move a few ms after
        // the start; with one no-op move at the start it still waited 0-7 ms of the period (median ~3.7).
        exec.AttachWarmth = WarmIfMoved(c);
        Register(exec);
        Events.Container(c.Record, ExecAction("exec_create", exec), ("execID", exec.Id));
        return exec;
    }

    /// <summary>A health probe: the container's user, working directory, environment and confinement, no TTY, no
    /// stdin, stdout and stderr captured. Known to GET /exec/{id}/json while it runs but kept out of the container's
    /// ExecIDs (a probe every few hundred ms would otherwise fill them); the caller calls <see cref="Forget"/> at its end.</summary>
    public ExecInstance CreateProbe(Container c, List<string> cmd)
    {
        RefuseIfNotRunning(c);
        var exec = NewExec(c, cmd, null, tty: false, user: null, workingDir: null, privileged: false,
            attachStdin: false, attachStdout: true, attachStderr: true, rows: 0, cols: 0, isProbe: true);
        _execs[exec.Id] = exec;
        return exec;
    }

    public void Forget(ExecInstance exec) => _execs.TryRemove(exec.Id, out _);

    private void Register(ExecInstance exec)
    {
        _execs[exec.Id] = exec;
        exec.Container.Record.ExecIDs.Add(exec.Id);
    }

    private static void RefuseIfNotRunning(Container c)
    {
        if (c.Record.State.Restarting)
            throw new ConflictException($"Container {c.Record.Id} is restarting, wait until the container is running");
        if (!c.Record.State.Running) throw new ConflictException($"container {c.Record.Id} is not running");
        if (c.Record.State.Paused) throw new ConflictException($"Container {c.Record.Id} is paused, unpause the container before exec");
    }

    private static ExecInstance NewExec(Container c, List<string> cmd, List<string>? extraEnv, bool tty, string? user, string? workingDir,
        bool privileged, bool attachStdin, bool attachStdout, bool attachStderr, ushort rows, ushort cols, bool isProbe = false)
    {
        var env = CreateRequest.MergeEnv(c.Record.Config.Env, extraEnv);
        if (tty && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal))) env.Add("TERM=xterm");
        // An exec'd process has the container's capabilities; exec --privileged gives it all of them.
        var (capAdd, capDrop) = privileged ? (new List<string> { "ALL" }, null) : ContainerService.Capabilities(c.Record.HostConfig);
        return new ExecInstance
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            Container = c,
            AttachStdin = attachStdin, AttachStdout = attachStdout, AttachStderr = attachStderr,
            Process = new ProcessSpec
            {
                Args = cmd, Env = env, Terminal = tty, OpenStdin = attachStdin,
                User = user is { Length: > 0 } u ? u : c.Record.Config.User,
                GroupAdd = c.Record.HostConfig.GroupAdd,   // as dockerd's getUser: --group-add applies to exec too
                Cwd = workingDir is { Length: > 0 } w ? w : c.Record.Config.WorkingDir is { Length: > 0 } cw ? cw : "/",
                ConsoleRows = rows, ConsoleCols = cols,
                // As docker exec: the container's no_new_privs and seccomp filter (exec --privileged changes only the
                // capabilities, as in Docker).
                CapAdd = capAdd, CapDrop = capDrop,
                NoNewPrivileges = SecurityOptions.Of(c.Record.HostConfig).NoNewPrivileges,
                SeccompFilter = c.SeccompFilter ?? SecurityOptions.FilterFor(c.Record.HostConfig),
            },
            Privileged = privileged,
            IsProbe = isProbe,
        };
    }

    public ExecInstance Get(string id) =>
        _execs.TryGetValue(id, out var e) ? e : throw new NotFoundException($"No such exec instance: {id}");

    /// <summary>
    /// Starts the exec's shim and, unless detached, returns a connection carrying its output, opened before the
    /// process was released so nothing is missed. A command that cannot run throws StartFailedException.
    /// </summary>
    /// <summary>The errors a start answers with a status code, before any stream: the container is not running,
    /// or this exec has already run.</summary>
    public void CheckStartable(ExecInstance exec)
    {
        RefuseIfNotRunning(exec.Container);
        if (exec.Running || exec.ExitCode != null) throw new ConflictException($"Error: Exec command {exec.Id} has already run");
    }

    public async Task<NetworkStream?> StartAsync(ExecInstance exec, bool detach, bool tty)
    {
        var c = exec.Container;
        var clock = exec.IsProbe ? null : Diagnostics.PhaseClock.Begin();
        // The shim's move of the process into the container's cgroup will wait less (create's lease may have ended).
        using var warmth = WarmIfMoved(c);
        lock (exec)
        {
            CheckStartable(exec);
            exec.Running = true;
        }
        // --explain: recorded when the exec was created with ?explain=1 or the container records everything.
        using var explain = exec.IsProbe ? null : Explaining.ExplainSession.BeginFor(c, $"exec {exec.Id[..12]}", asked: exec.Process.Explain);
        exec.Process.Explain = explain is not null;
        var spec = new ExecSpec
        {
            Id = exec.Id, ContainerId = c.Record.Id, TargetPid = c.Record.State.Pid, Process = exec.Process,
            CgroupName = "minicontainer/" + c.Record.Id, ControlSocket = exec.ControlSocket, ExitFile = exec.ExitFile,
        };
        Directory.CreateDirectory(exec.Dir);
        string specPath = Path.Combine(exec.Dir, "spec.json");
        // Read by the exec's shim right away and never again: no fsync needed.
        AtomicFile.WriteAllBytes(specPath, JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeJson.Default.ExecSpec), AtomicFile.Private, durable: false);
        clock?.Mark("spec");

        NetworkStream? output = null, monitor = null;
        try
        {
            ShimHandle shim;
            try { shim = await CreateShimAsync(specPath, clock); }
            finally { warmth?.Dispose(); exec.AttachWarmth?.Dispose(); }
            exec.Pid = shim.Pid;
            clock?.Mark("shim");   // spawned, joined the container's namespaces and cgroup; held before execve
            monitor = await ShimHandle.ConnectAsync(exec.ControlSocket, "");
            if (!detach)
            {
                string streams = (exec.AttachStdout ? "stdout " : "") + (exec.AttachStderr ? "stderr" : "");
                output = await ShimHandle.ConnectAsync(exec.ControlSocket, streams);
            }
            clock?.Mark("attach");
            await shim.StartAsync();
            clock?.Mark("release");
        }
        catch (StartFailedException)
        {
            output?.Dispose(); monitor?.Dispose();
            // dockerd records 126 for an exec that could not start, whatever the cause (a missing program
            // included: 127 is a shell's or `docker run`'s answer, not exec's).
            Finish(exec, 126);
            throw;
        }
        finally
        {
            explain?.Finish(c, exec.Dir);
            WarmShims?.Refill();   // once this start is over, so it does not compete with it
        }
        string started = $"exec {exec.Id[..12]} in {c.Record.ShortId}: {string.Join(' ', exec.Process.Args)}";
        if (exec.IsProbe) Log.Trace("health check " + started); else Log.Info(started);
        if (!exec.IsProbe) Events.Container(c.Record, ExecAction("exec_start", exec), ("execID", exec.Id));
        clock?.Report(exec.Id[..12], "exec start");
        _ = MonitorAsync(exec, monitor);
        return output;
    }

    /// <summary>The exec's shim, joined to the container and its process held before execve: the warm one if there is
    /// one, else one started for it.</summary>
    private async Task<ShimHandle> CreateShimAsync(string specPath, Diagnostics.PhaseClock? clock)
    {
        if (WarmShims is { } warmShims && await warmShims.TakeAsync() is { } warm)
        {
            clock?.Mark("spawn");   // nothing to spawn: it was started before
            if (await warm.TryRunAsync("exec", specPath)) return warm;
        }
        return await ShimHandle.CreateAsync("exec", specPath, clock);
    }

    private async Task MonitorAsync(ExecInstance exec, NetworkStream? monitor)
    {
        ExitRecord? exit = null;
        if (monitor != null)
        {
            try
            {
                while (await ShimProtocol.ReadFrameAsync(monitor) is { } f)
                    if (f.Type == ShimProtocol.Exited) { exit = ContainerService.ParseExitRecord(f.Payload); break; }
            }
            catch (Exception e) when (e is IOException or SocketException) { }
            finally { monitor.Dispose(); }
        }
        try { exit = JsonSerializer.Deserialize(File.ReadAllText(exec.ExitFile), RuntimeJson.Default.ExitRecord) ?? exit; }
        catch (Exception e) when (e is IOException or JsonException) { }
        // No record at all: the exec's shim died, and the kernel SIGKILLed the exec'd process with it (its
        // parent-death signal); the container itself runs on. Reported as that kill: 137.
        if (exit is null) Log.Warn($"exec {exec.Id[..12]}: its shim died without recording an exit; the process was killed with it");
        Finish(exec, (exit ?? ContainerService.ShimDied()).ExitCode);
    }

    private void Finish(ExecInstance exec, int exitCode)
    {
        exec.ExitCode = exitCode;
        exec.Running = false;
        if (!exec.IsProbe) Events.Container(exec.Container.Record, "exec_die", ("execID", exec.Id), ("exitCode", exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        exec.Ended.TrySetResult();
        try { Directory.Delete(exec.Dir, true); } catch (IOException) { }
    }

    public async Task ResizeAsync(ExecInstance exec, int h, int w)
    {
        if (!exec.Running) throw new ConflictException($"Exec {exec.Id} is not running");
        await ContainerService.SendToShimAsync(exec.ControlSocket, ShimProtocol.Resize, $"{h} {w}");
    }

    /// <summary>GET /exec/{id}/json, Docker's shape.</summary>
    public ExecInspect Inspect(ExecInstance e) => new()
    {
        ID = e.Id,
        Running = e.Running,
        ExitCode = e.ExitCode,
        ProcessConfig = new ExecProcessConfig(
            Tty: e.Process.Terminal,
            Entrypoint: e.Process.Args[0],
            Arguments: e.Process.Args.Skip(1).ToArray(),
            Privileged: e.Privileged,
            User: e.Process.User),
        OpenStdin = e.AttachStdin,
        OpenStderr = e.AttachStderr,
        OpenStdout = e.AttachStdout,
        CanRemove = false,
        ContainerID = e.Container.Record.Id,
        DetachKeys = "",
        Pid = e.Pid,
    };
}
