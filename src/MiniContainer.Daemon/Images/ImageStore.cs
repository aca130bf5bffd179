// The image store: images, their layers and their names, under the daemon's data root.
//
// On disk (DataRoot = /var/lib/minicontainer):
//
//   blobs/sha256/<hex>              content-addressed blobs, named by the sha256 of their bytes: image configs
//                                   (so an image's config is blobs/sha256/<image-id-hex>) and layer blobs exactly
//                                   as received (plain, gzip or zstd tar), kept so `save` can write them back.
//   layers/<chain-id-hex>/diff/     one unpacked layer: the overlayfs lowerdir (whiteouts already converted).
//   layers/<chain-id-hex>/layer.json   {"chainId","diffId","parent","size","blob","mediaType"}: the diff ID (sha256
//                                   of the uncompressed tar), the parent layer's chain ID, bytes of file data,
//                                   the blob it came from.
//   images/<image-id-hex>.json      {"id","layers":[chain IDs, bottom first],"repoDigests":[…]}: "this image exists".
//   images/repositories.json        {"busybox:latest":"sha256:<image id>", …}: every tag, in Docker's short form.
//
// A layer is named by its chain ID (OCI: the digest of the layer *and everything below it*), so the same
// diff on a different parent is a different directory, and loading an image twice reuses every layer.
//
// Nothing is ever half-stored: layers are unpacked into layers/.tmp-<random>/ and renamed to their final
// name only once complete and verified (blob digest = its name, diff ID = the config's diff_ids); blobs go
// through blobs/.tmp-<random> the same way; JSON files are written with AtomicFile. The order is blobs →
// layers → image record → tags, so a crash leaves at worst unreferenced blobs or layers, never a name
// pointing at something incomplete. Leftover .tmp-* entries are deleted when the store opens (the daemon's
// lock file guarantees a single daemon per data root). On an error during a load or import everything
// staged is deleted and whatever was already moved into place is removed again: the store is unchanged.
//
// Concurrency: one writer at a time (_writeLock: load, import, tag, remove, save); readers (List, Find,
// LowerDirs) take only the short _stateLock, so `docker images` does not wait for a long load.

using System.Text.Json;
using MiniContainer.Storage;
using MiniContainer.Events;

namespace MiniContainer.Images;

public sealed partial class ImageStore
{
    private readonly HostPaths _paths;
    private readonly SemaphoreSlim _writeLock = new(1, 1);   // serialises every change to the store
    private readonly object _stateLock = new();              // guards the three maps below for short reads/updates

    private readonly Dictionary<string, ImageRecord> _images = new(StringComparer.Ordinal);   // by image ID
    private readonly Dictionary<string, LayerRecord> _layers = new(StringComparer.Ordinal);   // by chain ID
    private Dictionary<string, string> _tags = new(StringComparer.Ordinal);                   // "busybox:latest" → image ID

    private string TagsFile => Path.Combine(_paths.Images, "repositories.json");
    private string BlobPath(string digest) => Path.Combine(_paths.Blobs, Digests.Hex(digest));
    private string LayerDir(string chainId) => Path.Combine(_paths.Layers, Digests.Hex(chainId));
    private string ImageRecordPath(string id) => Path.Combine(_paths.Images, Digests.Hex(id) + ".json");

    /// <summary>Where image events go (pull, tag, untag, delete, load, import, save): the daemon's one bus.</summary>
    public EventBus Events { get; init; } = new();

    /// <summary>An image event with the image's labels, as dockerd's (the name is the image ID unless said otherwise).</summary>
    internal void PublishImageEvent(string action, string id, ImageConfig config, string? name = null) =>
        Events.Image(action, id, name ?? id, config.Config?.Labels);

    /// <summary>Opens (creating if needed) the store under paths.Blobs, paths.Layers, paths.Images and paths.Tmp.</summary>
    public ImageStore(HostPaths paths)
    {
        _paths = paths;
        foreach (string dir in new[] { paths.Blobs, paths.Layers, paths.Images, paths.Tmp }) Directory.CreateDirectory(dir);
        DeleteLeftovers();
        ReadState();
    }

    // ───────────────────────────── reading ─────────────────────────────

    /// <summary>Every image, newest first (dangling ones included, with no RepoTags).</summary>
    public IReadOnlyList<Image> List()
    {
        lock (_stateLock)
            return _images.Values.Select(ToImage).OrderByDescending(i => i.Created).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The image a user means by <paramref name="reference"/>, or null: a name ("busybox", "busybox:latest",
    /// "docker.io/library/busybox:latest", "busybox@sha256:…"), a full ID ("sha256:&lt;hex&gt;" or bare hex), or a
    /// unique ID prefix of at least 4 hex characters. A name wins over an ID prefix, as in Docker.
    /// </summary>
    public Image? Find(string reference)
    {
        lock (_stateLock)
            return Resolve(reference) is { } match ? ToImage(match.Record) : null;
    }

    /// <summary>The unpacked layer directories of <paramref name="image"/>, top layer first: overlayfs's lowerdir= order.</summary>
    public IReadOnlyList<string> LowerDirs(Image image) =>
        image.ChainIds.Reverse().Select(chainId => Path.Combine(LayerDir(chainId), "diff")).ToList();

    /// <summary>True when the layer with this chain ID is unpacked in the store.</summary>
    public bool HasLayer(string chainId)
    {
        lock (_stateLock) return _layers.ContainsKey(chainId);
    }

    /// <summary>Finds the image and says how it was named: by tag or digest reference (Name = "app:v1" / "app@sha256:…") or by ID (Name null). Caller holds _stateLock.</summary>
    private (ImageRecord Record, string? Name)? Resolve(string reference)
    {
        if (string.IsNullOrEmpty(reference)) return null;
        bool hasIdPrefix = reference.StartsWith("sha256:", StringComparison.Ordinal);
        string hex = hasIdPrefix ? reference[7..] : reference;

        if (hex.Length == 64 && Digests.IsHex(hex))
            return _images.TryGetValue("sha256:" + hex, out var byId) ? (byId, null) : null;

        if (!hasIdPrefix && ImageReference.TryParse(reference, out var name))
        {
            if (name.Digest != null)
            {
                string wanted = name.Repository + "@" + name.Digest;
                var byDigest = _images.Values.FirstOrDefault(r => r.RepoDigests.Contains(wanted));
                if (byDigest != null) return (byDigest, wanted);
            }
            else
            {
                string tag = name.WithDefaultTag().ToString();
                if (_tags.TryGetValue(tag, out string? id) && _images.TryGetValue(id, out var byTag)) return (byTag, tag);
            }
        }

        if (hex.Length >= 4 && Digests.IsHex(hex))
        {
            var matches = _images.Values.Where(r => r.Id.AsSpan(7).StartsWith(hex, StringComparison.Ordinal)).Take(2).ToList();
            if (matches.Count == 1) return (matches[0], null);
        }
        return null;
    }

    /// <summary>Builds the public snapshot of a record with its current tags. Caller holds _stateLock.</summary>
    private Image ToImage(ImageRecord record)
    {
        var tags = _tags.Where(t => t.Value == record.Id).Select(t => t.Key).Order(StringComparer.Ordinal).ToList();
        long size = record.Layers.Sum(chainId => _layers.TryGetValue(chainId, out var layer) ? layer.Size : 0);
        return new Image(record.Id, record.RawConfig, record.Config, record.Layers, size, tags, record.RepoDigests);
    }

    // ───────────────────────────── tag / remove ─────────────────────────────

    /// <summary>`docker tag`: makes <paramref name="targetRepoTag"/> ("app", "app:v1", "localhost:5000/app:v1") name the image.</summary>
    public void Tag(string sourceReference, string targetRepoTag)
    {
        string tag = NormalizeTag(targetRepoTag);
        _writeLock.Wait();
        try
        {
            ImageRecord record;
            lock (_stateLock) record = (Resolve(sourceReference) ?? throw new ImageNotFoundException(sourceReference)).Record;
            var tags = new Dictionary<string, string>(_tags, StringComparer.Ordinal) { [tag] = record.Id };
            WriteTags(tags);
            lock (_stateLock) _tags = tags;
            PublishImageEvent("tag", record.Id, record.Config, tag);
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>
    /// DELETE /images/{name}, as Docker does it. An image's references are its tags ("app:v1") and the digests it
    /// was pulled or pushed by ("reg:5000/app@sha256:…"). By reference: remove that one — and when it was the last
    /// tag of its repository, that repository's digests with it — and delete the image when no reference is left and
    /// no container uses it. By ID: remove every reference and delete (refused without force unless the references
    /// are at most one tag plus digests of that tag's repository). A container using the image blocks deletion; with
    /// force the image loses its references but is kept (dangling) while the container needs its layers. Layers
    /// other images share stay. Returns ("Untagged", "busybox:latest") / ("Deleted", "sha256:…") in Docker's order.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Remove(string reference, bool force, Func<string, bool> isUsedByContainer) =>
        Remove(reference, force, imageId => isUsedByContainer(imageId) ? "" : null);

    /// <summary>As above; <paramref name="containerUsingImage"/> returns the (short) ID of a container using the image, "" for an unnamed one, or null.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Remove(string reference, bool force, Func<string, string?> containerUsingImage)
    {
        _writeLock.Wait();
        try
        {
            ImageRecord record;
            string? named;
            List<string> references;
            lock (_stateLock)
            {
                (record, named) = Resolve(reference) ?? throw new ImageNotFoundException(reference);
                references = _tags.Where(t => t.Value == record.Id).Select(t => t.Key).Order(StringComparer.Ordinal)
                    .Concat(record.RepoDigests).ToList();
            }
            string shortId = record.Id[7..19];
            string? container = containerUsingImage(record.Id);
            string user = container is { Length: > 0 } ? $"container {container}" : "a container";
            var results = new List<KeyValuePair<string, string>>();

            if (named != null)
            {
                if (container != null && !force && IsSingleReference(references))
                    throw new ImageInUseException($"conflict: unable to remove repository reference \"{reference}\" (must force) - {user} is using its referenced image {shortId}");
                var gone = new List<string> { named };
                string repository = RepositoryOf(named);
                bool lastTagOfRepository = !named.Contains('@') &&
                    !references.Any(r => r != named && !r.Contains('@') && RepositoryOf(r) == repository);
                if (lastTagOfRepository) gone.AddRange(record.RepoDigests.Where(d => RepositoryOf(d) == repository));
                record = Unreference(record, gone, results);
                if (references.Count > gone.Count || container != null) return results;
            }
            else
            {
                if (!force && references.Count > 0 && !IsSingleReference(references))
                    throw new ImageConflictException($"conflict: unable to delete {shortId} (must be forced) - image is referenced in multiple repositories");
                if (container != null && !force)
                    throw new ImageInUseException($"conflict: unable to delete {shortId} (must be forced) - image is being used by {user}");
                if (container != null && references.Count == 0)
                    throw new ImageInUseException($"conflict: unable to delete {shortId} (cannot be forced) - image is being used by {user}; remove the container first");
                record = Unreference(record, references, results);
                if (container != null) return results;   // kept, dangling, while the container needs its layers
            }

            results.AddRange(DeleteImage(record));
            return results;
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>"reg:5000/app:v1" and "reg:5000/app@sha256:…" → "reg:5000/app".</summary>
    public static string RepositoryOf(string reference) =>
        reference.Contains('@') ? reference[..reference.IndexOf('@')] : reference[..reference.LastIndexOf(':')];

    /// <summary>Docker's test before a reference may go while a container uses the image, or an ID may delete
    /// without force: at most one tag, and every digest in that tag's repository.</summary>
    private static bool IsSingleReference(List<string> references)
    {
        var tags = references.Where(r => !r.Contains('@')).ToList();
        if (tags.Count > 1) return false;
        var repositories = references.Select(RepositoryOf).Distinct(StringComparer.Ordinal).Count();
        return repositories == 1;
    }

    /// <summary>Removes tags and digests from an image, each reported "Untagged"; returns the image's new record. Caller holds _writeLock.</summary>
    private ImageRecord Unreference(ImageRecord record, List<string> references, List<KeyValuePair<string, string>> results)
    {
        var tags = new Dictionary<string, string>(_tags, StringComparer.Ordinal);
        bool tagsChanged = false;
        foreach (string tag in references.Where(r => !r.Contains('@')))
            tagsChanged |= tags.Remove(tag);
        if (tagsChanged)
        {
            WriteTags(tags);
            lock (_stateLock) _tags = tags;
        }

        var digests = record.RepoDigests.Where(d => !references.Contains(d)).ToList();
        if (digests.Count != record.RepoDigests.Count) record = SaveRepoDigests(record, digests);
        results.AddRange(references.Select(r => new KeyValuePair<string, string>("Untagged", r)));
        foreach (string _ in references) PublishImageEvent("untag", record.Id, record.Config);
        return record;
    }

    /// <summary>Writes the image's record with a new digest list (atomically) and returns it. Caller holds _writeLock.</summary>
    private ImageRecord SaveRepoDigests(ImageRecord record, List<string> digests)
    {
        var updated = new ImageRecord { Id = record.Id, Layers = record.Layers, RepoDigests = digests, RawConfig = record.RawConfig, Config = record.Config };
        AtomicFile.WriteAllBytes(ImageRecordPath(record.Id), ImageJson.Serialize(updated, ImageJson.Store.ImageRecord));
        lock (_stateLock) _images[record.Id] = updated;
        return updated;
    }

    /// <summary>Deletes an untagged image and every layer no other image uses. Caller holds _writeLock.</summary>
    private List<KeyValuePair<string, string>> DeleteImage(ImageRecord record)
    {
        var results = new List<KeyValuePair<string, string>>();
        File.Delete(ImageRecordPath(record.Id));   // from here on the image no longer exists
        lock (_stateLock) _images.Remove(record.Id);
        TryDeleteFile(BlobPath(record.Id));        // its config blob
        results.Add(new("Deleted", record.Id));
        PublishImageEvent("delete", record.Id, record.Config);

        for (int i = record.Layers.Count - 1; i >= 0; i--)
        {
            string chainId = record.Layers[i];
            bool shared;
            lock (_stateLock) shared = _images.Values.Any(other => other.Layers.Contains(chainId));
            if (shared) break;                       // a shared layer's parents are shared too
            DeleteLayer(chainId);
            results.Add(new("Deleted", chainId));
        }
        return results;
    }

    /// <summary>Removes a layer directory (renamed away first, so no half-deleted layer keeps its name) and its blob if unused.</summary>
    private void DeleteLayer(string chainId)
    {
        LayerRecord? layer;
        lock (_stateLock)
        {
            _layers.Remove(chainId, out layer);
        }
        string dir = LayerDir(chainId);
        if (Directory.Exists(dir))
        {
            string doomed = Path.Combine(_paths.Layers, $".tmp-delete-{Guid.NewGuid():N}");
            Directory.Move(dir, doomed);
            TryDeleteDirectory(doomed);
        }
        if (layer == null) return;
        foreach (string? blob in new[] { layer.Blob, layer.PushBlob })
        {
            if (blob is null) continue;
            bool inUse;
            lock (_stateLock) inUse = _layers.Values.Any(other => other.Blob == blob || other.PushBlob == blob);
            if (!inUse) TryDeleteFile(BlobPath(blob));
        }
    }

    // ───────────────────────────── state on disk ─────────────────────────────

    /// <summary>"busybox" → "busybox:latest"; refuses digests (a tag names something mutable).</summary>
    private static string NormalizeTag(string repoTag)
    {
        var name = ImageReference.Parse(repoTag);
        if (name.Digest != null) throw new InvalidReferenceException($"refusing to create a tag with a digest reference: {repoTag}");
        return name.WithDefaultTag().ToString();
    }

    private void WriteTags(Dictionary<string, string> tags)
    {
        var sorted = new SortedDictionary<string, string>(tags, StringComparer.Ordinal);
        AtomicFile.WriteAllBytes(TagsFile, ImageJson.Serialize(sorted, ImageJson.Indented.SortedTags));
    }

    /// <summary>Reads layers, images and tags from disk; skips (and logs) anything inconsistent rather than refusing to start.</summary>
    private void ReadState()
    {
        foreach (string dir in Directory.EnumerateDirectories(_paths.Layers))
        {
            if (Path.GetFileName(dir).StartsWith('.')) continue;
            try
            {
                var layer = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(dir, "layer.json")), ImageJson.Store.LayerRecord)!;
                _layers[layer.ChainId] = layer;
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                Log.Warn($"image store: ignoring layer {dir}: {e.Message}");
            }
        }
        foreach (string file in Directory.EnumerateFiles(_paths.Images, "*.json"))
        {
            if (file == TagsFile) continue;
            try
            {
                var record = JsonSerializer.Deserialize(File.ReadAllBytes(file), ImageJson.Store.ImageRecord)!;
                record.RawConfig = File.ReadAllBytes(BlobPath(record.Id));
                if (Digests.Of(record.RawConfig) != record.Id) throw new InvalidDataException("its config blob does not match the image ID");
                record.Config = ImageJson.Parse(record.RawConfig, ImageJson.Store.ImageConfig, "image config");
                if (record.Layers.FirstOrDefault(l => !_layers.ContainsKey(l)) is { } missing) throw new InvalidDataException($"layer {missing} is missing");
                _images[record.Id] = record;
            }
            catch (Exception e) when (e is IOException or JsonException or InvalidDataException or InvalidArchiveException or UnauthorizedAccessException)
            {
                Log.Warn($"image store: ignoring image {file}: {e.Message}");
            }
        }
        if (File.Exists(TagsFile))
        {
            var tags = JsonSerializer.Deserialize(File.ReadAllBytes(TagsFile), ImageJson.Default.Tags) ?? new();
            _tags = tags.Where(t => _images.ContainsKey(t.Value)).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        }
    }

    /// <summary>Deletes what an interrupted load, import or delete left behind (.tmp-* under layers/ and blobs/, tmp/image-*).</summary>
    private void DeleteLeftovers()
    {
        foreach (string dir in Directory.EnumerateDirectories(_paths.Layers, ".tmp-*")) TryDeleteDirectory(dir);
        foreach (string file in Directory.EnumerateFiles(_paths.Blobs, ".tmp-*")) TryDeleteFile(file);
        foreach (string dir in Directory.EnumerateDirectories(_paths.Tmp, "image-*")) TryDeleteDirectory(dir);
    }

    private static void TryDeleteFile(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Log.Warn($"image store: cannot delete {path}: {e.Message}"); }
    }

    private static void TryDeleteDirectory(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Log.Warn($"image store: cannot delete {path}: {e.Message}"); }
    }

    /// <summary>images/&lt;hex&gt;.json. The config itself lives in blobs/ (its digest is the ID).</summary>
    internal sealed class ImageRecord
    {
        public string Id { get; set; } = "";
        /// <summary>Chain IDs, bottom layer first.</summary>
        public List<string> Layers { get; set; } = new();
        public List<string> RepoDigests { get; set; } = new();
        [System.Text.Json.Serialization.JsonIgnore] public byte[] RawConfig { get; set; } = [];
        [System.Text.Json.Serialization.JsonIgnore] public ImageConfig Config { get; set; } = new();
    }

    /// <summary>layers/&lt;hex&gt;/layer.json.</summary>
    internal sealed class LayerRecord
    {
        public string ChainId { get; set; } = "";
        public string DiffId { get; set; } = "";
        public string? Parent { get; set; }
        /// <summary>Bytes of regular-file data in the layer.</summary>
        public long Size { get; set; }
        /// <summary>Digest of the blob the layer was unpacked from (blobs/sha256/…), as received.</summary>
        public string Blob { get; set; } = "";
        public string MediaType { get; set; } = "";
        /// <summary>A gzip copy of an uncompressed Blob, made on the first push (registries get gzip, as from Docker).</summary>
        public string? PushBlob { get; set; }
    }
}
