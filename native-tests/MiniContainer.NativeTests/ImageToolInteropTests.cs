using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Images written by an independent tool load and run: skopeo (Debian's) copies the busybox fixture to an oci-archive
/// (an OCI image layout in a tar, gzip layers; also zstd) and to a docker-archive. And the other way: what `save` writes
/// is read by skopeo as both a docker-archive and an OCI layout. skopeo works on local files only here.
/// </summary>
public sealed class ImageToolInteropTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly string _work = Directory.CreateTempSubdirectory("mc-skopeo-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private static string SkopeoPath =>
        new[] { "/usr/bin/skopeo", "/usr/local/bin/skopeo" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("skopeo is not installed: run `sudo scripts/install-deps.sh test` (apt-get install skopeo)");

    private CommandResult Skopeo(params string[] args)
    {
        // --insecure-policy: no /etc/containers/policy.json is needed for local file transports.
        CommandResult r = Daemon.Exec(SkopeoPath, new[] { "--insecure-policy", "--tmpdir", _work }.Concat(args).ToArray(), timeoutMs: 120_000);
        output.WriteLine($"skopeo {string.Join(' ', args)} → exit {r.ExitCode}\n{r.Stderr}");
        return r;
    }

    private static string BusyboxFixture => Path.Combine(Daemon.Fixtures, "busybox.tar");

    /// <summary>Loads <paramref name="archive"/>, checks it reports <paramref name="reference"/>, runs `echo ok` in it and removes it.</summary>
    private void LoadAndRun(string archive, string reference)
    {
        try
        {
            CommandResult load = _d.Run("load", "-i", archive);
            output.WriteLine($"load -i {Path.GetFileName(archive)}: {load}");
            Assert.True(load.ExitCode == 0, $"load of skopeo's {Path.GetFileName(archive)} failed: {load}");
            Assert.Contains(reference, load.Stdout);
            Assert.Equal("ok\n", _d.Run("run", "--rm", reference, "echo", "ok").Ok("run in the loaded image").Stdout);
            Assert.Equal("1\n", _d.Run("run", "--rm", reference, "grep", "-c", "^nobody:", "/etc/passwd").Ok().Stdout);
        }
        finally { _d.Run("rmi", reference); }
    }

    [Fact]
    public void An_oci_archive_written_by_skopeo_loads_and_runs()
    {
        string tag = Support.Unique("oci");
        string archive = Path.Combine(_work, "bb-oci.tar");
        Skopeo("copy", "docker-archive:" + BusyboxFixture, $"oci-archive:{archive}:busybox:{tag}").Ok("skopeo copy to oci-archive");
        LoadAndRun(archive, $"busybox:{tag}");
    }

    [Fact]
    public void An_oci_archive_with_zstd_layers_written_by_skopeo_loads_and_runs()
    {
        string tag = Support.Unique("zstd");
        string archive = Path.Combine(_work, "bb-oci-zstd.tar");
        Skopeo("copy", "--dest-compress-format", "zstd", "docker-archive:" + BusyboxFixture, $"oci-archive:{archive}:busybox:{tag}").Ok("skopeo copy to a zstd oci-archive");
        LoadAndRun(archive, $"busybox:{tag}");
    }

    [Fact]
    public void A_docker_archive_written_by_skopeo_loads_and_runs()
    {
        string tag = Support.Unique("skopeo");
        string archive = Path.Combine(_work, "bb-docker.tar");
        Skopeo("copy", "docker-archive:" + BusyboxFixture, $"docker-archive:{archive}:busybox:{tag}").Ok("skopeo copy to docker-archive");
        LoadAndRun(archive, $"busybox:{tag}");
    }

    [Fact]
    public void What_save_writes_is_read_by_skopeo_as_docker_archive_and_oci_layout()
    {
        string saved = Path.Combine(_work, "saved.tar");
        _d.Run("save", "-o", saved, "busybox:latest").Ok("save");
        string layer = _d.Run("inspect", "-f", "{{index .RootFS.Layers 0}}", "busybox:latest").Ok().Stdout.Trim();
        Assert.StartsWith("sha256:", layer);

        CommandResult docker = Skopeo("inspect", "--format", "{{.Os}}/{{.Architecture}} {{len .Layers}}", "docker-archive:" + saved).Ok("skopeo inspect docker-archive");
        Assert.Equal("linux/amd64 1", docker.Stdout.Trim());
        CommandResult oci = Skopeo("inspect", "--config", "oci-archive:" + saved).Ok("skopeo inspect oci-archive");
        Assert.Contains(layer, oci.Stdout);   // the config's diff_id is the layer our store holds

        // And a full round trip: skopeo rewrites our save as an oci-archive, which we load back under a new tag.
        string tag = Support.Unique("roundtrip");
        string again = Path.Combine(_work, "again.tar");
        Skopeo("copy", "docker-archive:" + saved, $"oci-archive:{again}:busybox:{tag}").Ok("skopeo copy of our save");
        LoadAndRun(again, $"busybox:{tag}");
    }
}
