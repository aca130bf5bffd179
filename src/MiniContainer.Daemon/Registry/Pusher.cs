using System.Text.Json.Nodes;
using MiniContainer.Images;

namespace MiniContainer.Registry;

/// <summary>
/// `docker push`: for each layer, HEAD (the registry has it: "Layer already exists"), else a cross-repository mount
/// when an image with that blob came from (or went to) another repository of the same registry ("Mounted from …"),
/// else an upload, monolithic or chunked ("Pushed"); then the config blob and the manifest, tagged. Layers stored as
/// plain tars go up gzip-compressed, as Docker pushes them, so the manifest is Docker's schema2.
/// Layers go up concurrently, five at a time, as Docker's max-concurrent-uploads.
/// </summary>
public sealed class Pusher(ImageStore store)
{
    private const int ConcurrentUploads = 5;

    /// <summary>Pushes <paramref name="reference"/>'s tag, or every tag of its repository when it names none.</summary>
    public async Task PushAsync(ImageReference reference, AuthConfig auth, ProgressWriter progress, CancellationToken ct)
    {
        string repository = reference.Repository;
        var tags = reference.Tag is { } tag ? [reference.ToString()] : store.TagsOf(repository);
        if (tags.Count == 0 || store.Find(tags[0]) is null)
            throw new RegistryException($"An image does not exist locally with the tag: {(reference.Tag is null ? repository : reference.ToString())}", 404);

        var client = new RegistryClient(RegistryEndpoint.For(reference.Domain), auth);
        await client.PingAsync(ct);
        progress.Status($"The push refers to repository [{reference.FullRepository}]");
        foreach (string name in tags)
        {
            var image = store.Find(name) ?? throw new RegistryException($"An image does not exist locally with the tag: {name}", 404);
            await PushImageAsync(client, ImageReference.Parse(name), image, progress, ct);
        }
    }

    private async Task PushImageAsync(RegistryClient client, ImageReference reference, Image image, ProgressWriter progress, CancellationToken ct)
    {
        string path = reference.Path;
        var stored = store.LayerBlobs(image);
        var layers = new ImageStore.LayerBlob[stored.Count];
        string LayerId(int i) => stored[i].DiffId[7..19];
        for (int i = stored.Count - 1; i >= 0; i--) progress.Status("Preparing", LayerId(i));
        if (stored.Count > ConcurrentUploads) for (int i = stored.Count - 1 - ConcurrentUploads; i >= 0; i--) progress.Status("Waiting", LayerId(i));

        using var slots = new SemaphoreSlim(ConcurrentUploads);
        var uploads = stored.Select(async (_, i) =>
        {
            await slots.WaitAsync(ct);
            try
            {
                // As Docker: a layer stored uncompressed (loaded, built, committed) goes up gzip-compressed.
                var layer = layers[i] = await Task.Run(() => store.PushableBlob(stored[i], image.ChainIds[i]), ct);
                await PushBlobAsync(client, reference, layer.Digest, layer.Path, LayerId(i), progress, ct);
            }
            finally { slots.Release(); }
        }).ToList();
        await Task.WhenAll(uploads);
        await PushBlobAsync(client, reference, image.Id, store.ConfigBlobPath(image), id: null, progress, ct);

        var (manifest, mediaType) = BuildManifest(image, layers);
        string digest;
        try { digest = await client.PutManifestAsync(path, reference.Tag!, manifest, mediaType, ct); }
        catch (RegistryHttpException e) { throw Refused(reference, e); }
        store.AddRepoDigest(image.Id, $"{reference.Repository}@{digest}");
        progress.Status($"{reference.Tag}: digest: {digest} size: {manifest.Length}");
        progress.Aux(new JsonObject { ["Tag"] = reference.Tag, ["Digest"] = digest, ["Size"] = manifest.Length });
    }

    private async Task PushBlobAsync(RegistryClient client, ImageReference reference, string digest, string file, string? id, ProgressWriter progress, CancellationToken ct)
    {
        string path = reference.Path;
        try
        {
            if (await client.BlobExistsAsync(path, digest, ct))
            {
                if (id != null) progress.Status("Layer already exists", id);
                return;
            }
            Uri? uploadUrl = null;
            foreach (string source in MountSources(reference, digest))
            {
                var (mounted, url) = await client.TryMountBlobAsync(path, digest, source, ct);
                if (mounted)
                {
                    if (id != null) progress.Status($"Mounted from {source}", id);
                    return;
                }
                uploadUrl = url;
                break;   // the registry started an ordinary upload instead: use it
            }
            long size = new FileInfo(file).Length;
            await client.UploadBlobAsync(path, digest, file, uploadUrl, done => { if (id != null) progress.Progress(id, "Pushing", done, size); }, ct);
            if (id != null) progress.Status("Pushed", id);
        }
        catch (RegistryHttpException e) { throw Refused(reference, e); }
    }

    /// <summary>Other repositories on the same registry that we know have the blob (paths, as the mount's from= wants them).</summary>
    private IEnumerable<string> MountSources(ImageReference target, string digest) =>
        store.RepositoriesHavingBlob(digest)
            .Select(repo => ImageReference.TryParse(repo, out var r) ? r : null)
            .Where(r => r != null && r.Domain == target.Domain && r.Path != target.Path)
            .Select(r => r!.Path);

    /// <summary>
    /// A Docker schema2 manifest when every layer is gzip (what Docker pushes), else an OCI manifest with the layers' own
    /// media types (plain tar and zstd have no schema2 type). The bytes as sent are what the digest covers.
    /// </summary>
    internal static (byte[] Bytes, string MediaType) BuildManifest(Image image, IReadOnlyList<ImageStore.LayerBlob> layers)
    {
        bool allGzip = layers.All(l => l.MediaType == ManifestTypes.OciLayerGzip);
        string mediaType = allGzip ? ManifestTypes.DockerManifest : ManifestTypes.OciManifest;
        var manifest = new OciManifest
        {
            SchemaVersion = 2,
            MediaType = mediaType,
            Config = new OciDescriptor { MediaType = allGzip ? ManifestTypes.DockerConfig : ManifestTypes.OciConfig, Digest = image.Id, Size = image.RawConfig.Length },
            Layers = layers.Select(l => new OciDescriptor
            {
                MediaType = allGzip ? ManifestTypes.DockerLayerGzip : l.MediaType, Digest = l.Digest, Size = l.Size,
            }).ToList(),
        };
        return (ImageJson.Serialize(manifest, ImageJson.Store.OciManifest), mediaType);
    }

    private static RegistryException Refused(ImageReference reference, RegistryHttpException e) =>
        e.Status is 401 or 403 || RegistryErrors.HasCode(e.Body, "DENIED", "UNAUTHORIZED")
            ? new RegistryException(e.Status == 401 && !e.Body.Contains("errors") ? "unauthorized: authentication required" : e.Message, 401)
            : new RegistryException($"error pushing {reference}: {e.Message}", e.Status >= 500 ? 500 : 400);
}
