using MiniContainer.Storage;

namespace MiniContainer.Cli.Api;

/// <summary>
/// Where the daemon listens: -H/--host, else $MINICONTAINER_HOST, else unix:///run/minicontainer/minicontainer.sock.
/// Only unix sockets: the daemon is root-only and local by design.
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
        if (value.StartsWith("unix://", StringComparison.Ordinal)) value = value["unix://".Length..];
        else if (value.Contains("://", StringComparison.Ordinal))
            throw new UsageException($"unsupported host '{value}': minicontainer only speaks to unix:// sockets");
        if (!value.StartsWith('/')) throw new UsageException($"invalid host '{value}': expected unix:///absolute/path");
        return new DaemonHost(value);
    }
}
