using MiniContainer.Storage;
using Xunit;

namespace MiniContainer.UnitTests.Storage;

/// <summary>-H for the daemon and the CLI: unix sockets by absolute path only.</summary>
public sealed class HostAddressTests
{
    [Theory]
    [InlineData("unix:///run/x.sock", "/run/x.sock")]
    [InlineData("/tmp/x.sock", "/tmp/x.sock")]
    public void Unix_urls_and_absolute_paths_are_sockets(string value, string path) => Assert.Equal(path, HostAddress.UnixSocketPath(value));

    [Theory]
    [InlineData("tcp://127.0.0.1:23750", "TLS is not implemented")]
    [InlineData("tcp://127.0.0.1:23750", "SSH tunnel")]
    [InlineData("ssh://me@host", "ssh:// is not")]
    [InlineData("fd://", "fd:// is not")]
    [InlineData("tcp:127.0.0.1:2375", "only unix sockets")]
    [InlineData("unix://relative.sock", "must be absolute")]
    [InlineData("x.sock", "must be absolute")]
    [InlineData("unix://", "empty")]
    public void Everything_else_is_refused_with_a_reason(string value, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => HostAddress.UnixSocketPath(value));
        Assert.Contains(message, e.Message);
    }
}
