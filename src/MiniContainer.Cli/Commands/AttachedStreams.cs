using System.Runtime.InteropServices;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// The client half of an attached container or exec: our stdin into the hijacked connection (its write side
/// shut when stdin ends), the container's output out of it — as is with a TTY, demultiplexed into our stdout
/// and stderr without. Shared by run, start -a, attach and exec.
/// </summary>
internal static class AttachedStreams
{
    /// <summary>Pumps both ways; returns when the daemon closes the output (the process ended).</summary>
    public static async Task PumpAsync(HijackedConnection connection, bool tty, bool sendStdin)
    {
        if (sendStdin)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    using var stdin = Stdio.OpenIn();
                    await stdin.CopyToAsync(connection.Stream);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or UnauthorizedAccessException) { }
                finally { connection.CloseWrite(); }
            });
        }

        // With nothing to send, this thread has nothing else to do: it reads the output blocking, and the runtime
        // starts no pool thread for it (see DockerClient.ReadTextAsync). Stdin, when sent, is pumped beside it.
        var output = sendStdin ? connection.Stream : new BlockingReadStream(connection.Stream);
        try
        {
            if (tty) await output.CopyToAsync(Stdio.OutStream);
            else await StreamFrames.DemultiplexAsync(output, Stdio.OutStream, Stdio.ErrStream);
        }
        catch (IOException e) when (e.Message.StartsWith("error from daemon", StringComparison.Ordinal))
        {
            Stdio.Err.WriteLine(e.Message);
        }
        catch (IOException) { /* the daemon dropped the connection: the wait result tells what happened */ }
    }
}

/// <summary>
/// The user's terminal while attached with -t: raw mode when stdin is a terminal and attached (-i), and the
/// window size sent now and on every SIGWINCH. Dispose restores everything.
/// </summary>
internal sealed class TerminalSession : IDisposable
{
    RawTerminal? _raw;
    PosixSignalRegistration? _winch;
    readonly SemaphoreSlim _sending = new(1, 1);

    public static TerminalSession Begin(bool tty, bool stdinAttached)
    {
        var session = new TerminalSession();
        if (tty && stdinAttached && Stdio.InIsTerminal) session._raw = RawTerminal.Enable(0);
        return session;
    }

    /// <summary>The terminal's size, read from stdout (as docker does), or stdin when stdout is redirected.</summary>
    public static (int Rows, int Cols)? Size() => TerminalNative.GetWindowSize(1) ?? TerminalNative.GetWindowSize(0);

    /// <summary>Follows the window: SIGWINCH is watched first (so no change can fall between the first send and the
    /// registration), then the size is sent now. A send that fails (the process may be a moment away, the daemon
    /// busy) is tried again, 0.1, 0.4, 1.4 and 4.4 s after the first, with the size of that moment; a failure never stops the
    /// following: the next window change sends again. Sends go one at a time, each reading the size only once it
    /// is its turn, so the last to reach the daemon carries the window as it is now (the daemon answers a resize
    /// once the shim has applied it): two sends side by side could land in either order and leave an old size.</summary>
    public async Task FollowWindowSizeAsync(Func<int, int, Task> resize)
    {
        async Task<bool> SendAsync()
        {
            await _sending.WaitAsync();
            try
            {
                if (Size() is not { } size) return true;
                await resize(size.Rows, size.Cols);
                return true;
            }
            catch (Exception e) when (e is ApiException or IOException or DaemonUnavailableException or HttpRequestException or OperationCanceledException)
            {
                return false;
            }
            finally { _sending.Release(); }
        }

        async Task SendWithRetriesAsync()
        {
            foreach (int delay in new[] { 0, 100, 300, 1000, 3000 })
            {
                if (delay > 0) await Task.Delay(delay);
                if (await SendAsync()) return;
            }
        }

        if (Size() is null) return;
        _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, signal => Task.Run(SendWithRetriesAsync));
        await SendWithRetriesAsync();
    }

    public void Dispose()
    {
        _winch?.Dispose();
        _raw?.Dispose();
    }
}

/// <summary>
/// Without a TTY, ^C reaches the CLI, not the container: like docker's --sig-proxy, we pass SIGINT, SIGTERM,
/// SIGHUP and SIGQUIT on to the container with POST /containers/{id}/kill and keep running until it exits.
/// </summary>
internal sealed class SignalProxy : IDisposable
{
    readonly List<PosixSignalRegistration> _registrations = [];

    public SignalProxy(DockerClient client, string containerId)
    {
        foreach (var (signal, name) in new[] { (PosixSignal.SIGINT, "SIGINT"), (PosixSignal.SIGTERM, "SIGTERM"), (PosixSignal.SIGHUP, "SIGHUP"), (PosixSignal.SIGQUIT, "SIGQUIT") })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                _ = Task.Run(async () =>
                {
                    try { await client.PostJsonAsync($"/containers/{Uri.EscapeDataString(containerId)}/kill?signal={name}"); }
                    catch (Exception e) when (e is ApiException or IOException or DaemonUnavailableException) { }
                });
            }));
        }
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
