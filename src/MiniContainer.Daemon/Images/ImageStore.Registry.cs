using MiniContainer.Storage;

namespace MiniContainer.Images;

/// <summary>What pull and push need of the store: storing a pulled image through the same verified staging as
/// `load` (so a pulled image is exactly like a loaded one), the layer blobs to push, and RepoDigests.</summary>
public sealed partial class ImageStore
{
    /// <summary>One layer blob of an image, as push uploads it.</summary>
    public sealed record LayerBlob(string Digest, string MediaType, string Path, long Size, string DiffId);

    /// <summary>A layer of a pulled image: <paramref name="WaitForFile"/> blocks until its blob is downloaded and verified
    /// and returns the file (null when the store has the layer already; it throws when the download failed).</summary>
    public sealed record PulledLayer(Func<string?> WaitForFile, string Digest);

    /// <summary>
    /// Stores a pulled image: each layer unpacked (and its diff ID checked against the config) as soon as its download
    /// is complete, while later ones still download; then the image record,
    /// then <paramref name="tag"/> (null for a pull by digest) and <paramref name="repoDigest"/> ("repo@sha256:…").
    /// <paramref name="progress"/>(layer index, "Extracting" / "Pull complete") as each layer goes in. All or nothing.
    /// </summary>
    public Image StorePulled(byte[] rawConfig, IReadOnlyList<PulledLayer> layers, string? tag, string repoDigest, Action<int, string>? progress = null)
    {
        string id = Digests.Of(rawConfig);
        var config = ParseConfig(rawConfig, id);
        if (config.RootFs.DiffIds.Count != layers.Count)
            throw new InvalidArchiveException($"invalid image: its config has {config.RootFs.DiffIds.Count} diff_ids but its manifest lists {layers.Count} layers");
        string? normalizedTag = tag is null ? null : NormalizeTag(tag);
        var image = new ImageToLoad(id, rawConfig, config, [], normalizedTag is null ? [] : [normalizedTag]);

        _writeLock.Wait();
        try
        {
            using var staging = new Staging(this);
            string? parent = null;
            for (int i = 0; i < layers.Count; i++)
            {
                string diffId = config.RootFs.DiffIds[i];
                string chainId = parent is null ? diffId : Digests.ChainIds([parent, diffId])[1];
                if (staging.FindLayer(chainId) is null)
                {
                    string file = layers[i].WaitForFile() ?? throw new InvalidArchiveException($"layer {layers[i].Digest} was not downloaded and is not in the store");
                    progress?.Invoke(i, "Extracting");
                    // The download hashed the blob as it arrived; no second pass over it here.
                    StageLayer(staging, file, layers[i].Digest, diffId, parent, $"layer {layers[i].Digest}", blobVerified: true);
                    progress?.Invoke(i, "Pull complete");
                }
                parent = chainId;
            }
            staging.Images.Add(image);
            Commit(staging);
            AddRepoDigestLocked(id, repoDigest);
            lock (_stateLock) return ToImage(_images[id]);
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>Records that <paramref name="repoDigest"/> ("127.0.0.1:5000/app@sha256:…") names the image (an image keeps every digest it was pulled or pushed by, as in Docker).</summary>
    public void AddRepoDigest(string imageId, string repoDigest)
    {
        _writeLock.Wait();
        try { AddRepoDigestLocked(imageId, repoDigest); }
        finally { _writeLock.Release(); }
    }

    /// <summary>Points <paramref name="tag"/> at an image already in the store (a pull that found nothing new to download).</summary>
    public void TagPulled(string imageId, string? tag, string repoDigest)
    {
        if (tag != null) Tag(imageId, tag);
        AddRepoDigest(imageId, repoDigest);
    }

    private void AddRepoDigestLocked(string imageId, string repoDigest)
    {
        ImageRecord record;
        lock (_stateLock) if (!_images.TryGetValue(imageId, out record!)) return;
        if (record.RepoDigests.Contains(repoDigest)) return;
        SaveRepoDigests(record, record.RepoDigests.Append(repoDigest).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>The layer blobs of an image, bottom first, as stored (the bytes push uploads).</summary>
    public IReadOnlyList<LayerBlob> LayerBlobs(Image image)
    {
        lock (_stateLock)
            return image.ChainIds.Select(chainId =>
            {
                var layer = _layers[chainId];
                string path = BlobPath(layer.Blob);
                if (!File.Exists(path)) throw new InvalidOperationException($"the blob of layer {chainId} is missing from the store; remove the image and pull or load it again");
                return new LayerBlob(layer.Blob, layer.MediaType, path, new FileInfo(path).Length, layer.DiffId);
            }).ToList();
    }

    /// <summary>
    /// The blob push uploads for a layer (<paramref name="blob"/>, as <see cref="LayerBlobs"/> gave it): the stored blob when it is
    /// compressed (as pulled), else its gzip copy — made once, on the first push, and kept beside it (blobs/, named by
    /// its digest, recorded in layer.json), so later pushes and cross-repository mounts name the same digest.
    /// Compressing runs outside the store's lock; two pushes compressing at once write the same bytes.
    /// </summary>
    public LayerBlob PushableBlob(LayerBlob blob, string chainId)
    {
        if (blob.MediaType != Compression.LayerMediaType(LayerCompression.None)) return blob;
        LayerRecord layer;
        lock (_stateLock) layer = _layers[chainId];
        LayerBlob Gzipped(string digest) => blob with
        {
            Digest = digest, MediaType = Compression.LayerMediaType(LayerCompression.Gzip), Path = BlobPath(digest), Size = new FileInfo(BlobPath(digest)).Length,
        };
        if (layer.PushBlob is { } known && File.Exists(BlobPath(known))) return Gzipped(known);

        string temp = Path.Combine(_paths.Blobs, $".tmp-gzip-{Guid.NewGuid():N}");
        try
        {
            using (var source = File.OpenRead(blob.Path))
            using (var target = File.Create(temp))
            using (var gzip = new System.IO.Compression.GZipStream(target, System.IO.Compression.CompressionLevel.Fastest))
                source.CopyTo(gzip, 1 << 20);
            string digest = Digests.OfFile(temp);
            _writeLock.Wait();
            try
            {
                File.Move(temp, BlobPath(digest), overwrite: true);
                lock (_stateLock)
                {
                    if (!_layers.TryGetValue(chainId, out var current)) throw new InvalidOperationException($"layer {chainId} was removed during the push");
                    current.PushBlob = digest;
                    AtomicFile.WriteAllBytes(Path.Combine(LayerDir(chainId), "layer.json"), ImageJson.Serialize(current, ImageJson.Store.LayerRecord));
                }
            }
            finally { _writeLock.Release(); }
            return Gzipped(digest);
        }
        finally { TryDeleteFile(temp); }
    }

    /// <summary>A private scratch directory under the store's tmp/ (downloads land here); the caller deletes it, a restart does too.</summary>
    public string NewWorkDir(string purpose) => CreateWorkDir(purpose);

    /// <summary>The image config as a blob file (push uploads it).</summary>
    public string ConfigBlobPath(Image image) => BlobPath(image.Id);

    /// <summary>Repositories ("127.0.0.1:5000/app") that an image with this layer blob was pulled from or pushed to:
    /// where push can mount the blob from instead of uploading it.</summary>
    public IReadOnlyList<string> RepositoriesHavingBlob(string blobDigest)
    {
        lock (_stateLock)
        {
            var chainIds = _layers.Values.Where(l => l.Blob == blobDigest || l.PushBlob == blobDigest).Select(l => l.ChainId).ToHashSet(StringComparer.Ordinal);
            return _images.Values.Where(i => i.Layers.Any(chainIds.Contains) || i.Id == blobDigest)
                .SelectMany(i => i.RepoDigests).Select(d => d[..d.IndexOf('@')]).Distinct(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Every tag of the repository ("127.0.0.1:5000/app" → "127.0.0.1:5000/app:v1", …), for push --all-tags.</summary>
    public IReadOnlyList<string> TagsOf(string repository)
    {
        lock (_stateLock)
            return _tags.Keys.Where(t => t.StartsWith(repository + ":", StringComparison.Ordinal) && t.IndexOf('/', repository.Length) < 0)
                .Order(StringComparer.Ordinal).ToList();
    }
}
