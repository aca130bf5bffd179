using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Images;
using Xunit;

namespace MiniContainer.UnitTests.Images;

/// <summary>
/// The image store against a temp data root. These unpack real layers, which applies ownership with lchown
/// and makes whiteout devices with mknod, so they need root ([RootFact]); CI and the dev VMs run as root.
/// </summary>
public sealed class ImageStoreTests : IDisposable
{
    private readonly TempHost _host = new();
    public void Dispose() => _host.Dispose();

    private static readonly byte[] BaseLayer = new TarBuilder()
        .Dir("bin/").File("bin/sh", "#!fake shell", mode: 0b111_101_101).Dir("etc/").File("etc/passwd", "root:x:0:0::/root:/bin/sh\n").Build();
    private static readonly byte[] AppLayer = new TarBuilder()
        .Dir("app/").File("app/run", "run!").File("etc/.wh.passwd", "").Build();

    private ImageStore NewStore() => new(_host.Paths);

    private static byte[] Busybox(string tag = "busybox:latest") => TestArchives.DockerArchive(tag, BaseLayer);
    private static byte[] App(string tag = "app:latest") => TestArchives.DockerArchive(tag, BaseLayer, AppLayer);
    private static string IdOf(params byte[][] layers) => TarBuilder.Sha256(TestArchives.ImageConfig(layers));

    private static List<string> EntryNames(byte[] tar)
    {
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        return names;
    }

    private static byte[] ReadEntry(byte[] tar, string name)
    {
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry)
            if (entry.Name == name) { var copy = new MemoryStream(); entry.DataStream!.CopyTo(copy); return copy.ToArray(); }
        throw new KeyNotFoundException(name);
    }

    /// <summary>A copy of a tar without some entries (e.g. a Docker 25 save minus manifest.json = a pure OCI layout).</summary>
    private static byte[] Without(byte[] tar, params string[] names)
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        using (var reader = new TarReader(new MemoryStream(tar)))
            while (reader.GetNextEntry(copyData: true) is { } entry)
                if (!names.Contains(entry.Name)) writer.WriteEntry(entry);
        return output.ToArray();
    }

    [RootFact]
    public void Load_docker_archive_and_find_it_by_any_reference()
    {
        var store = NewStore();
        Assert.Equal(["Loaded image: app:latest"], store.Load(new MemoryStream(App())));

        string id = IdOf(BaseLayer, AppLayer);
        foreach (string reference in new[] { "app", "app:latest", "docker.io/library/app:latest", "docker.io/library/app", id, id[7..], id[7..19], id[7..11] })
            Assert.Equal(id, store.Find(reference)?.Id);
        Assert.Null(store.Find("app:other"));
        Assert.Null(store.Find(id[7..10]));   // 3 hex characters are too few to be an ID prefix
        Assert.Null(store.Find("nothing"));

        var image = store.Find("app")!;
        Assert.Equal(["app:latest"], image.RepoTags);
        Assert.Equal(["sh"], image.Config.Config!.Cmd);
        Assert.Equal(new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero), image.Created);
        Assert.Equal("#!fake shell".Length + "root:x:0:0::/root:/bin/sh\n".Length + "run!".Length, image.Size);

        var lower = store.LowerDirs(image);
        Assert.Equal(2, lower.Count);
        Assert.True(File.Exists(Path.Combine(lower[0], "app/run")));    // top layer first
        Assert.True(File.Exists(Path.Combine(lower[1], "bin/sh")));
        Assert.Equal(Path.Combine(_host.Paths.Layers, image.DiffIds[0][7..], "diff"), lower[1]);   // bottom layer: chain ID = diff ID
        Assert.Single(store.List());
    }

    [RootFact]
    public void Loading_the_same_image_twice_reuses_its_layers()
    {
        var store = NewStore();
        store.Load(new MemoryStream(App()));
        string layerDir = store.LowerDirs(store.Find("app")!)[0];
        var before = Directory.GetCreationTimeUtc(layerDir);
        var layersBefore = Directory.GetDirectories(_host.Paths.Layers);

        Assert.Equal(["Loaded image: app:latest"], store.Load(new MemoryStream(App())));
        Assert.Equal(layersBefore, Directory.GetDirectories(_host.Paths.Layers));
        Assert.Equal(before, Directory.GetCreationTimeUtc(layerDir));
        Assert.Single(store.List());
    }

    [RootFact]
    public void Parallel_loads_do_not_race()
    {
        var store = NewStore();
        byte[] app = App(), busybox = Busybox();
        Parallel.For(0, 8, i => store.Load(new MemoryStream(i % 2 == 0 ? app : busybox)));
        Assert.Equal(2, store.List().Count);
        Assert.Equal(2, Directory.GetDirectories(_host.Paths.Layers).Length);
        Assert.Empty(Directory.GetDirectories(_host.Paths.Tmp));
    }

    [RootFact]
    public void Images_share_base_layers_and_removing_one_keeps_the_shared_layer()
    {
        var store = NewStore();
        store.Load(new MemoryStream(Busybox()));
        store.Load(new MemoryStream(App()));
        Assert.Equal(2, Directory.GetDirectories(_host.Paths.Layers).Length);   // base, base+app

        var app = store.Find("app")!;
        var result = store.Remove("app", force: false, isUsedByContainer: _ => false);
        Assert.Equal([new("Untagged", "app:latest"), new("Deleted", app.Id), new("Deleted", app.ChainIds[1])], result);

        var busybox = store.Find("busybox")!;
        Assert.True(Directory.Exists(store.LowerDirs(busybox)[0]));
        Assert.Single(Directory.GetDirectories(_host.Paths.Layers));
        Assert.Null(store.Find(app.Id));
    }

    [RootFact]
    public void Save_then_load_gives_the_same_image_id_and_a_tar_that_is_also_an_oci_layout()
    {
        var store = NewStore();
        // gzip layers, as a registry would deliver them
        byte[] archive = TestArchives.DockerArchive("app:v1", [(TarBuilder.Gzip(BaseLayer), BaseLayer), (TarBuilder.Gzip(AppLayer), AppLayer)]);
        store.Load(new MemoryStream(archive));
        var original = store.Find("app:v1")!;

        var saved = new MemoryStream();
        store.Save(["app:v1"], saved);
        byte[] tar = saved.ToArray();
        var names = EntryNames(tar);
        Assert.Contains("oci-layout", names);
        Assert.Contains("index.json", names);
        Assert.Contains("manifest.json", names);
        Assert.Contains("repositories", names);
        Assert.Contains("blobs/sha256/" + original.Id[7..], names);

        var manifest = JsonNode.Parse(ReadEntry(tar, "manifest.json"))!.AsArray();
        Assert.Equal("app:v1", (string?)manifest[0]!["RepoTags"]![0]);
        var index = JsonNode.Parse(ReadEntry(tar, "index.json"))!;
        Assert.Equal("docker.io/library/app:v1", (string?)index["manifests"]![0]!["annotations"]!["io.containerd.image.name"]);
        var ociManifest = JsonNode.Parse(ReadEntry(tar, "blobs/sha256/" + ((string)index["manifests"]![0]!["digest"]!)[7..]))!;
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", (string?)ociManifest["layers"]![0]!["mediaType"]);

        // Load into an empty store: same ID, same tag, same files.
        using var other = new TempHost();
        var second = new ImageStore(other.Paths);
        Assert.Equal(["Loaded image: app:v1"], second.Load(new MemoryStream(tar)));
        var copy = second.Find("app:v1")!;
        Assert.Equal(original.Id, copy.Id);
        Assert.Equal("run!", File.ReadAllText(Path.Combine(second.LowerDirs(copy)[0], "app/run")));

        // Saving again gives the same bytes.
        var again = new MemoryStream();
        store.Save(["app:v1"], again);
        Assert.Equal(tar, again.ToArray());
    }

    [RootFact]
    public void Loads_an_oci_image_layout()
    {
        var store = NewStore();
        store.Load(new MemoryStream(App("app:oci")));
        var saved = new MemoryStream();
        store.Save(["app:oci"], saved);
        byte[] ociOnly = Without(saved.ToArray(), "manifest.json", "repositories");

        using var other = new TempHost();
        var second = new ImageStore(other.Paths);
        Assert.Equal(["Loaded image: app:oci"], second.Load(new MemoryStream(ociOnly)));
        Assert.Equal(IdOf(BaseLayer, AppLayer), second.Find("app:oci")!.Id);
    }

    [RootFact]
    public void An_oci_blob_that_does_not_match_its_digest_is_refused()
    {
        var store = NewStore();
        store.Load(new MemoryStream(Busybox()));
        var saved = new MemoryStream();
        store.Save(["busybox"], saved);
        string layerBlob = "blobs/sha256/" + store.Find("busybox")!.DiffIds[0][7..];   // plain layer: blob digest = diff ID

        // Swap the layer blob's bytes for another layer's.
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        using (var reader = new TarReader(new MemoryStream(saved.ToArray())))
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.Name is "manifest.json" or "repositories") continue;
                if (entry.Name == layerBlob) entry.DataStream = new MemoryStream(AppLayer);
                writer.WriteEntry(entry);
            }

        using var other = new TempHost();
        var second = new ImageStore(other.Paths);
        var before = other.Snapshot();
        var e = Assert.Throws<InvalidArchiveException>(() => second.Load(new MemoryStream(output.ToArray())));
        Assert.Contains("corrupt", e.Message);
        Assert.Equal(before, other.Snapshot());
    }

    [RootFact]
    public void Import_makes_a_one_layer_image_with_the_changes_applied()
    {
        var store = NewStore();
        var changes = ImageConfigChanges.FromLines(["CMD [\"/bin/sh\"]", "ENV GREETING=hello", "WORKDIR /app"]);
        var image = store.Import(new MemoryStream(TarBuilder.Gzip(BaseLayer)), "mine:1", changes, "from a test");

        Assert.Equal(["mine:1"], image.RepoTags);
        Assert.Equal([TarBuilder.Sha256(BaseLayer)], image.DiffIds);
        Assert.Equal(["/bin/sh"], image.Config.Config!.Cmd);
        Assert.Equal(["GREETING=hello"], image.Config.Config.Env);
        Assert.Equal("/app", image.Config.Config.WorkingDir);
        Assert.Equal("from a test", image.Config.History![0].Comment);
        Assert.Equal("amd64", image.Config.Architecture);
        Assert.Equal(TarBuilder.Sha256(image.RawConfig), image.Id);
        Assert.True(File.Exists(Path.Combine(store.LowerDirs(image)[0], "bin/sh")));
        Assert.Equal(image.Id, store.Find("mine:1")!.Id);
    }

    [RootFact]
    public void Import_without_a_name_makes_a_dangling_image()
    {
        var store = NewStore();
        var image = store.Import(new MemoryStream(BaseLayer), repoTag: null);
        Assert.Empty(image.RepoTags);
        Assert.Equal(image.Id, store.Find(image.Id[7..19])!.Id);
    }

    [Fact]
    public void Import_refuses_a_bad_name_before_reading_anything()
    {
        var store = NewStore();
        Assert.Throws<InvalidReferenceException>(() => store.Import(new MemoryStream(BaseLayer), "Bad:Name"));
        Assert.Empty(store.List());
    }

    [RootFact]
    public void Tag_and_remove_follow_dockers_rules()
    {
        var store = NewStore();
        store.Load(new MemoryStream(Busybox()));
        var image = store.Find("busybox")!;
        store.Tag("busybox", "mine:v1");
        store.Tag(image.ShortId, "localhost:5000/other");
        Assert.Equal(["busybox:latest", "localhost:5000/other:latest", "mine:v1"], store.Find(image.Id)!.RepoTags);

        var multiple = Assert.Throws<ImageConflictException>(() => store.Remove(image.Id, force: false, isUsedByContainer: _ => false));
        Assert.Equal($"conflict: unable to delete {image.ShortId} (must be forced) - image is referenced in multiple repositories", multiple.Message);

        Assert.Equal([new("Untagged", "mine:v1")], store.Remove("mine:v1", false, isUsedByContainer: _ => false));
        Assert.Equal([new("Untagged", "localhost:5000/other:latest")], store.Remove("localhost:5000/other", false, isUsedByContainer: _ => true));

        var inUse = Assert.Throws<ImageInUseException>(() => store.Remove("busybox", false, containerUsingImage: _ => "0123456789ab"));
        Assert.Equal($"conflict: unable to remove repository reference \"busybox\" (must force) - container 0123456789ab is using its referenced image {image.ShortId}", inUse.Message);

        var removed = store.Remove("busybox", false, isUsedByContainer: _ => false);
        Assert.Equal([new("Untagged", "busybox:latest"), new("Deleted", image.Id), new("Deleted", image.ChainIds[0])], removed);
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetDirectories(_host.Paths.Layers));
        Assert.Empty(Directory.GetFiles(_host.Paths.Blobs));

        var missing = Assert.Throws<ImageNotFoundException>(() => store.Remove("busybox", false, isUsedByContainer: _ => false));
        Assert.Equal("No such image: busybox", missing.Message);
    }

    [RootFact]
    public void Digests_are_references_too_and_go_with_the_last_tag_of_their_repository()
    {
        var store = NewStore();
        store.Load(new MemoryStream(Busybox()));
        var image = store.Find("busybox")!;
        string a = "reg:5000/a/bb", b = "reg:5000/b/bb";
        const string digestA = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        const string digestB = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
        store.TagPulled(image.Id, $"{a}:1", $"{a}@{digestA}");
        store.TagPulled(image.Id, $"{b}:1", $"{b}@{digestB}");
        Assert.Equal(image.Id, store.Find($"{a}@{digestA}")!.Id);

        // The last tag of a/bb takes a/bb's digest with it; the image stays (busybox and b/bb still name it).
        Assert.Equal([new("Untagged", $"{a}:1"), new("Untagged", $"{a}@{digestA}")], store.Remove($"{a}:1", false, isUsedByContainer: _ => false));
        Assert.Equal([$"{b}@{digestB}"], store.Find(image.Id)!.RepoDigests);
        Assert.Null(store.Find($"{a}@{digestA}"));

        // A digest reference is removed on its own; a tag of the same repository keeps the image named.
        Assert.Equal([new("Untagged", $"{b}@{digestB}")], store.Remove($"{b}@{digestB}", false, isUsedByContainer: _ => false));
        Assert.Equal(["busybox:latest", $"{b}:1"], store.Find(image.Id)!.RepoTags);
        Assert.Empty(store.Find(image.Id)!.RepoDigests);

        // One tag plus digests of its repository is a "single reference": by ID it all goes without force.
        Assert.Equal([new("Untagged", $"{b}:1")], store.Remove($"{b}:1", false, isUsedByContainer: _ => false));
        store.AddRepoDigest(image.Id, $"busybox@{digestA}");
        var removed = store.Remove(image.ShortId, false, isUsedByContainer: _ => false);
        Assert.Equal([new("Untagged", "busybox:latest"), new("Untagged", $"busybox@{digestA}"), new("Deleted", image.Id), new("Deleted", image.ChainIds[0])], removed);
        Assert.Empty(store.List());
    }

    [RootFact]
    public void An_image_named_only_by_a_digest_is_kept_until_that_digest_goes()
    {
        var store = NewStore();
        store.Load(new MemoryStream(Busybox()));
        var image = store.Find("busybox")!;
        const string digest = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
        store.AddRepoDigest(image.Id, $"reg:5000/x@{digest}");
        var multiple = Assert.Throws<ImageConflictException>(() => store.Remove(image.Id, force: false, isUsedByContainer: _ => false));
        Assert.Contains("image is referenced in multiple repositories", multiple.Message);

        Assert.Equal([new("Untagged", "busybox:latest")], store.Remove("busybox", false, isUsedByContainer: _ => false));
        Assert.Empty(store.Find(image.Id)!.RepoTags);
        var last = store.Remove($"reg:5000/x@{digest}", false, isUsedByContainer: _ => false);
        Assert.Equal([new("Untagged", $"reg:5000/x@{digest}"), new("Deleted", image.Id), new("Deleted", image.ChainIds[0])], last);
    }

    [RootFact]
    public void Force_removing_an_image_a_container_uses_untags_it_but_keeps_its_layers()
    {
        var store = NewStore();
        store.Load(new MemoryStream(Busybox()));
        var image = store.Find("busybox")!;

        var byId = Assert.Throws<ImageInUseException>(() => store.Remove(image.Id, false, isUsedByContainer: _ => true));
        Assert.Contains("(must be forced) - image is being used by a container", byId.Message);

        Assert.Equal([new("Untagged", "busybox:latest")], store.Remove("busybox", force: true, isUsedByContainer: _ => true));
        var dangling = store.Find(image.Id)!;
        Assert.Empty(dangling.RepoTags);
        Assert.True(Directory.Exists(store.LowerDirs(dangling)[0]));

        // Once no container uses it, removing by ID deletes it.
        Assert.Equal([new("Deleted", image.Id), new("Deleted", image.ChainIds[0])], store.Remove(image.ShortId, false, isUsedByContainer: _ => false));
    }

    [RootFact]
    public void Images_and_tags_survive_a_restart()
    {
        var first = NewStore();
        first.Load(new MemoryStream(App()));
        first.Tag("app", "again:2");
        string id = first.Find("app")!.Id;

        var second = NewStore();
        Assert.Equal(["again:2", "app:latest"], second.Find(id)!.RepoTags);
        Assert.Equal(first.LowerDirs(first.Find(id)!), second.LowerDirs(second.Find("again:2")!));
    }

    [RootFact]
    public void A_truncated_archive_leaves_the_store_untouched()
    {
        var store = NewStore();
        store.Load(new MemoryStream(Busybox()));
        var before = _host.Snapshot();

        byte[] archive = App();
        foreach (int cut in new[] { archive.Length / 2, archive.Length - 1500, 100 })
        {
            Assert.Throws<InvalidArchiveException>(() => store.Load(new MemoryStream(archive[..cut])));
            Assert.Equal(before, _host.Snapshot());
        }
        Assert.Null(store.Find("app"));
    }

    [RootFact]
    public void A_layer_that_does_not_match_its_diff_id_leaves_the_store_untouched()
    {
        var store = NewStore();
        var before = _host.Snapshot();
        byte[] lyingConfig = TestArchives.ImageConfig([BaseLayer, BaseLayer]);   // claims the second layer is BaseLayer again
        byte[] archive = TestArchives.DockerArchive("liar:1", [(BaseLayer, BaseLayer), (AppLayer, AppLayer)], lyingConfig);

        var e = Assert.Throws<InvalidArchiveException>(() => store.Load(new MemoryStream(archive)));
        Assert.Contains("does not match", e.Message);
        Assert.Equal(before, _host.Snapshot());
    }

    [RootFact]
    public void A_malicious_layer_is_refused_and_nothing_is_written_outside()
    {
        var store = NewStore();
        string outside = _host.NewDir("outside");
        byte[] evil = new TarBuilder().Symlink("etc", outside).File("etc/passwd", "pwned").Build();
        var before = _host.Snapshot();

        var e = Assert.Throws<InvalidArchiveException>(() => store.Load(new MemoryStream(TestArchives.DockerArchive("evil:1", evil))));
        Assert.Contains("symbolic link", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(before, _host.Snapshot());
    }

    [RootFact]
    public void Loading_a_new_image_under_an_existing_tag_moves_the_tag()
    {
        var store = NewStore();
        store.Load(new MemoryStream(Busybox("thing:1")));
        string oldId = store.Find("thing:1")!.Id;

        var lines = store.Load(new MemoryStream(App("thing:1")));
        Assert.Equal([$"The image thing:1 already exists, renaming the old one with ID {oldId} to empty string", "Loaded image: thing:1"], lines);
        Assert.Empty(store.Find(oldId)!.RepoTags);
    }

    [RootFact]
    public void An_untagged_image_loads_by_id()
    {
        var store = NewStore();
        Assert.Equal([$"Loaded image ID: {IdOf(BaseLayer)}"], store.Load(new MemoryStream(TestArchives.DockerArchive(null, BaseLayer))));
    }

    [Fact]
    public void An_archive_that_is_neither_format_says_so()
    {
        var store = NewStore();
        byte[] tar = new TarBuilder().File("hello.txt", "hi").Build();
        var e = Assert.Throws<InvalidArchiveException>(() => store.Load(new MemoryStream(tar)));
        Assert.Contains("neither manifest.json", e.Message);
        Assert.Empty(Directory.GetDirectories(_host.Paths.Tmp));
    }

    [Fact]
    public void Save_of_an_unknown_image_is_not_found()
    {
        var e = Assert.Throws<ImageNotFoundException>(() => NewStore().Save(["nope"], new MemoryStream()));
        Assert.Equal("No such image: nope", e.Message);
    }
}
