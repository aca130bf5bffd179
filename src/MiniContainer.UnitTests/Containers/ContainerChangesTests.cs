using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>docker diff from an upper dir: the runtime's /etc files, and the image directory that holds them, are not changes.</summary>
public sealed class ContainerChangesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mc-changes-").FullName;
    private string Lower => Path.Combine(_root, "lower");
    private string Upper => Path.Combine(_root, "upper");

    public ContainerChangesTests()
    {
        Directory.CreateDirectory(Path.Combine(Lower, "etc"));
        File.WriteAllText(Path.Combine(Lower, "etc", "passwd"), "root:x:0:0::/root:/bin/sh\n");
        Directory.CreateDirectory(Path.Combine(Upper, "etc"));
        foreach (string f in new[] { "hosts", "hostname", "resolv.conf" }) File.WriteAllText(Path.Combine(Upper, "etc", f), "");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private List<Change> Read() => ContainerChanges.Read(Upper, [Lower], []);

    [Fact]
    public void Etc_that_only_holds_the_runtime_files_is_not_listed()
    {
        File.WriteAllText(Path.Combine(Upper, "test"), "");
        Assert.Equal([new Change("/test", 1)], Read());
    }

    [Fact]
    public void A_file_the_container_wrote_in_etc_lists_etc_as_changed()
    {
        File.WriteAllText(Path.Combine(Upper, "etc", "motd"), "hi");
        Assert.Equal([new Change("/etc", 0), new Change("/etc/motd", 1)], Read());
    }

    [Fact]
    public void A_chmod_of_etc_is_a_change()
    {
        File.SetUnixFileMode(Path.Combine(Upper, "etc"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Path.Combine(Lower, "etc"), (UnixFileMode)0b111_101_101);
        Assert.Equal([new Change("/etc", 0)], Read());
    }
}
