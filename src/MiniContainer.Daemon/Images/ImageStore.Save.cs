using System.Formats.Tar;

namespace MiniContainer.Images;

/// <summary>`docker save`: images out as a tar that is both a docker-archive and an OCI image layout (as Docker 25+ writes).</summary>
public sealed partial class ImageStore
{
    /// <summary>
    /// Writes the images named by <paramref name="references"/> to <paramref name="output"/> as one tar:
    /// <c>blobs/sha256/…</c> (configs, layer blobs as stored, OCI manifests), <c>index.json</c> + <c>oci-layout</c>
    /// (OCI image layout) and <c>manifest.json</c> + <c>repositories</c> (docker-archive), all pointing at the same blobs.
    /// A reference by name saves that tag; a reference by ID saves the image untagged, as Docker does.
    /// </summary>
    public void Save(IReadOnlyList<string> references, Stream output)
    {
        _writeLock.Wait();   // no layer may be deleted while we read it
        try
        {
            // Which images, with which names, in the order first asked for.
            var order = new List<ImageRecord>();
            var tagsOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            lock (_stateLock)
            {
                foreach (string reference in references)
                {
                    var (record, tag) = Resolve(reference) ?? throw new ImageNotFoundException(reference);
                    if (!tagsOf.TryGetValue(record.Id, out var tags)) { order.Add(record); tagsOf[record.Id] = tags = new List<string>(); }
                    if (tag != null && !tag.Contains('@') && !tags.Contains(tag)) tags.Add(tag);   // a digest names no tag
                }
            }

            using var tar = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
            var written = new HashSet<string>(StringComparer.Ordinal);
            var index = new OciIndex { MediaType = MediaTypes.OciIndex };
            var dockerManifest = new List<DockerArchiveManifestEntry>();
            var repositories = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
            WriteDirectory(tar, "blobs/");
            WriteDirectory(tar, "blobs/sha256/");

            foreach (var record in order)
            {
                PublishImageEvent("save", record.Id, record.Config);
                // The config and each layer blob, once each even when images share them.
                if (written.Add(record.Id)) WriteBytes(tar, BlobName(record.Id), record.RawConfig);
                var layerDescriptors = new List<OciDescriptor>();
                foreach (string chainId in record.Layers)
                {
                    LayerRecord layer;
                    lock (_stateLock) layer = _layers[chainId];
                    string blobPath = BlobPath(layer.Blob);
                    if (!File.Exists(blobPath)) throw new InvalidOperationException($"cannot save image {record.Id[7..19]}: the blob of layer {chainId} is missing from the store; remove the image and load it again");
                    if (written.Add(layer.Blob)) WriteFile(tar, BlobName(layer.Blob), blobPath);
                    layerDescriptors.Add(new OciDescriptor { MediaType = layer.MediaType, Digest = layer.Blob, Size = new FileInfo(blobPath).Length });
                }

                // The OCI manifest tying them together (Docker 25+ writes one too).
                var manifest = new OciManifest
                {
                    MediaType = MediaTypes.OciManifest,
                    Config = new OciDescriptor { MediaType = MediaTypes.OciConfig, Digest = record.Id, Size = record.RawConfig.Length },
                    Layers = layerDescriptors,
                };
                byte[] manifestBytes = ImageJson.Serialize(manifest, ImageJson.Store.OciManifest);
                string manifestDigest = Digests.Of(manifestBytes);
                if (written.Add(manifestDigest)) WriteBytes(tar, BlobName(manifestDigest), manifestBytes);

                var tags = tagsOf[record.Id];
                OciDescriptor ManifestDescriptor(Dictionary<string, string>? annotations) =>
                    new() { MediaType = MediaTypes.OciManifest, Digest = manifestDigest, Size = manifestBytes.Length, Annotations = annotations };
                if (tags.Count == 0) index.Manifests.Add(ManifestDescriptor(null));
                foreach (string tag in tags)
                {
                    var name = ImageReference.Parse(tag);
                    index.Manifests.Add(ManifestDescriptor(new Dictionary<string, string>
                    {
                        [MediaTypes.ImageNameAnnotation] = name.ToFullString(),
                        [MediaTypes.RefNameAnnotation] = name.Tag!,
                    }));
                    if (record.Layers.Count > 0)
                    {
                        if (!repositories.TryGetValue(name.Repository, out var byTag)) repositories[name.Repository] = byTag = new(StringComparer.Ordinal);
                        byTag[name.Tag!] = Digests.Hex(layerDescriptors[^1].Digest);
                    }
                }
                dockerManifest.Add(new DockerArchiveManifestEntry
                {
                    Config = BlobName(record.Id),
                    RepoTags = tags.Count > 0 ? tags : null,
                    Layers = layerDescriptors.Select(d => BlobName(d.Digest)).ToList(),
                });
            }

            WriteBytes(tar, "index.json", ImageJson.Serialize(index, ImageJson.Store.OciIndex));
            WriteBytes(tar, "manifest.json", ImageJson.Serialize(dockerManifest, ImageJson.Default.DockerArchiveManifest));   // RepoTags: null kept, as Docker writes it
            WriteBytes(tar, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray());
            WriteBytes(tar, "repositories", ImageJson.Serialize(repositories, ImageJson.Default.Repositories));
        }
        finally { _writeLock.Release(); }
    }

    private static string BlobName(string digest) => "blobs/sha256/" + Digests.Hex(digest);

    // Every entry: owner root, mtime at the epoch, so saving the same images twice gives the same bytes.
    private static GnuTarEntry NewEntry(TarEntryType type, string name, int mode) => new(type, name)
    {
        Mode = (UnixFileMode)mode, Uid = 0, Gid = 0,
        ModificationTime = DateTimeOffset.UnixEpoch, AccessTime = DateTimeOffset.UnixEpoch, ChangeTime = DateTimeOffset.UnixEpoch,
    };

    private static void WriteDirectory(TarWriter tar, string name) => tar.WriteEntry(NewEntry(TarEntryType.Directory, name, 0b111_101_101 /* 0755 */));

    private static void WriteBytes(TarWriter tar, string name, byte[] data)
    {
        var entry = NewEntry(TarEntryType.RegularFile, name, 0b110_100_100 /* 0644 */);
        entry.DataStream = new MemoryStream(data, writable: false);
        tar.WriteEntry(entry);
    }

    private static void WriteFile(TarWriter tar, string name, string path)
    {
        using var file = File.OpenRead(path);
        var entry = NewEntry(TarEntryType.RegularFile, name, 0b110_100_100 /* 0644 */);
        entry.DataStream = file;
        tar.WriteEntry(entry);
    }
}
