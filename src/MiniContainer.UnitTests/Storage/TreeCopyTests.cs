using System.Formats.Tar;
using MiniContainer.Linux;
using MiniContainer.Storage;
using Xunit;

namespace MiniContainer.UnitTests.Storage;

/// <summary>TreeArchive and TreeExtractor on a temp dir (no root needed: owners are left alone).</summary>
public sealed class TreeCopyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-treecopy-").FullName;
    private readonly string _outside;

    public TreeCopyTests()
    {
        _outside = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(_outside);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static MemoryStream Tar(params (string Name, TarEntryType Type, string? Data, string? Link)[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, type, data, link) in entries)
            {
                var e = new PaxTarEntry(type, name) { Mode = (UnixFileMode)0b110_100_100 };
                if (data != null) e.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(data));
                if (link != null) e.LinkName = link;
                writer.WriteEntry(e);
            }
        stream.Position = 0;
        return stream;
    }

    private string Dest()
    {
        string dest = Path.Combine(_dir, "dest");
        Directory.CreateDirectory(dest);
        return dest;
    }

    private static readonly ExtractOptions NoChown = new(Chown: false);

    [Fact]
    public async Task A_tree_survives_the_round_trip_with_modes_links_and_times()
    {
        string src = Path.Combine(_dir, "src");
        Directory.CreateDirectory(Path.Combine(src, "sub"));
        File.WriteAllText(Path.Combine(src, "sub", "f"), "hello");
        File.SetUnixFileMode(Path.Combine(src, "sub", "f"), (UnixFileMode)0b111_101_000);
        File.CreateSymbolicLink(Path.Combine(src, "link"), "sub/f");
        Kernel.HardLink(Path.Combine(src, "sub", "f"), Path.Combine(src, "hard"));
        File.SetLastWriteTimeUtc(Path.Combine(src, "sub", "f"), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));

        var tar = new MemoryStream();
        using (var root = RootedDirectory.Open(_dir))
        using (var item = root.Open("src", Kernel.O_PATH | Kernel.O_NOFOLLOW))
            await TreeArchive.WriteAsync(item, "copy", tar);
        tar.Position = 0;
        string dest = Dest();
        using (var d = RootedDirectory.Open(dest)) TreeExtractor.Extract(tar, d, NoChown);

        Assert.Equal("hello", File.ReadAllText(Path.Combine(dest, "copy/sub/f")));
        Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(Path.Combine(dest, "copy/sub/f")));
        Assert.Equal("sub/f", new FileInfo(Path.Combine(dest, "copy/link")).LinkTarget);
        Assert.Equal(Kernel.LStat(Path.Combine(dest, "copy/sub/f"))!.Value.Inode, Kernel.LStat(Path.Combine(dest, "copy/hard"))!.Value.Inode);
        Assert.Equal(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc), File.GetLastWriteTimeUtc(Path.Combine(dest, "copy/sub/f")));
    }

    [Fact]
    public void A_symlink_in_the_archive_is_followed_inside_the_destination_only()
    {
        string dest = Dest();
        var up = Tar(("up", TarEntryType.SymbolicLink, null, "../.."), ("up/outside/pwned", TarEntryType.RegularFile, "x", null));
        using (var d = RootedDirectory.Open(dest)) TreeExtractor.Extract(up, d, NoChown);
        Assert.True(File.Exists(Path.Combine(dest, "outside/pwned")));   // ".." stopped at dest
        // An absolute link to the host's directory means dest's own (missing) one: the copy fails, nothing lands outside.
        var evil = Tar(("evil", TarEntryType.SymbolicLink, null, _outside), ("evil/pwned", TarEntryType.RegularFile, "x", null));
        using (var d = RootedDirectory.Open(dest)) Assert.ThrowsAny<Exception>(() => TreeExtractor.Extract(evil, d, NoChown));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
    }

    [Fact]
    public void A_symlink_already_in_the_destination_cannot_lead_out()
    {
        string dest = Dest();
        File.CreateSymbolicLink(Path.Combine(dest, "escape"), "/");
        var tar = Tar(("escape" + _outside + "/x", TarEntryType.RegularFile, "x", null));
        using (var d = RootedDirectory.Open(dest)) TreeExtractor.Extract(tar, d, NoChown);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
        Assert.True(File.Exists(dest + _outside + "/x"));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    public void Names_climbing_out_are_refused(string name)
    {
        using var d = RootedDirectory.Open(Dest());
        Assert.Throws<UnsafeArchiveException>(() => TreeExtractor.Extract(Tar((name, TarEntryType.RegularFile, "x", null)), d, NoChown));
    }

    [Fact]
    public void A_hard_link_to_a_file_outside_is_refused()
    {
        File.WriteAllText(Path.Combine(_outside, "secret"), "s");
        string dest = Dest();
        using var d = RootedDirectory.Open(dest);
        Assert.ThrowsAny<Exception>(() => TreeExtractor.Extract(Tar(("h", TarEntryType.HardLink, null, "../outside/secret")), d, NoChown));
        Assert.ThrowsAny<Exception>(() => TreeExtractor.Extract(Tar(("h", TarEntryType.HardLink, null, _outside + "/secret")), d, NoChown));
        Assert.False(File.Exists(Path.Combine(dest, "h")));
    }

    [Fact]
    public void A_directory_is_not_replaced_by_a_file_when_told_not_to()
    {
        string dest = Dest();
        Directory.CreateDirectory(Path.Combine(dest, "d"));
        using var d = RootedDirectory.Open(dest);
        var e = Assert.Throws<UnsafeArchiveException>(() =>
            TreeExtractor.Extract(Tar(("d", TarEntryType.RegularFile, "x", null)), d, NoChown with { NoOverwriteDirNonDir = true }));
        Assert.Contains("cannot overwrite directory", e.Message);
        Assert.True(Directory.Exists(Path.Combine(dest, "d")));
    }
}
