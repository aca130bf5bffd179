using System.Security.Cryptography;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Bad input gets a clear error, a nonzero exit and no state change: `ps -a` and `images` are the same before and after,
/// and for image tarballs nothing is stored (images/, layers/, blobs/, tmp/ unchanged) and nothing is written outside the
/// data root. The hostile tarballs are built here, each a valid docker-archive but for one entry.
/// </summary>
public sealed class BadInputTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly string _work = Directory.CreateTempSubdirectory("mc-badinput-").FullName;
    /// <summary>Where the hostile entries aim: a directory outside the daemon's root that must stay as the test made it.</summary>
    private readonly string _outside = Directory.CreateTempSubdirectory("mc-evil-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
        try { Directory.Delete(_outside, recursive: true); } catch (IOException) { }
    }

    private sealed record State(string Ps, string Images, SortedSet<string> Store, string[] Tmp);

    private State Snapshot()
    {
        string tmp = Path.Combine(_d.DataRoot, "tmp");
        return new State(Support.PsAll(_d), Support.ImagesList(_d), Support.ImageStoreFiles(_d),
            Directory.Exists(tmp) ? Directory.GetFileSystemEntries(tmp).Order().ToArray() : []);
    }

    private void AssertUnchanged(State before, string what)
    {
        State after = Snapshot();
        Assert.True(before.Ps == after.Ps, $"{what}: ps -a changed:\n{before.Ps}\n→\n{after.Ps}");
        Assert.True(before.Images == after.Images, $"{what}: images changed:\n{before.Images}\n→\n{after.Images}");
        Assert.True(before.Store.SetEquals(after.Store),
            $"{what}: the image store changed: added [{string.Join(", ", after.Store.Except(before.Store))}], removed [{string.Join(", ", before.Store.Except(after.Store))}]");
        Assert.True(before.Tmp.SequenceEqual(after.Tmp), $"{what}: left temporary files: {string.Join(", ", after.Tmp.Except(before.Tmp))}");
    }

    private CommandResult Fails(string what, params string[] args)
    {
        State before = Snapshot();
        CommandResult r = _d.Run(args);
        output.WriteLine($"{what}: {r}");
        Assert.NotEqual(0, r.ExitCode);
        Assert.NotEqual("", r.Stderr.Trim());
        AssertUnchanged(before, what);
        return r;
    }

    // ---- commands ----

    [Fact]
    public void Unknown_image_unknown_flag_and_a_bad_memory_value_change_nothing()
    {
        CommandResult image = Fails("unknown image", "run", "--rm", "--name", Support.Unique("noimg"), "mc-no-such-image:v1", "true");
        Assert.Equal(125, image.ExitCode);
        Assert.Contains("mc-no-such-image", image.Stderr);
        Assert.Equal(125, Fails("create of an unknown image", "create", "--name", Support.Unique("noimg"), "mc-no-such-image:v1").ExitCode);

        CommandResult flag = Fails("unknown flag", "run", "--rm", "--name", Support.Unique("badflag"), "--no-such-flag", "busybox", "true");
        Assert.Equal(125, flag.ExitCode);
        Assert.Contains("--no-such-flag", flag.Stderr);

        CommandResult memory = Fails("-m 12q", "run", "--rm", "--name", Support.Unique("badmem"), "-m", "12q", "busybox", "true");
        Assert.Equal(125, memory.ExitCode);
        Assert.Contains("12q", memory.Stderr);
    }

    [Fact]
    public void A_name_conflict_fails_with_125_and_leaves_the_existing_container_alone()
    {
        string name = Support.Unique("taken");
        try
        {
            _d.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").Ok();
            string id = Support.IdOf(_d, name);
            CommandResult r = Fails("name conflict", "run", "-d", "--name", name, "busybox", "true");
            Assert.Equal(125, r.ExitCode);
            Assert.Contains("already in use", r.Stderr);
            Assert.Equal($"{id} true", Support.Inspect(_d, name, "{{.Id}} {{.State.Running}}"));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Rm_of_a_running_container_without_f_fails_and_it_keeps_running()
    {
        string name = Support.Unique("running");
        try
        {
            _d.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").Ok();
            string pid = Support.Inspect(_d, name, "{{.State.Pid}}");
            CommandResult r = Fails("rm without -f", "rm", name);
            Assert.Contains("running", r.Stderr);
            Assert.Contains("force", r.Stderr);   // says what to do
            Assert.Equal($"true {pid}", Support.Inspect(_d, name, "{{.State.Running}} {{.State.Pid}}"));
            Assert.True(Directory.Exists($"/proc/{pid}"));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Exec_into_a_stopped_container_fails_and_starts_nothing()
    {
        string name = Support.Unique("stopped");
        try
        {
            _d.Run("run", "--name", name, "busybox", "true").Ok();
            CommandResult r = Fails("exec into a stopped container", "exec", name, "echo", "should-not-run");
            Assert.Contains("is not running", r.Stderr);
            Assert.DoesNotContain("should-not-run", r.Stdout);
            Assert.Empty(Support.ShimsOf(_d).Where(s => s.Contains(Support.IdOf(_d, name))));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Commands_on_an_unknown_container_fail_clearly()
    {
        string nobody = Support.Unique("nobody");
        foreach (string[] args in new[] { new[] { "stop", nobody }, ["rm", nobody], ["exec", nobody, "true"], ["logs", nobody], ["inspect", nobody], ["start", nobody], ["kill", nobody] })
        {
            CommandResult r = Fails(string.Join(' ', args), args);
            Assert.Contains("No such", r.Stderr);
        }
    }

    // ---- image tarballs ----

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_work, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Everything in the outside directory, with link counts: what a hostile load must leave exactly as it was.</summary>
    private string OutsideListing() =>
        string.Join("\n", Directory.EnumerateFileSystemEntries(_outside, "*", SearchOption.AllDirectories).Order()
            .Select(p => $"{Path.GetRelativePath(_outside, p)} links={Daemon.Exec("stat", ["-c", "%h", p]).Stdout.Trim()} {(File.Exists(p) ? File.ReadAllText(p) : "<dir>")}"));

    private void LoadMustFail(string what, string archive)
    {
        File.WriteAllText(Path.Combine(_outside, "target"), "original");
        string outsideBefore = OutsideListing();
        State before = Snapshot();
        CommandResult r = _d.Run("load", "-i", archive);
        output.WriteLine($"{what}: {r}");
        string outsideAfter = OutsideListing();
        Assert.True(outsideBefore == outsideAfter, $"{what}: the load wrote outside its layer:\n{outsideBefore}\n→\n{outsideAfter}");
        Assert.NotEqual(0, r.ExitCode);
        Assert.NotEqual("", r.Stderr.Trim());
        AssertUnchanged(before, what);
    }

    private string HostileArchive(string what, params ImageArchivesEntry[] entries)
    {
        string tag = Support.Unique("mc-hostile") + ":v1";
        byte[] layer = ImageArchives.Layer(entries.Select(e => e.Make()).ToArray());
        string path = Path.Combine(_work, what.Replace(' ', '-') + ".tar");
        ImageArchives.WriteDockerArchive(path, tag, layer);
        return path;
    }

    /// <summary>A tar entry to make (entries hold streams, so each archive gets fresh ones).</summary>
    public sealed record ImageArchivesEntry(Func<System.Formats.Tar.TarEntry> Make);

    private static ImageArchivesEntry Dir(string n) => new(() => ImageArchives.Dir(n));
    private static ImageArchivesEntry File_(string n, string c) => new(() => ImageArchives.File(n, c));
    private static ImageArchivesEntry Sym(string n, string t) => new(() => ImageArchives.Symlink(n, t));
    private static ImageArchivesEntry Hard(string n, string t) => new(() => ImageArchives.Hardlink(n, t));

    /// <summary>"../" repeated far enough to climb from any directory to /, then into the outside directory.</summary>
    private string Climb => string.Concat(Enumerable.Repeat("../", 30)) + _outside.TrimStart('/');

    [Fact]
    public void A_control_archive_built_the_same_way_loads_and_runs()
    {
        // Proves the builder: the hostile archives below differ from this one only in their hostile entry.
        string tag = Support.Unique("mc-control") + ":v1";
        byte[] busybox = ImageArchives.BusyboxLayer(Path.Combine(Daemon.Fixtures, "busybox.tar"));
        byte[] layer = ImageArchives.Layer(ImageArchives.Dir("data/"), ImageArchives.File("data/hello.txt", "hello from a test layer\n"),
            ImageArchives.Symlink("data/abs-link", "/data/hello.txt"), ImageArchives.Hardlink("data/hard-link", "data/hello.txt"));
        string path = Path.Combine(_work, "control.tar");
        ImageArchives.WriteDockerArchive(path, tag, busybox, layer);
        try
        {
            _d.Run("load", "-i", path).Ok("load of the control archive");
            CommandResult r = _d.Run("run", "--rm", tag, "sh", "-c", "cat /data/hello.txt /data/abs-link /data/hard-link; stat -c %h /data/hello.txt").Ok();
            Assert.Equal("hello from a test layer\nhello from a test layer\nhello from a test layer\n2\n", r.Stdout);
        }
        finally { _d.Run("rmi", tag); }
    }

    [Fact]
    public void Load_of_a_dot_dot_entry_fails_and_writes_nothing_outside()
    {
        LoadMustFail("../ entry", HostileArchive("dotdot", Dir("ok/"), File_("ok/file", "fine"), File_(Climb + "/dotdot", "pwned")));
        LoadMustFail("../ inside a path", HostileArchive("dotdot-mid", File_("ok", "fine"), File_("a/b/" + Climb + "/dotdot-mid", "pwned")));
    }

    [Fact]
    public void Load_of_an_absolute_path_entry_writes_nothing_outside_the_layer()
    {
        // Docker accepts "/x" in a layer as "x" inside it; rejecting it is as good. Either way the host stays untouched.
        string tag = Support.Unique("mc-abspath") + ":v1";
        string path = Path.Combine(_work, "abspath.tar");
        ImageArchives.WriteDockerArchive(path, tag, ImageArchives.Layer(ImageArchives.File("ok", "fine"), ImageArchives.File(_outside + "/abs", "inside")));
        File.WriteAllText(Path.Combine(_outside, "target"), "original");
        string outsideBefore = OutsideListing();
        State before = Snapshot();
        try
        {
            CommandResult r = _d.Run("load", "-i", path);
            output.WriteLine(r.ToString());
            Assert.Equal(outsideBefore, OutsideListing());
            if (r.ExitCode != 0) { AssertUnchanged(before, "absolute path"); return; }
            string[] landed = Directory.GetDirectories(Path.Combine(_d.DataRoot, "layers"))
                .Select(l => Path.Combine(l, "diff", _outside.TrimStart('/'), "abs")).Where(File.Exists).ToArray();
            Assert.True(landed.Length == 1, $"loaded, but the entry is not inside a layer: [{string.Join(", ", landed)}]");
            Assert.Equal("inside", File.ReadAllText(landed[0]));
        }
        finally { _d.Run("rmi", tag); }
    }

    [Fact]
    public void Load_of_an_absolute_symlink_followed_by_a_file_under_it_fails_and_writes_nothing_outside()
    {
        LoadMustFail("absolute symlink then a file under it", HostileArchive("abssym", Sym("escape", _outside), File_("escape/through-abs-symlink", "pwned")));
        LoadMustFail("absolute symlink then a file replacing a host file", HostileArchive("abssym-target", Sym("escape", _outside), File_("escape/target", "pwned")));
    }

    [Fact]
    public void Load_of_a_relative_symlink_escaping_the_layer_followed_by_a_file_under_it_fails_and_writes_nothing_outside()
    {
        LoadMustFail("relative symlink then a file under it", HostileArchive("relsym", Sym("escape", Climb), File_("escape/through-rel-symlink", "pwned")));
    }

    [Fact]
    public void Load_of_a_hardlink_escaping_the_layer_fails_and_links_nothing_outside()
    {
        LoadMustFail("hardlink to ../", HostileArchive("hardlink", Hard("stolen", Climb + "/target"), File_("stolen", "pwned")));
        LoadMustFail("hardlink to an absolute path", HostileArchive("hardlink-abs", Hard("stolen", _outside + "/target")));
        LoadMustFail("hardlink through a symlink", HostileArchive("hardlink-sym", Sym("escape", _outside), Hard("stolen", "escape/target"), File_("stolen", "pwned")));
    }

    [Fact]
    public void Load_of_a_truncated_tarball_fails_and_stores_nothing()
    {
        string tag = Support.Unique("mc-truncated") + ":v1";
        byte[] layer = ImageArchives.Layer(ImageArchives.Dir("blob/"), ImageArchives.File("blob/random", RandomNumberGenerator.GetBytes(512 * 1024)));
        string whole = Path.Combine(_work, "whole.tar");
        ImageArchives.WriteDockerArchive(whole, tag, layer);
        byte[] bytes = File.ReadAllBytes(whole);
        LoadMustFail("archive cut in its layer", Write("truncated.tar", bytes[..(bytes.Length * 6 / 10)]));
        LoadMustFail("archive cut in the layer's last block", Write("truncated-late.tar", bytes[..(bytes.Length - 3000)]));

        byte[] fixture = File.ReadAllBytes(Path.Combine(Daemon.Fixtures, "busybox.tar"));
        LoadMustFail("busybox fixture cut in half", Write("busybox-half.tar", fixture[..(fixture.Length / 2)]));

        // The whole archive does load: the failures above were the truncation's.
        try { _d.Run("load", "-i", whole).Ok("load of the untruncated archive"); }
        finally { _d.Run("rmi", tag); }
    }

    [Fact]
    public void Load_of_garbage_or_an_empty_file_fails_clearly()
    {
        LoadMustFail("empty file", Write("empty.tar", []));
        LoadMustFail("random bytes", Write("random.tar", RandomNumberGenerator.GetBytes(64 * 1024)));
        LoadMustFail("a tar with no manifest", Write("nomanifest.tar", ImageArchives.Layer(ImageArchives.File("hello", "hi"))));
    }

    [Fact]
    public void Load_of_an_archive_whose_layer_does_not_match_its_diff_id_fails()
    {
        string tag = Support.Unique("mc-mismatch") + ":v1";
        byte[] layer = ImageArchives.Layer(ImageArchives.File("hello", "hi"));
        string path = Path.Combine(_work, "mismatch.tar");
        ImageArchives.WriteDockerArchive(path, tag, layer);
        // Same length, one byte changed inside the file's content: a valid tar whose digest no longer matches.
        byte[] bytes = File.ReadAllBytes(path);
        int at = IndexOf(bytes, "hi"u8.ToArray(), from: bytes.Length - 4096);
        Assert.True(at > 0, "the layer content was not found in the archive");
        bytes[at] = (byte)'H';
        LoadMustFail("layer digest mismatch", Write("mismatch-edited.tar", bytes));
    }

    private static int IndexOf(byte[] haystack, byte[] needle, int from)
    {
        for (int i = Math.Max(0, from); i <= haystack.Length - needle.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
