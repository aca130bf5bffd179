using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Images;
using MiniContainer.Registry;
using MiniContainer.UnitTests.Images;
using Xunit;

namespace MiniContainer.UnitTests.Registry;

/// <summary>A whole pull from a fake registry into a real store: what is stored, what is said, and nothing stored when a blob lies.</summary>
public sealed class PullerTests : IDisposable
{
    private readonly FakeRegistry _registry = new();
    private readonly TempHost _host = new();
    public void Dispose() { _registry.Dispose(); _host.Dispose(); }

    /// <summary>Serves one image (two gzip layers) under repo "team/app", tag "v1"; <paramref name="tamper"/> corrupts the top layer's bytes.</summary>
    private (string ManifestDigest, string ImageId) Serve(bool tamper)
    {
        byte[] tar1 = new TarBuilder().File("a.txt", "bottom").Build(), tar2 = new TarBuilder().File("b.txt", "top").Build();
        byte[] gz1 = TarBuilder.Gzip(tar1), gz2 = TarBuilder.Gzip(tar2);
        byte[] config = TestArchives.ImageConfig([tar1, tar2]);
        string manifest = new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = ManifestTypes.DockerManifest,
            ["config"] = new JsonObject { ["mediaType"] = ManifestTypes.DockerConfig, ["digest"] = Digests.Of(config), ["size"] = config.Length },
            ["layers"] = new JsonArray(
                new JsonObject { ["mediaType"] = ManifestTypes.DockerLayerGzip, ["digest"] = Digests.Of(gz1), ["size"] = gz1.Length },
                new JsonObject { ["mediaType"] = ManifestTypes.DockerLayerGzip, ["digest"] = Digests.Of(gz2), ["size"] = gz2.Length }),
        }.ToJsonString();
        var blobs = new Dictionary<string, byte[]>
        {
            [Digests.Of(config)] = config, [Digests.Of(gz1)] = gz1,
            [Digests.Of(gz2)] = tamper ? gz2.Select((b, i) => i == gz2.Length / 2 ? (byte)(b ^ 0xff) : b).ToArray() : gz2,
        };
        _registry.Handle = ctx =>
        {
            string path = ctx.Request.Url!.AbsolutePath;
            if (path == "/v2/") return FakeRegistry.Respond(ctx, 200, "{}");
            if (path == "/v2/team/app/manifests/v1") return FakeRegistry.Respond(ctx, 200, manifest, ManifestTypes.DockerManifest);
            if (path.StartsWith("/v2/team/app/blobs/", StringComparison.Ordinal) && blobs.TryGetValue(path[19..], out var blob)) return FakeRegistry.Respond(ctx, 200, blob);
            return FakeRegistry.Respond(ctx, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}");
        };
        return (Digests.Of(Encoding.UTF8.GetBytes(manifest)), Digests.Of(config));
    }

    private static (ProgressWriter Writer, MemoryStream Output) Progress()
    {
        var output = new MemoryStream();
        return (new ProgressWriter(() => Task.FromResult<Stream>(output)), output);
    }

    [Fact]
    public async Task A_pulled_image_is_stored_tagged_with_its_repo_digest_and_progress_like_dockers()
    {
        var (manifestDigest, imageId) = Serve(tamper: false);
        var store = new ImageStore(_host.Paths);
        var (writer, output) = Progress();
        var reference = ImageReference.Parse($"{_registry.Address}/team/app:v1");
        await new Puller(store).PullAsync(reference, AuthConfig.Anonymous, allTags: false, writer, default);
        await writer.CompleteAsync();

        var image = store.Find(reference.ToString())!;
        Assert.Equal(imageId, image.Id);
        Assert.Equal([$"{_registry.Address}/team/app@{manifestDigest}"], image.RepoDigests);
        Assert.True(File.Exists(Path.Combine(store.LowerDirs(image)[0], "b.txt")));
        string text = Encoding.UTF8.GetString(output.ToArray());
        foreach (string status in new[] { "Pulling from team/app", "Pulling fs layer", "Verifying Checksum", "Download complete", "Extracting", "Pull complete",
                                          $"Digest: {manifestDigest}", $"Status: Downloaded newer image for {reference}" })
            Assert.Contains($"\"status\":\"{status}\"", text);
        Assert.Empty(Directory.GetDirectories(_host.Paths.Tmp));
    }

    [Fact]
    public async Task A_layer_that_does_not_match_its_digest_stores_and_tags_nothing()
    {
        Serve(tamper: true);
        var store = new ImageStore(_host.Paths);
        var before = _host.Snapshot();
        var (writer, _) = Progress();
        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            new Puller(store).PullAsync(ImageReference.Parse($"{_registry.Address}/team/app:v1"), AuthConfig.Anonymous, false, writer, default));
        Assert.Contains("filesystem layer verification failed", e.Message);
        Assert.Empty(store.List());
        Assert.Equal(before, _host.Snapshot());
    }
}
