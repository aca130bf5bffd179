using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>The real docker CLI on storage: volume *, run -v / --mount, cp both ways (diff, commit and export are in VolumeTests).</summary>
public sealed class DockerCliStorageTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-docker-storage-").FullName;
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose()
    {
        _docker.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private CommandResult Docker(params string[] args) => _docker.Run(args);

    [Fact]
    public void Docker_volume_create_ls_inspect_rm_prune()
    {
        string vol = Support.Unique("dvol"), spare = Support.Unique("dspare");
        Assert.Equal(vol + "\n", Docker("volume", "create", "--label", "app=web", vol).Ok().Stdout);
        Docker("volume", "create", spare).Ok();
        Assert.Contains(vol, Docker("volume", "ls", "-q").Ok().Stdout.Lines());
        Assert.Contains($"local     {vol}", Docker("volume", "ls", "--filter", "label=app=web").Ok().Stdout);
        string inspect = Docker("volume", "inspect", "--format", "{{.Name}} {{.Driver}} {{.Mountpoint}} {{.Labels.app}}", vol).Ok().Stdout.Trim();
        Assert.Equal($"{vol} local {Path.Combine(_d.DataRoot, "volumes", vol, "_data")} web", inspect);
        Docker("volume", "rm", vol).Ok();
        Assert.DoesNotContain(vol, Docker("volume", "ls", "-q").Ok().Stdout);
        var pruned = Docker("volume", "prune", "-f", "--all").Ok().Stdout;
        Assert.Contains(spare, pruned);
        Assert.Contains("Total reclaimed space", pruned);
    }

    [Fact]
    public void Docker_run_with_v_and_mount_reads_and_writes_the_host()
    {
        string vol = Support.Unique("dmount");
        string bind = Path.Combine(_dir, "bind");
        Directory.CreateDirectory(bind);
        File.WriteAllText(Path.Combine(bind, "conf"), "from host\n");
        var r = Docker("run", "--rm", "-v", $"{vol}:/data", "--mount", $"type=bind,source={bind},target=/conf,readonly",
            "busybox", "sh", "-c", "cat /conf/conf; echo saved > /data/f; touch /conf/x 2>/dev/null || echo ro").Ok();
        Assert.Equal("from host\nro\n", r.Stdout);
        Assert.Equal("saved\n", Docker("run", "--rm", "--mount", $"type=volume,source={vol},target=/d", "busybox", "cat", "/d/f").Ok().Stdout);
        Docker("volume", "rm", vol).Ok();
    }

    [Fact]
    public void Docker_cp_both_ways_on_a_running_container()
    {
        string name = Support.Unique("dcp");
        Docker("run", "-d", "--name", name, "busybox", "sleep", "600").Ok();
        try
        {
            Directory.CreateDirectory(Path.Combine(_dir, "tree", "sub"));
            File.WriteAllText(Path.Combine(_dir, "tree", "sub", "f"), "tree file\n");
            Docker("cp", Path.Combine(_dir, "tree"), $"{name}:/tmp/tree").Ok();
            Assert.Equal("tree file\n", _d.Run("exec", name, "cat", "/tmp/tree/sub/f").Ok().Stdout);
            Docker("cp", Path.Combine(_dir, "tree") + "/.", $"{name}:/root").Ok();
            Assert.Equal("tree file\n", _d.Run("exec", name, "cat", "/root/sub/f").Ok().Stdout);

            Docker("cp", $"{name}:/tmp/tree", Path.Combine(_dir, "back")).Ok();
            Assert.Equal("tree file\n", File.ReadAllText(Path.Combine(_dir, "back", "sub", "f")));
            Docker("cp", $"{name}:/etc/hostname", _dir + "/").Ok();
            Assert.Equal(_d.Run("exec", name, "cat", "/etc/hostname").Ok().Stdout, File.ReadAllText(Path.Combine(_dir, "hostname")));

            var missing = Docker("cp", $"{name}:/nope", _dir);
            Assert.NotEqual(0, missing.ExitCode);
            Assert.Contains($"Could not find the file /nope in container {name}", missing.Stderr);
            var noParent = Docker("cp", Path.Combine(_dir, "hostname"), $"{name}:/no/such/dir/x");
            Assert.NotEqual(0, noParent.ExitCode);
            Assert.Contains("Could not find the file /no/such/dir in container", noParent.Stderr);
        }
        finally { _d.Run("rm", "-f", name); }
    }
}
