using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using MiniContainer.Api;
using MiniContainer.Runtime;

namespace MiniContainer.Containers;

/// <summary>
/// The daemon's side of one shim process (container or exec): start it, read its two StartReport lines,
/// and open connections to its control socket (see ShimProtocol).
/// </summary>
public sealed class ShimHandle
{
    public static string ShimPath =>
        Environment.GetEnvironmentVariable("MINICONTAINER_SHIM") is { Length: > 0 } p ? p : Path.Combine(AppContext.BaseDirectory, "minicontainer-shim");

    private readonly Process _process;
    /// <summary>The container's (or exec's) process: what the shim reported.</summary>
    public int Pid { get; private set; }
    /// <summary>The shim's own process.</summary>
    public int ProcessId { get; }

    private ShimHandle(Process process)
    {
        _process = process;
        ProcessId = process.Id;
    }

    /// <summary>Starts `minicontainer-shim MODE ARG` and waits for its "created" report (the process exists, stopped before exec).</summary>
    /// <param name="clock">--debug timing: "spawn" ends when the shim's process exists (fork and exec done).</param>
    public static async Task<ShimHandle> CreateAsync(string mode, string arg, Diagnostics.PhaseClock? clock = null)
    {
        var shim = Spawn(mode, arg);
        clock?.Mark("spawn");
        await shim.ReadCreatedAsync();
        return shim;
    }

    private static ShimHandle Spawn(params string[] args)
    {
        var psi = new ProcessStartInfo(ShimPath)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false,
        };
        foreach (string arg in args) psi.ArgumentList.Add(arg);
        try { return new ShimHandle(Process.Start(psi)!); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ApiException(500, $"cannot start the shim {ShimPath}: {e.Message} (build it with scripts/build.sh)");
        }
    }

    private async Task ReadCreatedAsync()
    {
        var created = await ReadReportAsync();
        if (created.Error != null) { await ReapAsync(); throw new StartFailedException(created.Error, created.ExitCode); }
        Pid = created.Pid;
    }

    /// <summary>Starts `minicontainer-shim warm` or `warm-exec` (see WarmShim) and waits for its "ready" report (a
    /// container's: its init stage is cloned into its namespaces and waits). Null if it could not get that far.</summary>
    public static async Task<ShimHandle?> StartWarmAsync(string mode)
    {
        var shim = Spawn(mode);
        var ready = await shim.ReadReportAsync();
        if (ready.Error == null) return shim;
        Log.Warn($"a warm shim could not be prepared: {ready.Error}");
        await shim.AbortAsync();
        // A container's warm shim makes its spare cgroup before it reports ready; one that died in between (killed,
        // say) could not remove it, and nobody would until the daemon's next start.
        if (mode == "warm") WarmShim.RemoveSpareCgroup(shim);
        return null;
    }

    /// <summary>Makes a warm shim what <see cref="CreateAsync"/> would have started: "run BUNDLE" (a container's shim) or
    /// "exec EXECSPEC" on its stdin; then waits for its "created" report. False when the warm shim is gone (nothing was
    /// done: start one the usual way).</summary>
    public async Task<bool> TryRunAsync(string mode, string arg)
    {
        try
        {
            await _process.StandardInput.WriteLineAsync(mode + " " + arg);
            await _process.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            await ReapAsync();
            return false;
        }
        await ReadCreatedAsync();
        return true;
    }

    /// <summary>Releases the process to run its execve, and waits for the "started" report.</summary>
    public async Task StartAsync()
    {
        await _process.StandardInput.WriteLineAsync("start");
        await _process.StandardInput.FlushAsync();
        var started = await ReadReportAsync();
        _process.StandardInput.Close();
        if (started.Error != null)
        {
            await ReapAsync();
            throw new StartFailedException(started.Error, started.ExitCode);
        }
        _ = ReapAsync(); // the shim lives on; reap it when it ends so it leaves no zombie
    }

    /// <summary>Tells a created-but-never-started shim to give up. One that has already ended (and been reaped, its
    /// Process disposed: ObjectDisposedException is an InvalidOperationException) needs nothing more.</summary>
    public async Task AbortAsync()
    {
        try { _process.StandardInput.Close(); } catch (Exception e) when (e is IOException or InvalidOperationException) { }
        await ReapAsync();
    }

    private async Task<StartReport> ReadReportAsync()
    {
        string? line = await _process.StandardOutput.ReadLineAsync();
        if (line == null)
        {
            await ReapAsync();
            return new StartReport { Error = $"the shim exited early (status {_exitStatus?.ToString() ?? "unknown"}); see its shim.log", ExitCode = 125 };
        }
        return JsonSerializer.Deserialize(line, RuntimeJson.Default.StartReport)!;
    }

    /// <summary>The shim's exit status once reaped (read before the Process is disposed: it cannot be read after).</summary>
    private int? _exitStatus;

    private async Task ReapAsync()
    {
        try { await _process.WaitForExitAsync(); _exitStatus ??= _process.ExitCode; } catch (InvalidOperationException) { }
        // Process.Dispose leaves redirected streams the caller has used open: close our pipe ends ourselves,
        // or every container would leak two fds until a garbage collection happened to finalize them.
        try { _process.StandardInput.Dispose(); } catch (Exception e) when (e is IOException or InvalidOperationException) { }
        try { _process.StandardOutput.Dispose(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }

    /// <summary>Opens a control connection and says which output streams it wants ("" = only the exit).
    /// Null when the shim is gone or its process has already ended.</summary>
    public static async Task<NetworkStream?> ConnectAsync(string controlSocket, string streams)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(controlSocket));
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
        var stream = new NetworkStream(socket, ownsSocket: true);
        await ShimProtocol.WriteFrameAsync(stream, ShimProtocol.Attach, System.Text.Encoding.UTF8.GetBytes(streams));
        // Wait for the shim's 'K': only then is this client sure to receive all output that follows.
        // Anything else ('X': the process already ended, or end of stream) means there is nothing to attach to.
        var reply = await ShimProtocol.ReadFrameAsync(stream);
        if (reply is { Type: ShimProtocol.Attached }) return stream;
        stream.Dispose();
        return null;
    }
}
