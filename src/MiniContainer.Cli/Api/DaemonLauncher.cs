using System.Diagnostics;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Api;

/// <summary>
/// Starts minicontainerd in the background when no daemon answers on the default socket (never for a socket given
/// with -H or $MINICONTAINER_HOST, and not with --no-autostart): the binary beside
/// this one, in a new session (setsid) so closing the terminal does not take it down, its output appended to
/// /var/log/minicontainer/minicontainerd.log. Then waits up to 15 s for GET /_ping to answer.
/// </summary>
internal static class DaemonLauncher
{
    public const string DaemonBinaryName = "minicontainerd";
    public const string LogDirectory = "/var/log/minicontainer";
    public static readonly string LogFile = Path.Combine(LogDirectory, "minicontainerd.log");
    static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Pings the daemon; starts it when it is not there and <paramref name="autostart"/> allows.</summary>
    public static async Task EnsureRunningAsync(DockerClient client, bool autostart)
    {
        DaemonUnavailableException failure;
        try
        {
            if (await client.PingAsync(TimeSpan.FromSeconds(5))) return;
            // Something holds the socket but does not answer: starting a second daemon would not help.
            throw new DaemonUnavailableException($"The MiniContainer daemon at {client.Host.Uri} does not answer /_ping. Is minicontainerd hung?");
        }
        catch (DaemonUnavailableException e) when (e.Reason == UnavailableReason.NotRunning)
        {
            failure = e;
        }

        // Only the default daemon is ours to start: a socket named with -H belongs to a daemon someone runs with
        // their own flags (data root, group, remap), and starting a default one there would be a different daemon.
        if (!autostart || !client.Host.IsDefault) throw failure;
        if (TerminalNative.geteuid() != 0)
            throw new DaemonUnavailableException(
                $"{failure.Message}\nStarting it needs root: try again with sudo (for example 'sudo minicontainer {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}').");

        string daemon = FindDaemonBinary()
            ?? throw new DaemonUnavailableException($"{failure.Message}\n{DaemonBinaryName} was not found next to {AppContext.BaseDirectory} or on PATH; start it yourself or reinstall.");

        var started = Start(daemon, client.Host);
        var deadline = DateTime.UtcNow + StartupTimeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await client.PingAsync(TimeSpan.FromSeconds(1))) return;
            }
            catch (DaemonUnavailableException) { }
            if (started.HasExited && started.ExitCode != 0)
                throw new DaemonUnavailableException(
                    $"{failure.Message}\nminicontainerd exited with status {started.ExitCode} right after starting; the end of {LogFile}:\n{LogTail()}");
            await Task.Delay(100);
        }
        throw new DaemonUnavailableException(
            $"{failure.Message}\nminicontainerd was started but did not answer within {StartupTimeout.TotalSeconds:0} s; the end of {LogFile}:\n{LogTail()}");
    }

    /// <summary>The last lines of the daemon's log, indented, for an error message.</summary>
    static string LogTail(int lines = 5)
    {
        try
        {
            var tail = File.ReadLines(LogFile).TakeLast(lines).Select(l => "  " + l);
            return string.Join('\n', tail);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "  (log not readable)"; }
    }

    /// <summary>The daemon binary: beside the CLI (how we ship them), else on PATH.</summary>
    public static string? FindDaemonBinary()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, DaemonBinaryName);
        if (File.Exists(beside)) return beside;
        return FindOnPath(DaemonBinaryName);
    }

    internal static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            if (dir.Length == 0) continue;
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The daemon's arguments: only -H when the socket is not the default one.</summary>
    internal static List<string> DaemonArguments(DaemonHost host) => host.IsDefault ? [] : ["-H", host.Uri];

    static Process Start(string daemon, DaemonHost host)
    {
        Directory.CreateDirectory(LogDirectory);
        // The shell only does the redirections, then execs: setsid (new session, no controlling terminal) → minicontainerd.
        string setsid = FindOnPath("setsid") ?? "";
        string command = string.Join(' ', new[] { setsid.Length > 0 ? ShellQuote(setsid) : null, ShellQuote(daemon) }
            .Concat(DaemonArguments(host).Select(ShellQuote)).Where(s => s is not null));
        var psi = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            ArgumentList = { "-c", $"exec {command} </dev/null >>{ShellQuote(LogFile)} 2>&1" },
        };
        return Process.Start(psi) ?? throw new DaemonUnavailableException($"could not start {daemon}");
    }

    internal static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
