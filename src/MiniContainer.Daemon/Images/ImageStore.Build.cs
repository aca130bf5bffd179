using System.Formats.Tar;
using System.Text.Json;
using MiniContainer.Explaining;
using MiniContainer.Storage;

namespace MiniContainer.Images;

/// <summary>
/// What `build` needs from the store: an image made of a parent plus a new config and at most one new layer
/// (from an overlay upper dir), and the parent links between the images a build makes.
/// images/parents.json {"child id": "parent id"} records those links, as Docker's image metadata does: an
/// untagged image with a child is an intermediate image (hidden by `images`, shown by `images -a`), an untagged
/// image without one is dangling (what `image prune` removes).
/// </summary>
public sealed partial class ImageStore
{
    private Dictionary<string, string>? _parents;   // child → parent, loaded on first use; guarded by _stateLock
    private string ParentsFile => Path.Combine(_paths.Images, "parents.json");

    /// <summary>
    /// Stores an image whose config is <paramref name="config"/> (History already holds the new entry) on top of
    /// <paramref name="parent"/> (null: FROM scratch). With <paramref name="upperDir"/> the directory's content
    /// becomes one new layer (overlay whiteouts → OCI whiteouts, as `commit` writes them) and its diff ID is
    /// appended to the config's rootfs; without, the image shares the parent's layers (a metadata step).
    /// Stored whole or not at all, like a load.
    /// </summary>
    public Image CreateChild(Image? parent, ImageConfig config, string? upperDir, IReadOnlySet<string>? exclude = null)
    {
        string workDir = CreateWorkDir("build");
        try
        {
            config.RootFs.DiffIds = parent?.DiffIds.ToList() ?? new List<string>();
            string? layerFile = null;
            if (upperDir != null)
            {
                layerFile = Path.Combine(workDir, "layer.tar");
                long t = Explain.Begin();
                using (var file = File.Create(layerFile))
                using (var hashing = new HashingWriteStream(file))
                {
                    using (var tar = new TarWriter(hashing, TarEntryFormat.Pax, leaveOpen: true))
                        WriteLayer(tar, upperDir, "", exclude ?? new HashSet<string>());
                    config.RootFs.DiffIds.Add("sha256:" + Convert.ToHexStringLower(hashing.Hash()));
                }
                if (t != 0) Explain.Record(t, ExplainStorage.LayerTar(upperDir, layerFile, config.RootFs.DiffIds[^1], new FileInfo(layerFile).Length));
            }
            byte[] raw = ImageJson.Serialize(config, ImageJson.Store.ImageConfig);
            string id = Digests.Of(raw);

            _writeLock.Wait();
            try
            {
                using var staging = new Staging(this);
                string? parentChain = parent?.ChainIds.LastOrDefault();
                if (layerFile != null)
                    StageLayer(staging, layerFile, null, config.RootFs.DiffIds[^1], parentChain, "the build step's layer");
                // Every layer is now stored or staged: StageImage finds each by its chain ID and reads no file.
                var sources = config.RootFs.DiffIds.Select(d => new LayerSource("", null, d)).ToList();
                StageImage(staging, new ImageToLoad(id, raw, config, sources, new List<string>()), new List<string>(), null);
                Commit(staging);
                if (parent != null) SetParent(id, parent.Id);
                lock (_stateLock) return ToImage(_images[id]);
            }
            finally { _writeLock.Release(); }
        }
        finally { TryDeleteDirectory(workDir); }
    }

    /// <summary>The image <paramref name="id"/> was built on, when a build made it here.</summary>
    public string? ParentOf(string id)
    {
        lock (_stateLock) return Parents().TryGetValue(id, out string? p) && _images.ContainsKey(p) ? p : null;
    }

    /// <summary>True when some stored image was built on <paramref name="id"/> (an intermediate image, when untagged).</summary>
    public bool HasChildren(string id)
    {
        lock (_stateLock) return Parents().Any(kv => kv.Value == id && _images.ContainsKey(kv.Key));
    }

    private void SetParent(string child, string parent)
    {
        lock (_stateLock)
        {
            var parents = new Dictionary<string, string>(Parents(), StringComparer.Ordinal) { [child] = parent };
            foreach (string gone in parents.Keys.Where(k => !_images.ContainsKey(k)).ToList()) parents.Remove(gone);
            AtomicFile.WriteAllBytes(ParentsFile, ImageJson.Serialize(new SortedDictionary<string, string>(parents, StringComparer.Ordinal), ImageJson.Indented.SortedTags));
            _parents = parents;
        }
    }

    /// <summary>Caller holds _stateLock.</summary>
    private Dictionary<string, string> Parents()
    {
        if (_parents != null) return _parents;
        try
        {
            _parents = File.Exists(ParentsFile)
                ? JsonSerializer.Deserialize(File.ReadAllBytes(ParentsFile), ImageJson.Default.Tags) ?? new()
                : new();
        }
        catch (JsonException e)
        {
            Log.Warn($"image store: ignoring {ParentsFile}: {e.Message}");
            _parents = new();
        }
        return _parents;
    }

    /// <summary>
    /// `image prune`: deletes dangling images (no tag, no child image, no container), and with
    /// <paramref name="all"/> every image no container uses. Removing an image can leave its parent dangling,
    /// so it repeats until nothing more goes. Returns Docker's ("Untagged"/"Deleted", …) pairs and the bytes freed.
    /// </summary>
    public (List<KeyValuePair<string, string>> Deleted, long Reclaimed) Prune(bool all, Func<string, bool> usedByContainer, Func<Image, bool> matches)
    {
        var results = new List<KeyValuePair<string, string>>();
        long reclaimed = 0;
        while (true)
        {
            var candidate = List().FirstOrDefault(i =>
                !usedByContainer(i.Id) && (all || i.RepoTags.Count == 0) && !HasChildren(i.Id) && matches(i));
            if (candidate is null) return (results, reclaimed);
            long before = LayerBytes();
            results.AddRange(Remove(candidate.Id, force: true, _ => (string?)null));
            reclaimed += before - LayerBytes();
        }
    }

    /// <summary>Bytes of every layer in the store, each counted once (`system df`'s image SIZE).</summary>
    public long LayerBytes()
    {
        lock (_stateLock) return _layers.Values.Sum(l => l.Size);
    }

    /// <summary>The stored config of <paramref name="image"/>, as a fresh object the caller may change.</summary>
    public static ImageConfig CopyConfig(Image image) =>
        ImageJson.Parse(image.RawConfig, ImageJson.Store.ImageConfig, "image config");

    /// <summary>Bytes of file data in each of the image's layers, bottom first.</summary>
    public IReadOnlyList<long> LayerSizes(Image image)
    {
        lock (_stateLock) return image.ChainIds.Select(c => _layers.TryGetValue(c, out var l) ? l.Size : 0).ToList();
    }

    /// <summary>
    /// DELETE /images/{name} as Docker does it for built images: <see cref="Remove(string, bool, Func{string, string?})"/>,
    /// then, unless <paramref name="noPrune"/>, the untagged parents the deleted image leaves without a child
    /// (a build's intermediate images), one after another down the chain.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> RemoveWithParents(string reference, bool force, bool noPrune, Func<string, string?> containerUsingImage)
    {
        var image = Find(reference);
        if (image != null && HasChildren(image.Id) && !image.RepoTags.Any(t => t == reference || t == reference + ":latest"))
            throw new ImageConflictException($"conflict: unable to delete {image.ShortId} (cannot be forced) - image has dependent child images");
        string? parent = image is null ? null : ParentOf(image.Id);
        var results = Remove(reference, force, containerUsingImage).ToList();
        while (!noPrune && parent != null && results.Any(r => r.Key == "Deleted"))
        {
            var p = Find(parent);
            if (p is null || p.RepoTags.Count > 0 || HasChildren(p.Id) || containerUsingImage(p.Id) != null) break;
            string? next = ParentOf(p.Id);
            results.AddRange(Remove(p.Id, force: false, containerUsingImage));
            parent = next;
        }
        return results;
    }
}
