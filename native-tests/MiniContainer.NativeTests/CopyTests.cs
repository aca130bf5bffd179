using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>cp in and out of running and stopped containers: Docker's path rules, tar streams, owners, and
/// malicious symlinks in the container that must never lead a copy onto the host.</summary>
public sealed class CopyTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly string _host = Directory.CreateTempSubdirectory("mc-cp-host-").FullName;

    public void Dispose()
    {
        Directory.Delete(_host, recursive: true);
        Assert.DoesNotContain("/scratch/cp-", File.ReadAllText("/proc/self/mountinfo"));   // every stopped-container view was unmounted
    }

    private CommandResult Run(params string[] args)
    {
        var r = _d.Run(args);
        output.WriteLine($"minicontainer {string.Join(' ', args)} → {r}");
        return r;
    }

    private string Running()
    {
        string name = Support.Unique("cp");
        Run("run", "-d", "--name", name, "busybox", "sleep", "600").Ok();
        return name;
    }

    private string Cat(string container, string path) => Run("exec", container, "cat", path).Ok().Stdout;

    [Fact]
    public void Files_and_directories_go_in_and_out_of_a_running_container_with_dockers_slash_rules()
    {
        string c = Running();
        File.WriteAllText(Path.Combine(_host, "a.txt"), "file a\n");
        Directory.CreateDirectory(Path.Combine(_host, "dir", "sub"));
        File.WriteAllText(Path.Combine(_host, "dir", "sub", "deep"), "deep\n");

        Run("cp", Path.Combine(_host, "a.txt"), $"{c}:/tmp/").Ok();                   // into a directory: keeps its name
        Assert.Equal("file a\n", Cat(c, "/tmp/a.txt"));
        Run("cp", Path.Combine(_host, "a.txt"), $"{c}:/tmp/renamed").Ok();            // to a new name: takes it
        Assert.Equal("file a\n", Cat(c, "/tmp/renamed"));
        Run("cp", Path.Combine(_host, "dir"), $"{c}:/tmp/newdir").Ok();               // a directory to a new name
        Assert.Equal("deep\n", Cat(c, "/tmp/newdir/sub/deep"));
        Run("cp", Path.Combine(_host, "dir"), $"{c}:/tmp/newdir").Ok();               // again: now it exists, so it goes inside
        Assert.Equal("deep\n", Cat(c, "/tmp/newdir/dir/sub/deep"));
        Run("exec", c, "mkdir", "/tmp/existing").Ok();
        Run("cp", Path.Combine(_host, "dir") + "/.", $"{c}:/tmp/existing").Ok();      // "/." copies the contents
        Assert.Equal("deep\n", Cat(c, "/tmp/existing/sub/deep"));

        var noDir = Run("cp", Path.Combine(_host, "a.txt"), $"{c}:/tmp/missing/");
        Assert.Equal(1, noDir.ExitCode);
        Assert.Contains("no such directory", noDir.Stderr);
        var noParent = Run("cp", Path.Combine(_host, "a.txt"), $"{c}:/nonexistent/sub/x");
        Assert.Equal(1, noParent.ExitCode);
        Assert.Contains($"Error response from daemon: Could not find the file /nonexistent/sub in container {c}", noParent.Stderr);

        string back = Path.Combine(_host, "back");
        Run("cp", $"{c}:/tmp/newdir", back).Ok();
        Assert.Equal("deep\n", File.ReadAllText(Path.Combine(back, "sub", "deep")));
        Run("cp", $"{c}:/tmp/existing/.", back).Ok();
        Assert.Equal("deep\n", File.ReadAllText(Path.Combine(back, "sub", "deep")));
        Run("cp", $"{c}:/etc/hostname", _host + "/").Ok();
        Assert.Equal(Cat(c, "/etc/hostname"), File.ReadAllText(Path.Combine(_host, "hostname")));

        var missing = Run("cp", $"{c}:/nope", _host);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"Error response from daemon: Could not find the file /nope in container {c}", missing.Stderr);
        var badOut = Run("cp", $"{c}:/etc/hostname", Path.Combine(_host, "no-such-dir", "x"));
        Assert.Equal(1, badOut.ExitCode);
        Assert.Contains("invalid output path: directory", badOut.Stderr);
        Run("rm", "-f", c).Ok();
    }

    [Fact]
    public void A_stopped_container_and_its_volume_can_be_copied_into_and_out_of()
    {
        string c = Support.Unique("cpstop"), vol = Support.Unique("cpvol");
        Run("create", "--name", c, "-v", $"{vol}:/data", "busybox", "sh", "-c", "cat /data/in /etc/in2").Ok();
        File.WriteAllText(Path.Combine(_host, "in"), "into the volume\n");
        File.WriteAllText(Path.Combine(_host, "in2"), "into the rootfs\n");
        Run("cp", Path.Combine(_host, "in"), $"{c}:/data/in").Ok();
        Run("cp", Path.Combine(_host, "in2"), $"{c}:/etc/in2").Ok();
        string mountpoint = Run("volume", "inspect", "-f", "{{.Mountpoint}}", vol).Ok().Stdout.Trim();
        Assert.Equal("into the volume\n", File.ReadAllText(Path.Combine(mountpoint, "in")));   // in the volume, not the upper dir
        Assert.Equal("into the volume\ninto the rootfs\n", Run("start", "-a", c).Ok().Stdout);
        Run("cp", $"{c}:/data/in", Path.Combine(_host, "out")).Ok();                  // exited now
        Assert.Equal("into the volume\n", File.ReadAllText(Path.Combine(_host, "out")));
        Run("rm", c).Ok();
        Run("volume", "rm", vol).Ok();
    }

    [Fact]
    public void Tar_streams_on_stdin_and_stdout()
    {
        string c = Running();
        var tar = Daemon.Exec("sh", ["-c", $"{Daemon.Cli} -H {_d.Host} cp {c}:/etc/hostname - | tar -tvf -"]).Ok();
        Assert.Contains("hostname", tar.Stdout);
        File.WriteAllText(Path.Combine(_host, "streamed"), "via stdin\n");
        Daemon.Exec("sh", ["-c", $"tar -C {_host} -cf - streamed | {Daemon.Cli} -H {_d.Host} cp - {c}:/tmp"]).Ok();
        Assert.Equal("via stdin\n", Cat(c, "/tmp/streamed"));
        var notDir = Daemon.Exec("sh", ["-c", $"tar -C {_host} -cf - streamed | {Daemon.Cli} -H {_d.Host} cp - {c}:/etc/hostname"]);
        Assert.Equal(1, notDir.ExitCode);
        Assert.Contains("must be a directory", notDir.Stderr);
        Run("rm", "-f", c).Ok();
    }

    [Fact]
    public void Owners_and_modes_are_kept_and_archive_mode_gives_files_to_the_containers_user()
    {
        string f = Path.Combine(_host, "owned");
        File.WriteAllText(f, "x");
        File.SetUnixFileMode(f, (UnixFileMode)0b111_101_000);   // 0750
        Daemon.Exec("chown", ["1234:5678", f]).Ok();
        // As dockerd does: the numeric owners of the copied files, with or without -a when the container has no user…
        string c = Running();
        Run("cp", "-a", f, $"{c}:/tmp/a").Ok();
        Run("cp", f, $"{c}:/tmp/plain").Ok();
        Assert.Equal("1234:5678 750\n", Run("exec", c, "stat", "-c", "%u:%g %a", "/tmp/a").Ok().Stdout);
        Assert.Equal("1234:5678 750\n", Run("exec", c, "stat", "-c", "%u:%g %a", "/tmp/plain").Ok().Stdout);
        Run("rm", "-f", c).Ok();
        // …and with -a the container's --user (looked up in the container's /etc/passwd: nobody is 65534 in busybox).
        string u = Support.Unique("cpuser");
        Run("run", "-d", "--name", u, "--user", "nobody", "busybox", "sleep", "600").Ok();
        Run("cp", "-a", f, $"{u}:/tmp/a").Ok();
        Assert.Equal("65534:65534 750\n", Run("exec", u, "stat", "-c", "%u:%g %a", "/tmp/a").Ok().Stdout);
        Run("rm", "-f", u).Ok();
    }

    [Fact]
    public void Copying_into_a_read_only_mount_or_rootfs_is_refused_and_writes_nothing()
    {
        string ro = Path.Combine(_host, "ro");
        Directory.CreateDirectory(ro);
        File.WriteAllText(Path.Combine(_host, "f"), "x");
        string c = Support.Unique("cpro");
        Run("run", "-d", "--name", c, "-v", $"{ro}:/ro:ro", "busybox", "sleep", "600").Ok();
        var r = Run("cp", Path.Combine(_host, "f"), $"{c}:/ro/");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("mounted volume is marked read-only", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(ro));
        Run("rm", "-f", c).Ok();

        string rootRo = Support.Unique("cprofs");
        Run("run", "-d", "--read-only", "--name", rootRo, "busybox", "sleep", "600").Ok();
        var rootfs = Run("cp", Path.Combine(_host, "f"), $"{rootRo}:/tmp/");
        Assert.Equal(1, rootfs.ExitCode);
        Assert.Contains("container rootfs is marked read-only", rootfs.Stderr);
        Run("rm", "-f", rootRo).Ok();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Malicious_symlinks_in_the_container_never_reach_the_host(bool running)
    {
        string c = Support.Unique("cpevil");
        string marker = Support.Unique("mc-cp-escape");   // a name that must not appear in the host's /tmp
        string script = "ln -s / /escape && ln -s ../../.. /a && ln -s /escape/a/tmp /chain && echo container-secret > /secret";
        if (running) Run("run", "-d", "--name", c, "busybox", "sh", "-c", script + " && sleep 600").Ok();
        else Run("run", "--name", c, "busybox", "sh", "-c", script).Ok();
        if (running) Support.WaitUntil(() => Run("exec", c, "test", "-L", "/chain").ExitCode == 0, TimeSpan.FromSeconds(10), "the links");
        File.WriteAllText(Path.Combine(_host, marker), "payload\n");

        Run("cp", Path.Combine(_host, marker), $"{c}:/escape/tmp/").Ok();
        Run("cp", Path.Combine(_host, marker), $"{c}:/a/a/a/tmp/second").Ok();
        Run("cp", Path.Combine(_host, marker), $"{c}:/chain/third").Ok();
        Assert.False(File.Exists("/tmp/" + marker));
        Assert.False(File.Exists("/tmp/second"));
        Assert.False(File.Exists("/tmp/third"));

        // Reading through the links gets the container's files, never the host's.
        Run("cp", $"{c}:/escape/secret", Path.Combine(_host, "s1")).Ok();
        Run("cp", $"{c}:/a/a/secret", Path.Combine(_host, "s2")).Ok();
        Assert.Equal("container-secret\n", File.ReadAllText(Path.Combine(_host, "s1")));
        Assert.Equal("container-secret\n", File.ReadAllText(Path.Combine(_host, "s2")));
        Run("cp", "-L", $"{c}:/chain", Path.Combine(_host, "tmpdir")).Ok();
        Assert.True(File.Exists(Path.Combine(_host, "tmpdir", marker)));          // the container's /tmp, holding what we put there
        Assert.True(File.Exists(Path.Combine(_host, "tmpdir", "second")));
        Assert.True(File.Exists(Path.Combine(_host, "tmpdir", "third")));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.Combine(_host, "tmpdir")), p => Path.GetFileName(p).StartsWith("mc-cp-host-"));   // not the host's /tmp

        if (running) Assert.Equal("payload\n", Cat(c, "/tmp/" + marker));
        Run("rm", "-f", c).Ok();
    }
}
