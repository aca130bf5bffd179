using System.Text;
using System.Text.Json;
using MiniContainer.Api;
using MiniContainer.Images;
using MiniContainer.Storage;
using Xunit;

namespace MiniContainer.UnitTests.Api;

/// <summary>GET /images/{name}/json's ContainerConfig, which docker-compose 1.29 reads to recreate a container.</summary>
public sealed class ImageInspectTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mc-unit-inspect-" + Guid.NewGuid().ToString("N")[..8]);
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    private static Image Img(string rawConfig) =>
        new("sha256:" + new string('a', 64), Encoding.UTF8.GetBytes(rawConfig), new ImageConfig(), [], 0, ["x:1"], []);

    private string Json(Image image) =>
        JsonSerializer.Serialize(ImageRoutes.Inspect(new ImageStore(new HostPaths(_root, Path.Combine(_root, "run"))), image), DaemonJson.Default.ImageInspect);

    [Fact]
    public void The_container_config_is_the_one_stored_in_the_image_config()
    {
        string json = Json(Img("""{"container_config":{"Cmd":["/bin/sh","-c","#(nop) CMD [\"sh\"]"],"Volumes":{"/data":{}}}}"""));
        Assert.Contains("\"ContainerConfig\":{", json);
        Assert.Contains("#(nop) CMD", json);
        Assert.Contains("\"/data\"", json);
    }

    [Fact]
    public void An_image_without_one_gets_an_empty_container_config() =>
        Assert.Contains("\"ContainerConfig\":{\"User\":null", Json(Img("{}")));
}
