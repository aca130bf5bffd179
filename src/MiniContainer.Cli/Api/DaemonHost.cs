using MiniContainer.Storage;

namespace MiniContainer.Cli.Api;

/// <summary>
/// Where the daemon listens: -H/--host, else $MINICONTAINER_HOST, else unix:///run/minicontainer/minicontainer.sock.
/// Only unix sockets (HostAddress): the daemon is root-only and local by design.
/// </summary>
internal sealed record DaemonHost(string SocketPath)
{
    public const string EnvironmentVariable = "MINICONTAINER_HOST";
    public static string DefaultSocketPath => HostPaths.Default.Socket;

    public string Uri => "unix://" + SocketPath;
    public bool IsDefault => SocketPath == DefaultSocketPath;

    public static DaemonHost Resolve(string? flag)
    {
        string? value = !string.IsNullOrEmpty(flag) ? flag : Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrEmpty(value) ? new DaemonHost(DefaultSocketPath) : Parse(value);
    }

    /// <summary>"unix:///path" or a bare absolute path.</summary>
    public static DaemonHost Parse(string value)
    {
        try { return new(HostAddress.UnixSocketPath(value)); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
