using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

public sealed class SecureJoinTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mc-securejoin-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_plain_path_is_joined()
    {
        Assert.Equal(_root + "/data/logs", SecureJoin.Resolve(_root, "/data/logs"));
    }

    [Fact]
    public void An_absolute_symlink_is_followed_inside_the_root_not_on_the_host()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.CreateSymbolicLink(Path.Combine(_root, "data"), "/etc");
        Assert.Equal(_root + "/etc/app", SecureJoin.Resolve(_root, "/data/app"));
    }

    [Fact]
    public void Dot_dot_and_relative_links_never_climb_above_the_root()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "escape"), "../../../../..");
        Assert.Equal(_root + "/x", SecureJoin.Resolve(_root, "/escape/x"));
        Assert.Equal(_root + "/y", SecureJoin.Resolve(_root, "/../../y"));
    }

    [Fact]
    public void A_dangling_absolute_link_still_resolves_inside_the_root()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "data"), "/mc-securejoin-nowhere/deeper");
        Assert.Equal(_root + "/mc-securejoin-nowhere/deeper/x", SecureJoin.Resolve(_root, "/data/x"));
    }

    [Fact]
    public void A_symlink_loop_is_an_error()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "a"), "/b");
        File.CreateSymbolicLink(Path.Combine(_root, "b"), "/a");
        Assert.Throws<IOException>(() => SecureJoin.Resolve(_root, "/a/x"));
    }
}
