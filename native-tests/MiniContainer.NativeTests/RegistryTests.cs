using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// pull and push against a real registry (Debian's docker-registry on 127.0.0.1), checked by an independent client:
/// what we push, skopeo reads back; what skopeo pushes, we pull and run. Credentials go to a private DOCKER_CONFIG.
/// </summary>
public sealed class RegistryTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly LocalRegistry _registry = new();
    private readonly string _work = SetUpWork();

    private static string SetUpWork()
    {
        string work = Directory.CreateTempSubdirectory("mc-registry-test-").FullName;
        Environment.SetEnvironmentVariable("DOCKER_CONFIG", Path.Combine(work, "docker-config"));
        return work;
    }

    public void Dispose()
    {
        _registry.Dispose();
        Environment.SetEnvironmentVariable("DOCKER_CONFIG", null);
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private CommandResult Mc(params string[] args)
    {
        var r = _d.Run(args);
        output.WriteLine($"minicontainer {string.Join(' ', args)} → {r}");
        return r;
    }

    internal static CommandResult Skopeo(ITestOutputHelper output, string work, params string[] args)
    {
        var r = Daemon.Exec("/usr/bin/skopeo", new[] { "--insecure-policy", "--tmpdir", work }.Concat(args).ToArray());
        output.WriteLine($"skopeo {string.Join(' ', args)} → {r}");
        return r;
    }

    private CommandResult Skopeo(params string[] args) => Skopeo(output, _work, args);

    /// <summary>A one-layer image of random bytes that no other image shares, tagged <paramref name="name"/>.</summary>
    private void ImportRandomImage(string name, int bytes)
    {
        string dir = Path.Combine(_work, Support.Unique("rand"));
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "random.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(bytes));
        string tar = dir + ".tar";
        Daemon.Exec("/bin/tar", ["-C", dir, "-cf", tar, "random.bin"]).Ok("tar");
        Mc("import", tar, name).Ok("import");
    }

    [Fact]
    public void Push_busybox_and_skopeo_reads_it_back_and_it_loads_and_runs()
    {
        string name = $"{_registry.Address}/mc/busybox:{Support.Unique("v")}";
        Mc("tag", "busybox", name).Ok();
        var push = Mc("push", name).Ok("push");
        Assert.Contains($"The push refers to repository [{name[..name.LastIndexOf(':')]}]", push.Stdout);
        Assert.Contains(": Pushed", push.Stdout);
        Assert.Matches(@"v-\w+: digest: sha256:[0-9a-f]{64} size: \d+", push.Stdout);

        var inspect = JsonNode.Parse(Skopeo("inspect", "--tls-verify=false", "docker://" + name).Ok("skopeo inspect").Stdout)!;
        var ours = JsonNode.Parse(Mc("inspect", "--type", "image", name).Ok().Stdout)!.AsArray()[0]!;
        Assert.Equal(ours["RootFS"]!["Layers"]!.AsArray().Count, inspect["Layers"]!.AsArray().Count);
        string pushedDigest = inspect["Digest"]!.GetValue<string>();
        Assert.Contains($"{name[..name.LastIndexOf(':')]}@{pushedDigest}", ours["RepoDigests"]!.AsArray().Select(d => d!.GetValue<string>()));
        // busybox is stored as a plain tar (it was loaded); as from Docker, it goes up gzip-compressed, in a schema2 manifest.
        var raw = JsonNode.Parse(Skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + name).Ok("skopeo inspect --raw").Stdout)!;
        Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", (string?)raw["mediaType"]);
        Assert.All(raw["layers"]!.AsArray(), l => Assert.Equal("application/vnd.docker.image.rootfs.diff.tar.gzip", (string?)l!["mediaType"]));
        Assert.True((long)raw["layers"]![0]!["size"]! < (long)ours["Size"]!, "the pushed layer is smaller than the unpacked image");

        string archive = Path.Combine(_work, "copy.tar");
        string tag = Support.Unique("back");
        Skopeo("copy", "--src-tls-verify=false", "docker://" + name, $"oci-archive:{archive}:busybox:{tag}").Ok("skopeo copy to oci-archive");
        Mc("load", "-i", archive).Ok("load what skopeo copied out");
        Assert.Equal("ok\n", Mc("run", "--rm", $"busybox:{tag}", "echo", "ok").Ok().Stdout);
        Mc("rmi", $"busybox:{tag}", name);

        // Pushing again: every blob is there already.
        Mc("tag", "busybox", name).Ok();
        Assert.Contains("Layer already exists", Mc("push", name).Ok().Stdout);
        Mc("rmi", name);
    }

    [Fact]
    public void Skopeo_pushes_we_pull_by_tag_and_by_digest_and_run()
    {
        string repo = $"{_registry.Address}/sk/{Support.Unique("probe")}";
        Skopeo("copy", "--dest-tls-verify=false", "docker-archive:" + Path.Combine(Daemon.Fixtures, "busybox.tar"), $"docker://{repo}:1").Ok("skopeo push");
        string digest = JsonNode.Parse(Skopeo("inspect", "--tls-verify=false", $"docker://{repo}:1").Ok().Stdout)!["Digest"]!.GetValue<string>();

        var pull = Mc("pull", $"{repo}:1").Ok("pull");
        Assert.Contains("1: Pulling from sk/", pull.Stdout);
        Assert.Contains($"Digest: {digest}", pull.Stdout);
        Assert.Contains($"Status: Downloaded newer image for {repo}:1", pull.Stdout);
        Assert.EndsWith($"{repo}:1\n", pull.Stdout);
        Assert.Equal("ok\n", Mc("run", "--rm", $"{repo}:1", "echo", "ok").Ok().Stdout);
        var inspect = JsonNode.Parse(Mc("inspect", "--type", "image", $"{repo}:1").Ok().Stdout)!.AsArray()[0]!;
        Assert.Contains($"{repo}@{digest}", inspect["RepoDigests"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Contains(digest, Mc("images", "--digests", repo).Ok().Stdout);

        Assert.Contains("Image is up to date", Mc("pull", $"{repo}:1").Ok().Stdout);
        // As dockerd: the last tag of a repository takes that repository's digest with it.
        Assert.Contains($"Untagged: {repo}@{digest}", Mc("rmi", $"{repo}:1").Ok().Stdout);
        Assert.DoesNotContain(repo, Mc("images", "--digests").Ok().Stdout);

        var byDigest = Mc("pull", $"{repo}@{digest}").Ok("pull by digest");
        Assert.Contains($"{repo}@{digest}", byDigest.Stdout);
        Assert.Equal("ok\n", Mc("run", "--rm", $"{repo}@{digest}", "echo", "ok").Ok().Stdout);
        Assert.Equal(repo + " <none> " + digest + "\n", Mc("images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}", repo).Ok().Stdout);
        Assert.Contains($"Untagged: {repo}@{digest}", Mc("rmi", $"{repo}@{digest}").Ok().Stdout);
    }

    [Fact]
    public void A_build_FROM_an_image_the_daemon_lacks_pulls_it_first()
    {
        string repo = $"{_registry.Address}/base/{Support.Unique("bb")}";
        Skopeo("copy", "--dest-tls-verify=false", "docker-archive:" + Path.Combine(Daemon.Fixtures, "busybox.tar"), $"docker://{repo}:1").Ok("skopeo push");
        string context = Path.Combine(_work, Support.Unique("ctx"));
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM {repo}:1\nRUN echo built > /built\n");
        string tag = Support.Unique("pulled-base");

        var build = Mc("build", "-t", tag, context).Ok("build");
        Assert.Contains($"Step 1/2 : FROM {repo}:1", build.Stdout);
        Assert.Contains("1: Pulling from base/", build.Stdout);
        Assert.Contains($"Status: Downloaded newer image for {repo}:1", build.Stdout);
        Assert.Contains($"Successfully tagged {tag}:latest", build.Stdout);
        Assert.Equal("built\n", Mc("run", "--rm", tag, "cat", "/built").Ok().Stdout);
        Assert.Equal(0, Mc("inspect", "--type", "image", $"{repo}:1").ExitCode);   // the base is stored like any pull

        Mc("rmi", tag, $"{repo}:1");
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM {_registry.Address}/base/nothing-here:1\n");
        var failed = Mc("build", context);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("nothing-here", failed.Stderr + failed.Stdout);
    }

    [Fact]
    public void A_gzip_image_with_a_new_layer_downloads_verifies_extracts_and_runs()
    {
        // skopeo compresses the probe's layers with gzip on the way to the registry; the probe's own layer is new to a store without mc-probe.
        string repo = $"{_registry.Address}/sk/{Support.Unique("gz")}";
        Skopeo("copy", "--dest-tls-verify=false", "docker-archive:" + Path.Combine(Daemon.Fixtures, "probe.tar"), $"docker://{repo}:1").Ok("skopeo push");
        string layer = JsonNode.Parse(Skopeo("inspect", "--tls-verify=false", $"docker://{repo}:1").Ok().Stdout)!["Layers"]!.AsArray()[^1]!.GetValue<string>();
        Mc("rmi", "mc-probe:latest").Ok();
        try
        {
            var pull = Mc("pull", $"{repo}:1").Ok("pull");
            string id = layer[7..19];
            foreach (string step in new[] { "Pulling fs layer", "Verifying Checksum", "Download complete", "Extracting", "Pull complete" })
                Assert.Contains($"{id}: {step}", pull.Stdout);
            Assert.Contains("Already exists", pull.Stdout);   // the busybox layer underneath
            Assert.Equal("ok\n", Mc("run", "--rm", $"{repo}:1", "echo", "ok").Ok().Stdout);
        }
        finally
        {
            Mc("rmi", $"{repo}:1");
            Mc("load", "-i", Path.Combine(Daemon.Fixtures, "probe.tar")).Ok();
        }
    }

    [Fact]
    public void An_index_is_followed_to_the_linux_amd64_manifest_and_all_tags_pulls_every_tag()
    {
        string repo = $"{_registry.Address}/sk/{Support.Unique("multi")}";
        Skopeo("copy", "--dest-tls-verify=false", "--format", "oci", "docker-archive:" + Path.Combine(Daemon.Fixtures, "busybox.tar"), $"docker://{repo}:single").Ok();
        string raw = Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{repo}:single").Ok().Stdout;
        string digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(raw)));
        // An index with an arm64 entry first (pointing at the same manifest) and the amd64 one second.
        string index = $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{digest}}}","size":{{{raw.Length}}},"platform":{"architecture":"arm64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{digest}}}","size":{{{raw.Length}}},"platform":{"architecture":"amd64","os":"linux"}}]}""";
        string indexFile = Path.Combine(_work, "index.json");
        File.WriteAllText(indexFile, index);
        Daemon.Exec("/usr/bin/curl", ["-sf", "-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.index.v1+json", "--data-binary", "@" + indexFile,
            $"http://{_registry.Address}/v2/{repo[(repo.IndexOf('/') + 1)..]}/manifests/multi"]).Ok("PUT the index");

        var pull = Mc("pull", "--all-tags", repo).Ok("pull --all-tags");
        Assert.Contains("multi: Pulling from", pull.Stdout);
        Assert.Contains("single: Pulling from", pull.Stdout);
        Assert.Equal("ok\n", Mc("run", "--rm", $"{repo}:multi", "echo", "ok").Ok().Stdout);
        var inspect = JsonNode.Parse(Mc("inspect", "--type", "image", $"{repo}:multi").Ok().Stdout)!.AsArray()[0]!;
        string indexDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(indexFile)));
        Assert.Contains($"{repo}@{indexDigest}", inspect["RepoDigests"]!.AsArray().Select(d => d!.GetValue<string>()));
        Mc("rmi", $"{repo}:multi", $"{repo}:single");
    }

    [Fact]
    public void A_big_layer_goes_up_in_chunks_and_a_blob_of_another_repository_is_mounted()
    {
        string name = $"{_registry.Address}/big/{Support.Unique("rand")}:1";
        ImportRandomImage(name, 40 << 20);
        try
        {
            Assert.Contains(": Pushed", Mc("push", name).Ok("push").Stdout);
            Assert.Contains("\"PATCH /v2/big/", _registry.Log());   // chunked: POST, PATCH…, PUT ?digest=

            string other = $"{_registry.Address}/copies/{Support.Unique("rand")}:1";
            Mc("tag", name, other).Ok();
            Assert.Contains(": Mounted from big/", Mc("push", other).Ok("push to another repository").Stdout);
            Mc("rmi", other);
        }
        finally { Mc("rmi", name); }
    }

    [Fact]
    public void A_blob_that_does_not_match_its_digest_fails_the_pull_and_nothing_is_stored_or_tagged()
    {
        string name = $"{_registry.Address}/tamper/{Support.Unique("rand")}:1";
        ImportRandomImage(name, 1 << 20);
        Mc("push", name).Ok("push");
        string layerBlob = JsonNode.Parse(Skopeo("inspect", "--tls-verify=false", $"docker://{name}").Ok().Stdout)!["Layers"]![0]!.GetValue<string>();
        string imageId = JsonNode.Parse(Mc("inspect", "--type", "image", name).Ok().Stdout)!.AsArray()[0]!["Id"]!.GetValue<string>();
        Assert.True(File.Exists(Path.Combine(_d.DataRoot, "blobs", "sha256", layerBlob[7..])), "push kept its gzip copy of the layer");
        Mc("rmi", name).Ok();
        Assert.False(File.Exists(Path.Combine(_d.DataRoot, "blobs", "sha256", layerBlob[7..])), "rmi left the gzip copy behind");

        // Flip one byte of the (gzip) layer blob in the registry's storage.
        string file = _registry.BlobFile(layerBlob);
        byte[] bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(file, bytes);

        var pull = Mc("pull", name);
        Assert.NotEqual(0, pull.ExitCode);
        Assert.Contains($"filesystem layer verification failed for digest {layerBlob}", pull.Stderr);
        Assert.NotEqual(0, Mc("inspect", "--type", "image", name).ExitCode);
        Assert.DoesNotContain(imageId[7..19], Mc("images", "-a", "-q").Stdout);
        Assert.False(File.Exists(Path.Combine(_d.DataRoot, "blobs", "sha256", layerBlob[7..])), "the bad blob was stored");
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_d.DataRoot, "tmp"), "image-*"));
    }

    [Fact]
    public void An_unreachable_registry_and_docker_hub_fail_quickly_with_a_clear_error()
    {
        int closed = LocalRegistry.FreePort();
        var clock = Stopwatch.StartNew();
        var refused = Mc("pull", $"127.0.0.1:{closed}/nothing:1");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"Get \"http://127.0.0.1:{closed}/v2/\"", refused.Stderr);
        Assert.Contains("connection refused", refused.Stderr);

        var hub = Mc("pull", "busybox:does-not-matter");
        Assert.NotEqual(0, hub.ExitCode);
        Assert.Contains("registry-1.docker.io", hub.Stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the failures took {clock.Elapsed}");

        var missing = Mc("pull", $"{_registry.Address}/no/such-repo:1");
        Assert.Contains("not found: manifest unknown", missing.Stderr);
        Assert.NotEqual(0, Mc("push", $"{_registry.Address}/not-tagged-here:1").ExitCode);
    }
}
