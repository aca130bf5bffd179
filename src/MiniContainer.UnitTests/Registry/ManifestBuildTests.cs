using System.Text.Json.Nodes;
using MiniContainer.Registry;
using MiniContainer.UnitTests.Images;
using Xunit;

namespace MiniContainer.UnitTests.Registry;

/// <summary>What push sends: Docker schema2 when every layer is gzip, else OCI with the layers' own types.</summary>
public sealed class ManifestBuildTests
{
    private static MiniContainer.Images.ImageStore.LayerBlob Layer(string mediaType, char hex) =>
        new("sha256:" + new string(hex, 64), mediaType, "/nonexistent", 123, "sha256:" + new string(hex, 64));

    private static MiniContainer.Images.Image AnImage(TempHost host)
    {
        var store = new MiniContainer.Images.ImageStore(host.Paths);
        store.Load(new MemoryStream(TestArchives.DockerArchive("app:1", new TarBuilder().File("a", "x").Build())));
        return store.Find("app:1")!;
    }

    [Fact]
    public void Gzip_layers_make_a_docker_schema2_manifest()
    {
        using var host = new TempHost();
        var image = AnImage(host);
        var (bytes, mediaType) = Pusher.BuildManifest(image, [Layer(ManifestTypes.OciLayerGzip, 'a')]);
        Assert.Equal(ManifestTypes.DockerManifest, mediaType);
        var json = JsonNode.Parse(bytes)!;
        Assert.Equal(2, json["schemaVersion"]!.GetValue<int>());
        Assert.Equal(ManifestTypes.DockerManifest, json["mediaType"]!.GetValue<string>());
        Assert.Equal(ManifestTypes.DockerConfig, json["config"]!["mediaType"]!.GetValue<string>());
        Assert.Equal(image.Id, json["config"]!["digest"]!.GetValue<string>());
        Assert.Equal(image.RawConfig.Length, json["config"]!["size"]!.GetValue<int>());
        Assert.Equal(ManifestTypes.DockerLayerGzip, json["layers"]![0]!["mediaType"]!.GetValue<string>());
        Assert.Equal(123, json["layers"]![0]!["size"]!.GetValue<int>());
    }

    [Fact]
    public void Plain_tar_or_zstd_layers_make_an_oci_manifest()
    {
        using var host = new TempHost();
        var image = AnImage(host);
        var (bytes, mediaType) = Pusher.BuildManifest(image, [Layer(ManifestTypes.OciLayer, 'a'), Layer(ManifestTypes.OciLayerZstd, 'b')]);
        Assert.Equal(ManifestTypes.OciManifest, mediaType);
        var json = JsonNode.Parse(bytes)!;
        Assert.Equal(ManifestTypes.OciConfig, json["config"]!["mediaType"]!.GetValue<string>());
        Assert.Equal([ManifestTypes.OciLayer, ManifestTypes.OciLayerZstd], json["layers"]!.AsArray().Select(l => l!["mediaType"]!.GetValue<string>()));
    }
}
