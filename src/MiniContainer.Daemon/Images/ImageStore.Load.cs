using System.Runtime.InteropServices;
using MiniContainer.Storage;

namespace MiniContainer.Images;

/// <summary>Getting images in: `docker load` (docker-archive or OCI layout) and `docker import` (a rootfs tarball).
/// Both stage everything first (verified), then commit it in one short step; see the top of ImageStore.cs.</summary>
public sealed partial class ImageStore
{
    /// <summary>
    /// `docker load`: reads a docker-archive (manifest.json, what `docker save` writes) or an OCI image layout
    /// (oci-layout + index.json), plain or compressed, and stores every image in it. Returns Docker's lines:
    /// "Loaded image: busybox:latest", or "Loaded image ID: sha256:…" for an untagged image.
    /// Throws InvalidArchiveException (and stores nothing) when anything is missing, malformed or does not match its digest.
    /// </summary>
    public IReadOnlyList<string> Load(Stream archive, Action<string>? progress = null)
    {
        string workDir = CreateWorkDir("load");
        try
        {
            progress?.Invoke("Reading the archive");
            var files = ArchiveFiles.Extract(archive, workDir);
            List<ImageToLoad> images =
                files.Has("manifest.json") ? ReadDockerArchive(files)
                : files.Has("index.json") ? ReadOciLayout(files)
                : throw new InvalidArchiveException("invalid archive: it has neither manifest.json (docker save format) nor index.json (OCI image layout) at its top level");

            _writeLock.Wait();
            try
            {
                using var staging = new Staging(this);
                var lines = new List<string>();
                foreach (var image in images) StageImage(staging, image, lines, progress);
                Commit(staging);
                foreach (var image in images) PublishImageEvent("load", image.Id, image.Config);
                foreach (var image in images)
                {
                    if (image.RepoTags.Count == 0) lines.Add($"Loaded image ID: {image.Id}");
                    foreach (string tag in image.RepoTags) lines.Add($"Loaded image: {tag}");
                }
                return lines;
            }
            finally { _writeLock.Release(); }
        }
        finally { TryDeleteDirectory(workDir); }
    }

    /// <summary>
    /// `docker import`: makes a one-layer image from a rootfs tarball (plain, gzip, zstd, xz or bzip2), with the
    /// --change instructions applied to its config and <paramref name="comment"/> (--message) in its history.
    /// </summary>
    public Image Import(Stream rootfsTar, string? repoTag, ImageConfigChanges? changes = null, string? comment = null)
    {
        string? tag = string.IsNullOrEmpty(repoTag) ? null : NormalizeTag(repoTag);
        string workDir = CreateWorkDir("import");
        try
        {
            // Keep the tarball as received: it becomes the layer's blob (what `save` writes back).
            string blobFile = Path.Combine(workDir, "layer.blob");
            using (var file = File.Create(blobFile)) rootfsTar.CopyTo(file);

            _writeLock.Wait();
            try
            {
                using var staging = new Staging(this);
                var layer = StageLayer(staging, blobFile, expectedBlobDigest: null, expectedDiffId: null, parentChainId: null, "the imported tarball");

                string now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'");
                var config = new ImageConfig
                {
                    Architecture = HostArchitecture,
                    Os = "linux",
                    Created = now,
                    Config = new ContainerDefaults(),
                    RootFs = new RootFs { DiffIds = [layer.DiffId] },
                    History = [new HistoryEntry { Created = now, Comment = string.IsNullOrEmpty(comment) ? "Imported from -" : comment }],
                };
                changes?.ApplyTo(config.Config);
                byte[] rawConfig = ImageJson.Serialize(config, ImageJson.Store.ImageConfig);
                var image = new ImageToLoad(Digests.Of(rawConfig), rawConfig, config, [], tag is null ? [] : [tag]);
                StageImage(staging, image, new List<string>(), progress: null);
                Commit(staging);
                PublishImageEvent("import", image.Id, image.Config);
                lock (_stateLock) return ToImage(_images[image.Id]);
            }
            finally { _writeLock.Release(); }
        }
        finally { TryDeleteDirectory(workDir); }
    }

    /// <summary>Docker's name for this machine's architecture ("amd64", "arm64").</summary>
    internal static string HostArchitecture => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.X86 => "386",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>An image read from an archive, not yet stored: its config and where its layer blobs are.</summary>
    private sealed record ImageToLoad(string Id, byte[] RawConfig, ImageConfig Config, List<LayerSource> Layers, List<string> RepoTags);

    /// <summary>A layer blob in the unpacked archive; ExpectedDigest is set when the archive names the blob by digest.</summary>
    private sealed record LayerSource(string File, string? ExpectedDigest, string Name);

    // ───────────────────────────── reading archives ─────────────────────────────

    /// <summary>`docker save` format: manifest.json lists each image's config file, tags and layer tars.</summary>
    private static List<ImageToLoad> ReadDockerArchive(ArchiveFiles files)
    {
        var manifest = ImageJson.Parse(files.ReadAll("manifest.json", "file"), ImageJson.Store.DockerArchiveManifest, "manifest.json");
        if (manifest.Count == 0) throw new InvalidArchiveException("invalid archive: manifest.json lists no images");

        var images = new List<ImageToLoad>();
        foreach (var entry in manifest)
        {
            if (string.IsNullOrEmpty(entry.Config)) throw new InvalidArchiveException("invalid manifest.json: an entry has no Config");
            byte[] rawConfig = files.ReadAll(entry.Config, "image config");
            string id = Digests.Of(rawConfig);
            if (DigestNamedBy(entry.Config) is { } named && named != id)
                throw new InvalidArchiveException($"invalid archive: config \"{entry.Config}\" is corrupt: its content has digest {id}");
            var config = ParseConfig(rawConfig, entry.Config);
            if (config.RootFs.DiffIds.Count != entry.Layers.Count)
                throw new InvalidArchiveException($"invalid archive: the image config has {config.RootFs.DiffIds.Count} diff_ids but manifest.json lists {entry.Layers.Count} layers");

            var layers = entry.Layers.Select(name => new LayerSource(
                files.Find(name) ?? throw new InvalidArchiveException($"invalid archive: layer \"{name}\" named in manifest.json is not in the archive"),
                DigestNamedBy(name), name)).ToList();
            var tags = (entry.RepoTags ?? new List<string>()).Select(t => TagFromArchive(t)).ToList();
            images.Add(new ImageToLoad(id, rawConfig, config, layers, tags));
        }
        return images;
    }

    /// <summary>OCI image layout: index.json → manifest (or a platform index) → config and layer blobs, each checked against its digest.</summary>
    private static List<ImageToLoad> ReadOciLayout(ArchiveFiles files)
    {
        var index = ImageJson.Parse(files.ReadAll("index.json", "file"), ImageJson.Store.OciIndex, "index.json");
        if (index.Manifests.Count == 0) throw new InvalidArchiveException("invalid archive: index.json lists no manifests");

        var images = new Dictionary<string, ImageToLoad>(StringComparer.Ordinal);
        foreach (var descriptor in index.Manifests)
        {
            var manifestDescriptor = PickManifest(files, descriptor);
            var manifest = ImageJson.Parse(ReadBlob(files, manifestDescriptor, "manifest"), ImageJson.Store.OciManifest, $"manifest {manifestDescriptor.Digest}");
            byte[] rawConfig = ReadBlob(files, manifest.Config, "config");
            string id = Digests.Of(rawConfig);
            var config = ParseConfig(rawConfig, manifest.Config.Digest);
            if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
                throw new InvalidArchiveException($"invalid archive: the image config has {config.RootFs.DiffIds.Count} diff_ids but its manifest lists {manifest.Layers.Count} layers");

            var layers = manifest.Layers.Select(layer => new LayerSource(
                files.Find("blobs/sha256/" + Digests.Hex(layer.Digest)) ?? throw new InvalidArchiveException($"invalid archive: layer blob {layer.Digest} is not in the archive"),
                layer.Digest, layer.Digest)).ToList();

            if (!images.TryGetValue(id, out var image)) images[id] = image = new ImageToLoad(id, rawConfig, config, layers, new List<string>());
            if (TagFromAnnotations(descriptor.Annotations) is { } tag && !image.RepoTags.Contains(tag)) image.RepoTags.Add(tag);
        }
        return images.Values.ToList();
    }

    /// <summary>Follows an image index (multi-platform) down to the manifest for this machine's platform.</summary>
    private static OciDescriptor PickManifest(ArchiveFiles files, OciDescriptor descriptor)
    {
        for (int depth = 0; depth < 4; depth++)
        {
            if (descriptor.MediaType is not (MediaTypes.OciIndex or MediaTypes.DockerManifestList)) return descriptor;
            var nested = ImageJson.Parse(ReadBlob(files, descriptor, "index"), ImageJson.Store.OciIndex, $"index {descriptor.Digest}");
            descriptor = nested.Manifests.FirstOrDefault(m => m.Platform is { Os: "linux" } p && p.Architecture == HostArchitecture)
                ?? nested.Manifests.FirstOrDefault(m => m.Platform is null && m.MediaType is MediaTypes.OciManifest or MediaTypes.DockerManifest)
                ?? throw new InvalidArchiveException($"invalid archive: the image index {descriptor.Digest} has no linux/{HostArchitecture} image");
        }
        throw new InvalidArchiveException("invalid archive: image indexes nested too deeply");
    }

    /// <summary>Reads blobs/sha256/&lt;hex&gt; and checks that its bytes hash to its name.</summary>
    private static byte[] ReadBlob(ArchiveFiles files, OciDescriptor descriptor, string what)
    {
        byte[] data = files.ReadAll("blobs/sha256/" + Digests.Hex(descriptor.Digest), what + " blob");
        string actual = Digests.Of(data);
        if (actual != descriptor.Digest) throw new InvalidArchiveException($"invalid archive: {what} blob {descriptor.Digest} is corrupt: its content has digest {actual}");
        return data;
    }

    private static ImageConfig ParseConfig(byte[] rawConfig, string name)
    {
        var config = ImageJson.Parse(rawConfig, ImageJson.Store.ImageConfig, $"image config \"{name}\"");
        if (config.RootFs.DiffIds.FirstOrDefault(d => !Digests.IsSha256(d)) is { } bad)
            throw new InvalidArchiveException($"invalid image config \"{name}\": diff_id \"{bad}\" is not a sha256 digest");
        return config;
    }

    /// <summary>The digest a file's name claims for it: "blobs/sha256/&lt;hex&gt;" or "&lt;hex&gt;.json"; null if it claims none.</summary>
    private static string? DigestNamedBy(string name)
    {
        string? clean = LayerUnpacker.CleanEntryPath(name);
        if (clean is null) return null;
        if (clean.StartsWith("blobs/sha256/", StringComparison.Ordinal) && Digests.IsSha256("sha256:" + clean[13..])) return "sha256:" + clean[13..];
        if (clean.EndsWith(".json", StringComparison.Ordinal) && !clean.Contains('/') && Digests.IsSha256("sha256:" + clean[..^5])) return "sha256:" + clean[..^5];
        return null;
    }

    private static string TagFromArchive(string repoTag)
    {
        try { return NormalizeTag(repoTag); }
        catch (InvalidReferenceException e) { throw new InvalidArchiveException($"invalid archive: bad RepoTag \"{repoTag}\": {e.Message}"); }
    }

    /// <summary>The image name of an OCI index entry: io.containerd.image.name ("docker.io/library/busybox:latest"), else
    /// org.opencontainers.image.ref.name when it is a full name (Docker writes just the tag there, which names nothing).</summary>
    private static string? TagFromAnnotations(Dictionary<string, string>? annotations)
    {
        if (annotations is null) return null;
        foreach (string key in new[] { MediaTypes.ImageNameAnnotation, MediaTypes.RefNameAnnotation })
            if (annotations.TryGetValue(key, out string? value) && (key == MediaTypes.ImageNameAnnotation || value.Contains(':') || value.Contains('/'))
                && ImageReference.TryParse(value, out var name) && name.Digest is null)
                return name.WithDefaultTag().ToString();
        return null;
    }

    // ───────────────────────────── staging and commit ─────────────────────────────

    /// <summary>What a load or import has prepared, outside the store's names: unpacked layers in layers/.tmp-*,
    /// blob files, image records and tags. Disposing deletes whatever was not committed.</summary>
    private sealed class Staging(ImageStore store) : IDisposable
    {
        public readonly List<(string TempDir, LayerRecord Layer)> Layers = new();
        public readonly List<(string File, string Digest)> Blobs = new();
        public readonly List<ImageToLoad> Images = new();
        public readonly List<string> TempDirs = new();

        public LayerRecord? FindLayer(string chainId) =>
            Layers.FirstOrDefault(l => l.Layer.ChainId == chainId).Layer ?? (store._layers.TryGetValue(chainId, out var existing) ? existing : null);

        public void Dispose()
        {
            foreach (string dir in TempDirs) TryDeleteDirectory(dir);
        }
    }

    /// <summary>Stages an image's layers (reusing those already stored) and the image itself. Caller holds _writeLock.</summary>
    private void StageImage(Staging staging, ImageToLoad image, List<string> lines, Action<string>? progress)
    {
        foreach (string tag in image.RepoTags)
            if (_tags.TryGetValue(tag, out string? previous) && previous != image.Id)
                lines.Add($"The image {tag} already exists, renaming the old one with ID {previous} to empty string");

        if (staging.Images.FirstOrDefault(i => i.Id == image.Id) is { } staged)
        {
            // The same image twice in one archive (e.g. under two names): its layers are staged already.
            foreach (string tag in image.RepoTags) if (!staged.RepoTags.Contains(tag)) staged.RepoTags.Add(tag);
            return;
        }
        if (!_images.ContainsKey(image.Id))   // an image already stored needs no layer work, only its tags
        {
            string? parent = null;
            for (int i = 0; i < image.Layers.Count; i++)
            {
                var source = image.Layers[i];
                progress?.Invoke($"Loading layer {image.Config.RootFs.DiffIds[i][7..19]}");
                parent = StageLayer(staging, source.File, source.ExpectedDigest, image.Config.RootFs.DiffIds[i], parent, $"layer \"{source.Name}\"").ChainId;
            }
        }
        staging.Images.Add(image);
    }

    /// <summary>
    /// Verifies a layer blob (digest = its name) and unpacks it into layers/.tmp-*/diff (diff ID = the config's),
    /// unless the store (or this staging) already has the layer. Caller holds _writeLock.
    /// </summary>
    private LayerRecord StageLayer(Staging staging, string blobFile, string? expectedBlobDigest, string? expectedDiffId, string? parentChainId, string what,
                                   bool blobVerified = false)
    {
        string ChainOf(string diffId) => parentChainId is null ? diffId : Digests.ChainIds([parentChainId, diffId])[1];

        if (expectedDiffId != null && staging.FindLayer(ChainOf(expectedDiffId)) is { } known) return known;   // loaded before: reuse

        // blobVerified: the caller hashed the bytes as they arrived (a registry download) and they matched expectedBlobDigest.
        string blobDigest = blobVerified && expectedBlobDigest != null ? expectedBlobDigest : Digests.OfFile(blobFile);
        if (expectedBlobDigest != null && blobDigest != expectedBlobDigest)
            throw new InvalidArchiveException($"invalid archive: {what} is corrupt: its content has digest {blobDigest}, its name says {expectedBlobDigest}");

        string tempDir = Path.Combine(_paths.Layers, $".tmp-{Guid.NewGuid():N}");
        staging.TempDirs.Add(tempDir);
        string diffDir = Path.Combine(tempDir, "diff");
        Directory.CreateDirectory(diffDir);
        File.SetUnixFileMode(diffDir, (UnixFileMode)0b111_101_101 /* 0755 */);

        UnpackedLayer unpacked;
        try
        {
            using var blob = File.OpenRead(blobFile);
            unpacked = LayerUnpacker.Unpack(blob, diffDir, expectedDiffId);
        }
        catch (InvalidArchiveException e)
        {
            throw new InvalidArchiveException($"invalid archive: {what}: {e.Message}", e);
        }

        string chainId = ChainOf(unpacked.DiffId);
        if (staging.FindLayer(chainId) is { } same)   // only when the diff ID was not known beforehand (import)
        {
            TryDeleteDirectory(tempDir);
            return same;
        }
        var layer = new LayerRecord
        {
            ChainId = chainId, DiffId = unpacked.DiffId, Parent = parentChainId, Size = unpacked.Size,
            Blob = blobDigest, MediaType = Compression.LayerMediaType(unpacked.Compression),
        };
        AtomicFile.WriteAllBytes(Path.Combine(tempDir, "layer.json"), ImageJson.Serialize(layer, ImageJson.Store.LayerRecord));
        staging.Layers.Add((tempDir, layer));
        staging.Blobs.Add((blobFile, blobDigest));
        return layer;
    }

    /// <summary>
    /// Moves everything staged into place: blobs, then layers (bottom first), then image records, then tags.
    /// If a step fails, what this commit already placed is removed again, so the store is as before.
    /// Caller holds _writeLock.
    /// </summary>
    private void Commit(Staging staging)
    {
        var placedFiles = new List<string>();
        var placedDirs = new List<string>();
        var newTags = new Dictionary<string, string>(_tags, StringComparer.Ordinal);
        try
        {
            foreach (var (file, digest) in staging.Blobs)
                if (PlaceFile(file, BlobPath(digest))) placedFiles.Add(BlobPath(digest));
            foreach (var image in staging.Images.Where(i => !_images.ContainsKey(i.Id)))
                if (!File.Exists(BlobPath(image.Id)))
                {
                    WriteBlob(image.Id, image.RawConfig);
                    placedFiles.Add(BlobPath(image.Id));
                }
            foreach (var (tempDir, layer) in staging.Layers)
            {
                Directory.Move(tempDir, LayerDir(layer.ChainId));   // rename(2): the layer appears whole or not at all
                placedDirs.Add(LayerDir(layer.ChainId));
            }
            foreach (var image in staging.Images.Where(i => !_images.ContainsKey(i.Id)))
            {
                var record = NewRecord(image);
                AtomicFile.WriteAllBytes(ImageRecordPath(image.Id), ImageJson.Serialize(record, ImageJson.Store.ImageRecord));
                placedFiles.Add(ImageRecordPath(image.Id));
            }
            foreach (var image in staging.Images)
                foreach (string tag in image.RepoTags) newTags[tag] = image.Id;
            if (staging.Images.Any(i => i.RepoTags.Count > 0)) WriteTags(newTags);   // the commit point for names
        }
        catch
        {
            foreach (string file in placedFiles) TryDeleteFile(file);
            foreach (string dir in placedDirs) TryDeleteDirectory(dir);
            throw;
        }

        lock (_stateLock)
        {
            foreach (var (_, layer) in staging.Layers) _layers[layer.ChainId] = layer;
            foreach (var image in staging.Images.Where(i => !_images.ContainsKey(i.Id))) _images[image.Id] = NewRecord(image);
            _tags = newTags;
        }
    }

    private static ImageRecord NewRecord(ImageToLoad image) => new()
    {
        Id = image.Id,
        Layers = Digests.ChainIds(image.Config.RootFs.DiffIds),
        RawConfig = image.RawConfig,
        Config = image.Config,
    };

    /// <summary>Moves a verified file to its content-addressed name through blobs/.tmp-* (rename is atomic; a move from
    /// another filesystem is a copy, so it lands on the temp name first). False when the blob was already there.</summary>
    private bool PlaceFile(string source, string destination)
    {
        if (File.Exists(destination) || !File.Exists(source)) return false;
        string temp = Path.Combine(_paths.Blobs, $".tmp-{Guid.NewGuid():N}");
        File.Move(source, temp);
        File.Move(temp, destination);
        return true;
    }

    private void WriteBlob(string digest, byte[] data) => AtomicFile.WriteAllBytes(BlobPath(digest), data);

    /// <summary>A private scratch directory under paths.Tmp, removed by the caller (and at startup if we crash).</summary>
    private string CreateWorkDir(string purpose)
    {
        string dir = Path.Combine(_paths.Tmp, $"image-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
