using System.Formats.Tar;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>Named volumes, bind mounts and tmpfs: data outlives containers, read-only is enforced, nothing escapes the rootfs.</summary>
public sealed class VolumeTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    [Fact]
    public void Data_in_a_named_volume_survives_rm_and_is_seen_by_a_new_container()
    {
        string vol = Support.Unique("vol");
        _d.Run("run", "--rm", "-v", $"{vol}:/data", "busybox", "sh", "-c", "echo kept > /data/file").Ok();
        var read = _d.Run("run", "--rm", "-v", $"{vol}:/data:ro", "busybox", "cat", "/data/file").Ok();
        Assert.Equal("kept\n", read.Stdout);
        string mountpoint = _d.Run("volume", "inspect", "-f", "{{.Mountpoint}}", vol).Ok().Stdout.Trim();
        Assert.Equal(Path.Combine(_d.DataRoot, "volumes", vol, "_data"), mountpoint);
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(mountpoint, "file")));
        _d.Run("volume", "rm", vol).Ok();
        Assert.False(Directory.Exists(Path.GetDirectoryName(mountpoint)));
    }

    /// <summary>The everyday tutorial line: a config file from the working directory over the image's.</summary>
    [Fact]
    public void A_single_file_bind_mounts_on_a_file_from_a_relative_path_read_only_too_and_through_the_docker_cli()
    {
        string dir = Path.Combine(_d.Root, Support.Unique("cnf"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "my.cnf"), "[mysqld]\nport=3306\n");
        string cli = $"cd {dir} && {Daemon.Cli} -H {_d.Host} --no-autostart";
        CommandResult Sh(string command) => Daemon.Exec("sh", ["-c", $"{cli} {command}"]);

        Assert.Equal("[mysqld]\nport=3306\n", Sh("run --rm -v ./my.cnf:/etc/my.cnf busybox cat /etc/my.cnf").Ok().Stdout);
        // Written through the mount, seen on the host; over an image file (/etc/passwd) and on a path the image lacks.
        Sh("run --rm -v ./my.cnf:/etc/my.cnf busybox sh -c 'echo user=app >> /etc/my.cnf'").Ok();
        Assert.EndsWith("user=app\n", File.ReadAllText(Path.Combine(dir, "my.cnf")));
        Assert.Equal("[mysqld]", Sh("run --rm -v ./my.cnf:/etc/passwd busybox head -1 /etc/passwd").Ok().Stdout.Trim());
        Assert.Equal("[mysqld]", Sh("run --rm --mount type=bind,source=" + dir + "/my.cnf,target=/new/dir/my.cnf busybox head -1 /new/dir/my.cnf").Ok().Stdout.Trim());
        var ro = Sh("run --rm -v ./my.cnf:/etc/my.cnf:ro busybox sh -c 'echo x >> /etc/my.cnf'");
        Assert.NotEqual(0, ro.ExitCode);
        Assert.Contains("Read-only file system", ro.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "my.cnf")), "the source stays a file");

        // .Mounts shows the source as Docker cleans it, and the real docker CLI mounts the file too.
        string name = Support.Unique("cnf");
        _d.Run("create", "--name", name, "-v", $"{dir}/../{Path.GetFileName(dir)}/./my.cnf:/etc/my.cnf", "busybox", "true").Ok();
        Assert.Equal($"{dir}/my.cnf", _d.Run("inspect", "-f", "{{range .Mounts}}{{.Source}}{{end}}", name).Ok().Stdout.Trim());
        _d.Run("rm", name).Ok();
        using var docker = new DockerCli(_d, output);
        Assert.Equal("[mysqld]", docker.Run("run", "--rm", "-v", $"{dir}/my.cnf:/etc/my.cnf:ro", "busybox", "head", "-1", "/etc/my.cnf").Ok().Stdout.Trim());
    }

    [Fact]
    public void Data_in_a_named_volume_and_a_bind_mount_survives_rm_a_new_container_and_a_daemon_restart()
    {
        string vol = Support.Unique("persist"), writer = Support.Unique("writer");
        string dir = Path.Combine(_d.Root, Support.Unique("persist-bind"));
        _d.Run("run", "--name", writer, "-v", $"{vol}:/v", "-v", $"{dir}:/b", "busybox", "sh", "-c", "echo in-volume > /v/f && echo in-bind > /b/f").Ok();
        _d.Run("rm", writer).Ok();
        Assert.Equal("in-volume\nin-bind\n", _d.Run("run", "--rm", "-v", $"{vol}:/v", "-v", $"{dir}:/b", "busybox", "cat", "/v/f", "/b/f").Ok().Stdout);
        _d.Stop();
        _d.Start();
        Assert.Contains(vol, _d.Run("volume", "ls", "-q").Ok().Stdout.Lines());
        Assert.Equal("in-volume\nin-bind\n", _d.Run("run", "--rm", "-v", $"{vol}:/v:ro", "-v", $"{dir}:/b:ro", "busybox", "cat", "/v/f", "/b/f").Ok().Stdout);
        _d.Run("volume", "rm", vol).Ok();
    }

    [Fact]
    public void An_invalid_volume_name_is_refused_and_creates_nothing()
    {
        var r = _d.Run("volume", "create", "no/slashes");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("includes invalid characters for a local volume name", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_d.DataRoot, "volumes", "no")));
    }

    [Fact]
    public void A_read_only_bind_mount_can_be_read_but_not_written_and_a_missing_host_dir_is_created()
    {
        string dir = Path.Combine(_d.Root, Support.Unique("bind"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "index.html"), "hello from the host\n");
        var r = _d.Run("run", "--rm", "-v", $"{dir}:/www:ro", "busybox", "sh", "-c", "cat /www/index.html; echo x > /www/new");
        output.WriteLine(r.ToString());
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("hello from the host\n", r.Stdout);
        Assert.Contains("Read-only file system", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "new")));

        string missing = Path.Combine(_d.Root, Support.Unique("made"));
        _d.Run("run", "--rm", "-v", $"{missing}:/out", "busybox", "sh", "-c", "echo written > /out/f").Ok();
        Assert.Equal("written\n", File.ReadAllText(Path.Combine(missing, "f")));
    }

    [Fact]
    public void An_empty_volume_is_filled_from_the_image_unless_nocopy()
    {
        string vol = Support.Unique("etc");
        var r = _d.Run("run", "--rm", "-v", $"{vol}:/etc", "busybox", "grep", "-c", "nobody", "/etc/passwd").Ok();
        Assert.Equal("1\n", r.Stdout);
        string nocopy = Support.Unique("nocopy");
        var empty = _d.Run("run", "--rm", "--mount", $"type=volume,source={nocopy},target=/etc,volume-nocopy", "busybox", "ls", "-A", "/etc").Ok();
        Assert.Equal("", empty.Stdout.Replace("hostname\n", "").Replace("hosts\n", "").Replace("resolv.conf\n", ""));
        _d.Run("volume", "rm", vol, nocopy).Ok();
    }

    [Fact]
    public void Tmpfs_mounts_a_fresh_tmpfs_and_inspect_shows_dockers_mount_fields()
    {
        var r = _d.Run("run", "--rm", "--tmpfs", "/scratch:size=1m", "busybox", "sh", "-c", "grep ' /scratch ' /proc/mounts").Ok();
        Assert.StartsWith("tmpfs /scratch tmpfs", r.Stdout);
        Assert.Contains("size=1024k", r.Stdout);

        string name = Support.Unique("insp");
        string vol = Support.Unique("named");
        _d.Run("create", "--name", name, "-v", $"{vol}:/data", "busybox", "true").Ok();
        string json = _d.Run("inspect", "-f", "{{json .Mounts}}", name).Ok().Stdout;
        output.WriteLine(json);
        Assert.Contains("\"Type\":\"volume\"", json);
        Assert.Contains($"\"Name\":\"{vol}\"", json);
        Assert.Contains("\"Destination\":\"/data\"", json);
        Assert.Contains("\"Driver\":\"local\"", json);
        Assert.Contains("\"RW\":true", json);
        var inUse = _d.Run("volume", "rm", vol);
        Assert.NotEqual(0, inUse.ExitCode);
        Assert.Contains("volume is in use", inUse.Stderr);
        _d.Run("rm", name).Ok();
        _d.Run("volume", "rm", vol).Ok();
    }

    [Fact]
    public void Rm_v_removes_the_anonymous_volume_and_keeps_named_ones()
    {
        string name = Support.Unique("anon");
        string vol = Support.Unique("keep");
        _d.Run("run", "--name", name, "-v", "/anon", "-v", $"{vol}:/named", "busybox", "true").Ok();
        string anonymous = _d.Run("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}", name).Ok().Stdout.Trim();
        output.WriteLine("anonymous volume: " + anonymous);
        Assert.Equal(64, anonymous.Length);
        _d.Run("rm", "-v", name).Ok();
        Assert.NotEqual(0, _d.Run("volume", "inspect", anonymous).ExitCode);
        _d.Run("volume", "inspect", vol).Ok();
        _d.Run("volume", "rm", vol).Ok();
    }

    [Theory]
    [InlineData("-v", "data/x:/x", "includes invalid characters for a local volume name")]
    [InlineData("-v", "/tmp:/", "destination can't be '/'")]
    [InlineData("-v", "/tmp:/x:bogus", "invalid mode: bogus")]
    [InlineData("--mount", "type=bind,source=/mc-no-such-dir,target=/x", "bind source path does not exist")]
    [InlineData("--mount", "type=volume,target=/x,bogus=1", "unexpected key 'bogus' in 'bogus=1'")]
    [InlineData("-v", "bad@name:/x", "includes invalid characters for a local volume name")]
    [InlineData("--mount", "type=bind,source=relative/dir,target=/x", "mount path must be absolute")]
    [InlineData("--mount", "type=volume,source=v1,target=/", "destination can't be '/'")]
    public void Bad_mount_specifications_are_clear_errors_and_create_nothing(string flag, string value, string message)
    {
        string before = Support.PsAll(_d);
        var volumesBefore = _d.Run("volume", "ls", "-q").Ok().Stdout;
        var r = _d.Run("run", "--rm", flag, value, "busybox", "true");
        output.WriteLine(r.ToString());
        Assert.Equal(125, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Equal(before, Support.PsAll(_d));
        Assert.Equal(volumesBefore, _d.Run("volume", "ls", "-q").Ok().Stdout);
    }

    [Fact]
    public void A_mount_target_behind_an_image_symlink_stays_inside_the_rootfs()
    {
        // An image whose /data is a symlink to a host-looking absolute path: mounting at /data/x must create
        // <rootfs>/mc-escape-…/x inside the container, never the host's /mc-escape-….
        string hostTarget = "/tmp/" + Support.Unique("mc-escape");
        string tag = ImportBusyboxWithSymlinks(("data", hostTarget));
        string vol = Support.Unique("v");
        var r = _d.Run("run", "--rm", "-v", $"{vol}:/data/x", tag, "sh", "-c", "echo in > /data/x/f && cat /data/x/f");
        output.WriteLine(r.ToString());
        Assert.False(Directory.Exists(hostTarget), $"{hostTarget} was created on the host");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("in\n", r.Stdout);
        _d.Run("volume", "rm", vol).Ok();
        _d.Run("rmi", tag).Ok();
    }
    /// <summary>
    /// A new volume is filled with what the image has at its destination. The daemon reads the image's layer
    /// directories on the host for that, and an image whose /data was a symlink to "/" had the host's own /etc copied
    /// into a volume at /data/etc, for the container to read (/etc/shadow included).
    /// </summary>
    [Fact]
    public void A_new_volume_is_filled_from_the_image_through_its_symlinks_never_from_the_host()
    {
        string tag = ImportBusyboxWithSymlinks(("data", "/"));
        string vol = Support.Unique("v");
        var r = _d.Run("run", "--rm", "-v", $"{vol}:/data/etc", tag, "sh", "-c", "ls /etc; ls /data/etc");
        output.WriteLine(r.ToString());
        string data = Path.Combine(_d.DataRoot, "volumes", vol, "_data");
        string[] copied = Directory.GetFileSystemEntries(data).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        Assert.DoesNotContain("shadow", copied);
        Assert.Equal(new[] { "group", "passwd" }, copied);   // busybox's /etc, where /data/etc leads inside the image
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("group\npasswd\ngroup\npasswd\n", r.Stdout);
        _d.Run("volume", "rm", vol).Ok();
        _d.Run("rmi", tag).Ok();
    }

    /// <summary>
    /// The init stage makes /etc/hostname, hosts and resolv.conf (mount targets) and mounts /proc, /dev and /sys before
    /// pivot_root, where an absolute symlink means the host's tree. An image whose /etc was a link to an existing host
    /// directory had the daemon create those three files there, as root.
    /// </summary>
    [Fact]
    public void Image_symlinks_at_etc_and_at_its_files_lead_inside_the_rootfs_never_to_the_host()
    {
        string hostDir = "/tmp/" + Support.Unique("mc-escape");
        Directory.CreateDirectory(hostDir);   // the attack needs a directory that exists on the host
        try
        {
            string etcLink = ImportBusyboxWithSymlinks(("etc", hostDir));
            var r = _d.Run("run", "--rm", "--hostname", "through-etc", etcLink, "sh", "-c", "cat /etc/hostname; grep -c through-etc /etc/hosts");
            output.WriteLine(r.ToString());
            Assert.Empty(Directory.GetFileSystemEntries(hostDir));
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("through-etc\n1\n", r.Stdout);

            string fileLinks = ImportBusyboxWithSymlinks(("etc/hostname", hostDir + "/hostname"),
                ("etc/hosts", "../../../../../../../.." + hostDir + "/hosts"), ("etc/resolv.conf", hostDir + "/sub/resolv.conf"));
            r = _d.Run("run", "--rm", "--hostname", "through-files", fileLinks, "sh", "-c", "cat /etc/hostname; grep -c through-files /etc/hosts; test -f /etc/resolv.conf");
            output.WriteLine(r.ToString());
            Assert.Empty(Directory.GetFileSystemEntries(hostDir));
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("through-files\n1\n", r.Stdout);
            _d.Run("rmi", etcLink, fileLinks).Ok();
        }
        finally { Directory.Delete(hostDir, recursive: true); }
    }

    /// <summary>A kernel filesystem is mounted only on an ordinary directory of the image, as runc insists: a mount
    /// follows a symlink, and before pivot_root that could be anywhere on the host.</summary>
    [Theory]
    [InlineData("proc")]
    [InlineData("dev")]
    [InlineData("sys")]
    public void An_image_whose_proc_dev_or_sys_is_a_symlink_is_refused(string dir)
    {
        string hostDir = "/tmp/" + Support.Unique("mc-escape");
        Directory.CreateDirectory(hostDir);
        try
        {
            string tag = ImportBusyboxWithSymlinks((dir, hostDir));
            string before = Support.PsAll(_d);
            var r = _d.Run("run", "--rm", tag, "true");
            output.WriteLine(r.ToString());
            Assert.Equal(125, r.ExitCode);
            Assert.Contains($"/{dir} in the image is a symbolic link", r.Stderr);
            Assert.Equal(before, Support.PsAll(_d));
            Assert.Empty(Directory.GetFileSystemEntries(hostDir));
            _d.Run("rmi", tag).Ok();
        }
        finally { Directory.Delete(hostDir, recursive: true); }
    }

    /// <summary>busybox's rootfs imported as a new image, with the given paths (and anything under them) replaced by
    /// symlinks. Returns the image's tag.</summary>
    private string ImportBusyboxWithSymlinks(params (string Path, string Target)[] links)
    {
        string tarPath = Path.Combine(_d.Root, Support.Unique("evil") + ".tar");
        using (var output = File.Create(tarPath))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: false))
        {
            using (var source = File.OpenRead(Path.Combine(Daemon.Fixtures, "busybox-rootfs.tar")))
            using (var reader = new TarReader(source))
                while (reader.GetNextEntry(copyData: true) is { } e)
                    if (!links.Any(l => e.Name.TrimEnd('/') == l.Path || e.Name.StartsWith(l.Path + "/", StringComparison.Ordinal)))
                        writer.WriteEntry(e);
            foreach (var (path, target) in links)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, path) { LinkName = target });
        }
        string tag = Support.Unique("evil") + ":latest";
        _d.Run("import", tarPath, tag).Ok();
        File.Delete(tarPath);
        return tag;
    }
}

/// <summary>docker diff: what a container changed, added and deleted, read from its upper dir.</summary>
public sealed class DiffTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    [Fact]
    public void Diff_lists_added_changed_and_deleted_paths_like_docker()
    {
        string name = Support.Unique("diff");
        _d.Run("run", "--name", name, "busybox", "sh", "-c", "echo x > /root/new; rm /bin/ls; echo more >> /etc/passwd").Ok();
        var diff = _d.Run("diff", name).Ok();
        output.WriteLine(diff.Stdout);
        string[] lines = diff.Stdout.Lines();
        Assert.Contains("C /root", lines);
        Assert.Contains("A /root/new", lines);
        Assert.Contains("C /bin", lines);
        Assert.Contains("D /bin/ls", lines);
        Assert.Contains("C /etc/passwd", lines);
        Assert.DoesNotContain("C /etc/hostname", lines);   // the runtime's own files are not the container's changes
        var docker = Daemon.Exec("/usr/local/bin/docker", new[] { "-H", _d.Host, "diff", name });
        Assert.Equal(diff.Stdout, docker.Stdout);
        _d.Run("rm", name).Ok();
    }
}

/// <summary>docker export: the merged filesystem as one tar, with the container's own changes applied and no mount left behind.</summary>
public sealed class ExportTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    [Fact]
    public void Export_is_the_image_plus_the_containers_changes_and_leaves_no_mount()
    {
        string name = Support.Unique("export");
        _d.Run("run", "--name", name, "busybox", "sh", "-c", "echo mine > /root/new; rm /bin/ls").Ok();
        string tarPath = Path.Combine(_d.Root, name + ".tar");
        _d.Run("export", "-o", tarPath, name).Ok();
        var entries = new Dictionary<string, System.Formats.Tar.TarEntry>();
        using (var reader = new System.Formats.Tar.TarReader(File.OpenRead(tarPath)))
            while (reader.GetNextEntry(copyData: true) is { } e) entries[e.Name.TrimEnd('/')] = e;
        output.WriteLine($"{entries.Count} entries");
        Assert.True(entries.ContainsKey("bin/busybox"));
        Assert.True(entries.ContainsKey("etc/passwd"));
        Assert.False(entries.ContainsKey("bin/ls"));                       // deleted in the container
        Assert.Equal("mine\n", new StreamReader(entries["root/new"].DataStream!).ReadToEnd());
        Assert.Equal(System.Formats.Tar.TarEntryType.SymbolicLink, entries["bin/sh"].EntryType);
        Assert.Empty(HostState.MountsUnder(_d.Root));
        // The real docker CLI gets the same archive.
        var docker = Daemon.Exec("/usr/local/bin/docker", new[] { "-H", _d.Host, "export", "-o", tarPath + ".docker", name });
        Assert.Equal(0, docker.ExitCode);
        Assert.Equal(new FileInfo(tarPath).Length, new FileInfo(tarPath + ".docker").Length);
        _d.Run("rm", name).Ok();
    }
}

/// <summary>docker commit: a new image from the container's changes, deletions included, with --change applied.</summary>
public sealed class CommitTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    [Fact]
    public void A_committed_image_has_the_containers_files_and_deletions_and_the_changed_config()
    {
        string name = Support.Unique("commit");
        string tag = Support.Unique("committed") + ":v1";
        _d.Run("run", "--name", name, "busybox", "sh", "-c", "mkdir -p /app && echo built > /app/out; rm /bin/ls").Ok();
        var commit = _d.Run("commit", "-m", "first", "-c", "CMD [\"cat\", \"/app/out\"]", "-c", "ENV MODE=prod", name, tag).Ok();
        output.WriteLine(commit.ToString());
        Assert.StartsWith("sha256:", commit.Stdout.Trim());

        Assert.Equal("built\n", _d.Run("run", "--rm", tag).Ok().Stdout);                     // the new CMD
        var check = _d.Run("run", "--rm", tag, "sh", "-c", "echo $MODE; ls /bin/ls 2>&1; cat /etc/hostname >/dev/null && echo ok");
        output.WriteLine(check.ToString());
        string[] lines = check.Stdout.Lines();
        Assert.Equal("prod", lines[0]);
        Assert.Contains("No such file", lines[1]);                                          // the deletion is in the image
        int baseLayers = int.Parse(_d.Run("inspect", "-f", "{{len .RootFS.Layers}}", "busybox").Ok().Stdout.Trim());
        Assert.Equal((baseLayers + 1).ToString(), _d.Run("inspect", "-f", "{{len .RootFS.Layers}}", tag).Ok().Stdout.Trim());

        // The real docker CLI commits too.
        string tag2 = Support.Unique("dockercommit") + ":latest";
        var docker = Daemon.Exec("/usr/local/bin/docker", new[] { "-H", _d.Host, "commit", name, tag2 });
        Assert.Equal(0, docker.ExitCode);
        Assert.Equal("built\n", _d.Run("run", "--rm", tag2, "cat", "/app/out").Ok().Stdout);
        _d.Run("rm", name).Ok();
        _d.Run("rmi", tag, tag2).Ok();
    }

    /// <summary>
    /// As dockerd: a running container is paused while its changes are read (so its processes cannot change, or swap
    /// for a symlink, what the walk is reading), with its pause and unpause events, and runs on after;
    /// `--pause=false` (API pause=0) leaves it running.
    /// </summary>
    [Fact]
    public void Commit_pauses_a_running_container_while_it_reads_it_unless_told_not_to()
    {
        string name = Support.Unique("commitp");
        string tag = Support.Unique("committed") + ":paused", tag2 = Support.Unique("committed") + ":unpaused";
        _d.Run("run", "-d", "--name", name, "busybox", "sh", "-c", "echo x > /marker; exec sleep 600").Ok();
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        try
        {
            _d.Run("commit", name, tag).Ok();
            Assert.Equal("running false", _d.Run("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name).Ok().Stdout.Trim());
            var between = DateTimeOffset.UtcNow;
            Thread.Sleep(1100);   // the two commits' events a whole second apart
            _d.Run("commit", "--pause=false", name, tag2).Ok();
            var until = DateTimeOffset.UtcNow.AddSeconds(1);
            Thread.Sleep(1200);
            string Actions(DateTimeOffset from, DateTimeOffset to) => string.Join(' ', _d.Run("events", "--since", Unix(from), "--until", Unix(to),
                "--filter", "container=" + name, "--filter", "event=pause", "--filter", "event=unpause", "--format", "{{.Action}}").Ok().Stdout.Lines());
            Assert.Equal("pause unpause", Actions(since, between));
            Assert.Equal("", Actions(between.AddSeconds(1), until));
            Assert.Equal("x\n", _d.Run("run", "--rm", tag2, "cat", "/marker").Ok().Stdout);
        }
        finally
        {
            _d.Run("rm", "-f", name);
            _d.Run("rmi", tag, tag2);
        }
    }

    /// <summary>docker-py's test_commit: start a container that ends at once, commit it at once. Its pause may find
    /// the container gone (the cgroup removed under the freezer): the commit goes on, as dockerd's does.</summary>
    [Fact]
    public void Commit_right_after_the_start_of_a_container_that_ends_at_once_succeeds()
    {
        for (int i = 0; i < 15; i++)
        {
            string id = _d.Run("run", "-d", "busybox", "touch", "/test").Ok().Stdout.Trim();
            var commit = _d.Run("commit", id);
            output.WriteLine(commit.ToString());
            Assert.Equal(0, commit.ExitCode);
            _d.Run("rm", "-f", id).Ok();
            _d.Run("rmi", commit.Stdout.Trim()).Ok();
        }
    }

    private static string Unix(DateTimeOffset t) => (t.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class VolumesFromTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    [Fact]
    public void Volumes_from_shares_the_volumes_and_ro_makes_them_read_only()
    {
        string source = Support.Unique("datasrc");
        string vol = Support.Unique("shared");
        _d.Run("create", "--name", source, "-v", $"{vol}:/shared", "busybox", "true").Ok();
        _d.Run("run", "--rm", "--volumes-from", source, "busybox", "sh", "-c", "echo via-volumes-from > /shared/f").Ok();
        Assert.Equal("via-volumes-from\n", _d.Run("run", "--rm", "--volumes-from", $"{source}:ro", "busybox", "cat", "/shared/f").Ok().Stdout);
        var write = _d.Run("run", "--rm", "--volumes-from", $"{source}:ro", "busybox", "touch", "/shared/g");
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.Stderr);
        Assert.Equal(125, _d.Run("run", "--rm", "--volumes-from", "mc-no-such-ctr", "busybox", "true").ExitCode);
        _d.Run("rm", source).Ok();
        _d.Run("volume", "rm", vol).Ok();
    }
}
