using System.Text;
using MiniContainer.Images;
using MiniContainer.Storage;
using MiniContainer.UnitTests.Images;

namespace MiniContainer.UnitTests.Containers;

/// <summary>
/// Real <see cref="Image"/> objects, made the way the daemon makes them: a docker-archive with one empty layer
/// (no files, so no lchown and no root) loaded into a throwaway image store. The Image is a snapshot and
/// outlives the store, which is deleted at once.
/// </summary>
internal static class TestImages
{
    /// <param name="containerDefaults">The image config's "config" object, e.g. {"Cmd":["sh"],"Env":["PATH=/bin"]}.</param>
    public static Image WithDefaults(string containerDefaults)
    {
        byte[] layer = new byte[1024];   // an empty tar: just the two zero blocks that end an archive
        byte[] config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","config":{{{containerDefaults}}},"rootfs":{"type":"layers","diff_ids":["{{{TarBuilder.Sha256(layer)}}}"]}}""");
        string root = Path.Combine(Path.GetTempPath(), $"mc-ut-img-{Guid.NewGuid():N}");
        try
        {
            var store = new ImageStore(new HostPaths(Path.Combine(root, "data"), Path.Combine(root, "run")));
            store.Load(new MemoryStream(TestArchives.DockerArchive("test/image:latest", [(layer, layer)], config)));
            return store.Find("test/image:latest") ?? throw new InvalidOperationException("the loaded test image is not in the store");
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
