using System.Text;
using MiniContainer.Images;
using MiniContainer.Linux;
using Xunit;

namespace MiniContainer.UnitTests.Images;


/// <summary>
/// Layer extraction against crafted tars. The escape tests aim real symlinks and hard links at a directory
/// beside the layer ("outside") and check nothing appeared there. Tests marked [RootFact] need root for
/// mknod, lchown or trusted.* xattrs; the rest pass applyOwnership: false and run as any user.
/// </summary>
public sealed class LayerUnpackerTests : IDisposable
{
    private readonly TempHost _host = new();
    private readonly string _layer;
    private readonly string _outside;

    public LayerUnpackerTests()
    {
        _layer = _host.NewDir("layer");
        _outside = _host.NewDir("outside");
    }

    public void Dispose() => _host.Dispose();

    private UnpackedLayer Unpack(byte[] tar, string? expectedDiffId = null) =>
        LayerUnpacker.Unpack(new MemoryStream(tar), _layer, expectedDiffId, applyOwnership: Environment.IsPrivilegedProcess);

    private InvalidArchiveException Rejects(byte[] tar) => Assert.Throws<InvalidArchiveException>(() => Unpack(tar));

    private string InLayer(string relative) => Path.Combine(_layer, relative);

    [Theory]
    [InlineData("a/b", "a/b")]
    [InlineData("./a/b/", "a/b")]
    [InlineData("/etc/passwd", "etc/passwd")]      // Docker: absolute names are relative to the layer root
    [InlineData("a/../b", "b")]
    [InlineData("a//./b", "a/b")]
    [InlineData("./", null)]
    [InlineData("/", null)]
    public void CleanEntryPath_cleans_like_docker(string name, string? expected) =>
        Assert.Equal(expected, LayerUnpacker.CleanEntryPath(name));

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("/../x")]
    [InlineData("./..")]
    public void CleanEntryPath_refuses_to_climb_out(string name) =>
        Assert.Throws<InvalidArchiveException>(() => LayerUnpacker.CleanEntryPath(name));

    [Fact]
    public void Extracts_files_directories_links_modes_and_times()
    {
        var dirTime = new DateTimeOffset(2019, 6, 1, 0, 0, 0, TimeSpan.Zero);
        byte[] tar = new TarBuilder()
            .Dir("bin/", mtime: dirTime)
            .File("bin/tool", "#!/bin/sh\n", mode: 0b111_101_101)
            .File("bin/su", "setuid", mode: 0b100_111_101_101)               // 04755
            .Dir("tmp/", mode: 0b001_111_111_111)                             // 01777
            .Symlink("bin/sh", "/bin/tool")
            .HardLink("bin/tool2", "bin/tool")
            .File("/abs/file", "absolute name lands inside")
            .Build();

        var result = Unpack(tar);

        Assert.Equal(TarBuilder.Sha256(tar), result.DiffId);
        Assert.Equal(LayerCompression.None, result.Compression);
        Assert.Equal("#!/bin/sh\n".Length + "setuid".Length + "absolute name lands inside".Length, result.Size);
        Assert.Equal(0b111_101_101u, Kernel.LStat(InLayer("bin/tool"))!.Value.Permissions);
        Assert.Equal(0b100_111_101_101u, Kernel.LStat(InLayer("bin/su"))!.Value.Permissions);
        Assert.Equal(0b001_111_111_111u, Kernel.LStat(InLayer("tmp"))!.Value.Permissions);
        Assert.Equal("/bin/tool", new FileInfo(InLayer("bin/sh")).LinkTarget);
        Assert.Equal(Kernel.LStat(InLayer("bin/tool"))!.Value.Inode, Kernel.LStat(InLayer("bin/tool2"))!.Value.Inode);
        Assert.Equal(TarBuilder.Time, Kernel.LStat(InLayer("bin/tool"))!.Value.ModificationTime);
        Assert.Equal(dirTime, Kernel.LStat(InLayer("bin"))!.Value.ModificationTime);   // set after its children were created
        Assert.Equal("absolute name lands inside", File.ReadAllText(InLayer("abs/file")));
    }

    [Fact]
    public void Creates_missing_parent_directories_0755()
    {
        Unpack(new TarBuilder().File("deep/er/file", "x").Build());
        Assert.Equal(0b111_101_101u, Kernel.LStat(InLayer("deep/er"))!.Value.Permissions);
    }

    [Fact]
    public void Refuses_dot_dot_escape_and_writes_nothing_outside()
    {
        var e = Rejects(new TarBuilder().File("../outside/pwned", "x").Build());
        Assert.Contains("outside the layer", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
    }

    [Fact]
    public void Refuses_to_write_through_a_symlink_to_an_absolute_directory()
    {
        // evil -> /…/outside, then evil/passwd: must not create outside/passwd.
        var e = Rejects(new TarBuilder().Symlink("evil", _outside).File("evil/passwd", "root::0:0::/:/bin/sh").Build());
        Assert.Contains("symbolic link", e.Message);
        Assert.False(File.Exists(Path.Combine(_outside, "passwd")));
    }

    [Fact]
    public void Refuses_to_write_through_a_relative_symlink_that_climbs_out()
    {
        Rejects(new TarBuilder().Symlink("a", "../../..").File("a/x", "x").Build());
        Rejects(new TarBuilder().Symlink("b", "../outside").Dir("b/sub/").Build());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
    }

    [Fact]
    public void Refuses_a_symlink_deeper_in_the_path()
    {
        Rejects(new TarBuilder().Dir("usr/").Symlink("usr/lib", _outside).File("usr/lib/x/libc.so", "x").Build());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
    }

    [Fact]
    public void A_file_entry_replaces_a_symlink_instead_of_writing_through_it()
    {
        string victim = Path.Combine(_outside, "victim");
        File.WriteAllText(victim, "original");
        Unpack(new TarBuilder().Symlink("f", victim).File("f", "new").Build());
        Assert.Equal("original", File.ReadAllText(victim));
        Assert.Equal(FileKind.RegularFile, Kernel.LStat(InLayer("f"))!.Value.Kind);
        Assert.Equal("new", File.ReadAllText(InLayer("f")));
    }

    [Fact]
    public void A_symlink_may_point_anywhere_as_long_as_nothing_goes_through_it()
    {
        // Images hold links like /etc/localtime -> /usr/share/zoneinfo/UTC; inside the container they resolve there.
        Unpack(new TarBuilder().Symlink("escape", "../../../../etc").Build());
        Assert.Equal("../../../../etc", new FileInfo(InLayer("escape")).LinkTarget);
    }

    [Fact]
    public void Refuses_hard_links_that_leave_the_layer()
    {
        string secret = Path.Combine(_outside, "secret");
        File.WriteAllText(secret, "s");
        Rejects(new TarBuilder().HardLink("h", "../outside/secret").Build());
        Rejects(new TarBuilder().HardLink("h", secret).Build());                       // absolute: cleaned to a path inside, which does not exist
        Rejects(new TarBuilder().Symlink("s", _outside).HardLink("h", "s/secret").Build());   // through a symlink
        Assert.Equal(1u, Kernel.LStat(secret)!.Value.LinkCount);
        Assert.False(File.Exists(InLayer("h")));
    }

    [Fact]
    public void Refuses_a_hard_link_to_a_missing_file()
    {
        var e = Rejects(new TarBuilder().HardLink("h", "nope").Build());
        Assert.Contains("not in the layer", e.Message);
    }

    [RootFact]
    public void Whiteouts_become_overlayfs_whiteouts()
    {
        Unpack(new TarBuilder()
            .Dir("etc/")
            .File("etc/.wh.motd", "")
            .Dir("var/cache/")
            .File("var/cache/.wh..wh..opq", "")
            .File("var/cache/kept", "k")
            .File(".wh..wh.plnk", "")                                   // AUFS bookkeeping: ignored
            .Build());

        var whiteout = Kernel.LStat(InLayer("etc/motd"))!.Value;
        Assert.Equal(FileKind.CharacterDevice, whiteout.Kind);
        Assert.Equal((0u, 0u), (whiteout.DeviceMajor, whiteout.DeviceMinor));
        Assert.False(File.Exists(InLayer("etc/.wh.motd")));
        Assert.Equal("y", Encoding.ASCII.GetString(Kernel.LGetXattr(InLayer("var/cache"), "trusted.overlay.opaque")!));
        Assert.False(File.Exists(InLayer("var/cache/.wh..wh..opq")));
        Assert.Equal("k", File.ReadAllText(InLayer("var/cache/kept")));
        Assert.Null(Kernel.LStat(InLayer(".wh..wh.plnk")));
    }

    [Fact]
    public void Refuses_a_whiteout_that_names_dot_dot()
    {
        Rejects(new TarBuilder().File(".wh...", "").Build());
    }

    [RootFact]
    public void Applies_ownership_devices_and_fifos()
    {
        Unpack(new TarBuilder()
            .File("home/user/file", "x", uid: 1000, gid: 1001)
            .Symlink("home/user/link", "file")
            .CharDevice("dev/null", 1, 3)
            .Fifo("run/fifo")
            .Build());

        var file = Kernel.LStat(InLayer("home/user/file"))!.Value;
        Assert.Equal((1000u, 1001u), (file.Uid, file.Gid));
        var device = Kernel.LStat(InLayer("dev/null"))!.Value;
        Assert.Equal((FileKind.CharacterDevice, 1u, 3u), (device.Kind, device.DeviceMajor, device.DeviceMinor));
        Assert.Equal(FileKind.Fifo, Kernel.LStat(InLayer("run/fifo"))!.Value.Kind);
    }

    [RootFact]
    public void Setuid_bit_survives_chown()
    {
        Unpack(new TarBuilder().File("bin/passwd", "x", mode: 0b100_111_101_101, uid: 0, gid: 42).Build());
        var status = Kernel.LStat(InLayer("bin/passwd"))!.Value;
        Assert.Equal(0b100_111_101_101u, status.Permissions);
        Assert.Equal(42u, status.Gid);
    }

    [Fact]
    public void Later_entries_win_and_directories_merge()
    {
        Unpack(new TarBuilder().File("a/one", "1").File("a/one", "2").Dir("a/").File("a/two", "2").Build());
        Assert.Equal("2", File.ReadAllText(InLayer("a/one")));
        Assert.True(File.Exists(InLayer("a/two")));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public void Decompresses_by_magic_bytes_and_hashes_the_uncompressed_tar(string kind)
    {
        byte[] tar = new TarBuilder().File("hello", "world").Build();
        byte[] blob = kind == "gzip" ? TarBuilder.Gzip(tar) : TarBuilder.Zstd(tar);
        var result = Unpack(blob, expectedDiffId: TarBuilder.Sha256(tar));
        Assert.Equal(kind == "gzip" ? LayerCompression.Gzip : LayerCompression.Zstd, result.Compression);
        Assert.Equal("world", File.ReadAllText(InLayer("hello")));
    }

    [Fact]
    public void A_diff_id_mismatch_is_an_invalid_archive()
    {
        byte[] tar = new TarBuilder().File("hello", "world").Build();
        var e = Assert.Throws<InvalidArchiveException>(() => Unpack(tar, expectedDiffId: "sha256:" + new string('0', 64)));
        Assert.Contains("does not match", e.Message);
    }

    [Fact]
    public void A_truncated_tar_is_an_invalid_archive()
    {
        byte[] tar = new TarBuilder().File("big", new string('x', 5000)).File("after", "y").Build();
        Rejects(tar[..2000]);   // cut inside the first file's data
        Rejects(tar[..700]);    // cut inside the PAX header
    }

    [Fact]
    public void A_truncated_gzip_is_an_invalid_archive()
    {
        byte[] blob = TarBuilder.Gzip(new TarBuilder().File("big", new string('x', 50000)).Build());
        Assert.Throws<InvalidArchiveException>(() => Unpack(blob[..(blob.Length / 2)]));
    }

    [Fact]
    public void Garbage_and_empty_input_are_invalid_archives()
    {
        Rejects(Encoding.ASCII.GetBytes(new string('z', 1500)));
        Rejects([]);
    }
}
