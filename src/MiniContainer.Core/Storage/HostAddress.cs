namespace MiniContainer.Storage;

/// <summary>
/// The -H/--host value of the daemon and the CLI: only a unix socket, as "unix:///absolute/path" or a bare
/// absolute path. The API can start privileged containers, so it is as powerful as root; Docker's answer for
/// remote use is TCP with mutual TLS, which MiniContainer does not implement. A tcp:// (or any other) address is
/// refused rather than taken as a file name.
/// </summary>
public static class HostAddress
{
    /// <summary>The socket's path, or <see cref="ArgumentException"/> saying why the address is not usable.</summary>
    public static string UnixSocketPath(string value)
    {
        string path = value;
        if (value.StartsWith("unix://", StringComparison.Ordinal)) path = value["unix://".Length..];
        else if (value.Contains("://", StringComparison.Ordinal) || value.StartsWith("tcp:", StringComparison.Ordinal) || value.StartsWith("fd:", StringComparison.Ordinal))
        {
            string scheme = value[..value.IndexOf(':')];
            throw new ArgumentException(
                $"unsupported host '{value}': only unix sockets are supported ({scheme}:// is not; TCP with TLS is not implemented). " +
                "Use unix:///path/to.sock, or reach a remote daemon's socket through an SSH tunnel " +
                "(ssh -L /tmp/remote.sock:/run/minicontainer/minicontainer.sock HOST, then -H unix:///tmp/remote.sock)");
        }
        if (path.Length == 0) throw new ArgumentException($"invalid host '{value}': the socket path is empty; use unix:///absolute/path.sock");
        if (!path.StartsWith('/'))
            throw new ArgumentException($"invalid host '{value}': the socket path must be absolute (unix:///absolute/path.sock), not relative to the current directory");
        return path;
    }
}
