using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using MiniContainer.Linux;

namespace MiniContainer.Images;

/// <summary>`docker commit`: a new image made of the container's image plus one layer holding the container's changes.</summary>
public sealed partial class ImageStore
{
    /// <summary>
    /// Turns the container's overlay upper dir into a layer (overlay whiteouts become OCI ones: a 0/0 character
    /// device → ".wh.NAME", an opaque directory → ".wh..wh..opq"), writes a docker-archive holding the parent's
    /// layers, that layer and the new config, and loads it through <see cref="Load"/> — the same verified path
    /// as `docker load`, so a commit is stored whole or not at all.
    /// </summary>
    /// <param name="exclude">Container paths that are the runtime's, not the container's (/etc/hostname, mount points).</param>
    public Image Commit(Image parent, string upperDir, IReadOnlySet<string> exclude, ContainerDefaults config,
                        string? repoTag, string? comment, string? author, string createdBy)
    {
        string workDir = CreateWorkDir("commit");
        try
        {
            string layerPath = Path.Combine(workDir, "layer.tar");
            string diffId;
            using (var layerFile = File.Create(layerPath))
            using (var hashing = new HashingWriteStream(layerFile))
            {
                using (var tar = new TarWriter(hashing, TarEntryFormat.Pax, leaveOpen: true))
                    WriteLayer(tar, upperDir, "", exclude);
                diffId = "sha256:" + Convert.ToHexStringLower(hashing.Hash());
            }

            var image = ImageJson.Parse(parent.RawConfig, ImageJson.Store.ImageConfig, "parent image config");
            string now = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ");
            image.Config = config;
            image.Created = now;
            image.Author = author;
            image.RootFs.DiffIds.Add(diffId);
            image.History ??= new List<HistoryEntry>();
            image.History.Add(new HistoryEntry { Created = now, CreatedBy = createdBy, Author = author, Comment = comment });
            byte[] configBytes = ImageJson.Serialize(image, ImageJson.Store.ImageConfig);
            string configName = Convert.ToHexStringLower(SHA256.HashData(configBytes)) + ".json";

            List<string> parentBlobs;
            lock (_stateLock)
            {
                var record = _images[parent.Id];
                parentBlobs = record.Layers.Select(chain => BlobPath(_layers[chain].Blob)).ToList();
            }
            string archivePath = Path.Combine(workDir, "commit.tar");
            using (var archive = File.Create(archivePath))
            using (var tar = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
            {
                var layerNames = new List<string>();
                for (int i = 0; i < parentBlobs.Count; i++)
                {
                    layerNames.Add($"layers/{i}.tar");
                    tar.WriteEntry(parentBlobs[i], layerNames[^1]);
                }
                layerNames.Add("layers/new.tar");
                tar.WriteEntry(layerPath, layerNames[^1]);
                AddFile(tar, configName, configBytes);
                var manifest = new List<DockerArchiveManifestEntry>
                {
                    new() { Config = configName, RepoTags = repoTag is null ? null : new List<string> { repoTag }, Layers = layerNames },
                };
                AddFile(tar, "manifest.json", ImageJson.Serialize(manifest, ImageJson.Store.DockerArchiveManifest));
            }
            using (var archive = File.OpenRead(archivePath)) Load(archive);
            var committed = Find("sha256:" + Path.GetFileNameWithoutExtension(configName))
                            ?? throw new InvalidOperationException("the committed image was not stored");
            // As dockerd: the container's image is the new one's Parent (inspect shows it; rmi walks it).
            SetParent(committed.Id, parent.Id);
            return committed;
        }
        finally { TryDeleteDirectory(workDir); }
    }

    private static void AddFile(TarWriter tar, string name, byte[] content)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content), Mode = (UnixFileMode)0b110_100_100 };
        tar.WriteEntry(entry);
    }

    private static void WriteLayer(TarWriter tar, string upperDir, string relative, IReadOnlySet<string> exclude)
    {
        foreach (string path in Directory.EnumerateFileSystemEntries(Path.Combine(upperDir, relative)).Order(StringComparer.Ordinal))
        {
            string name = Path.Combine(relative, Path.GetFileName(path));
            if (exclude.Contains("/" + name)) continue;
            var status = Kernel.LStat(path);
            if (status is null) continue;
            if (status.Value.IsOverlayWhiteout)
            {
                // overlayfs whiteout → OCI whiteout: an empty file named .wh.NAME
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, Path.Combine(relative, ".wh." + Path.GetFileName(path))));
                continue;
            }
            bool isDir = status.Value.IsDirectory;
            tar.WriteEntry(path, isDir ? name + "/" : name);
            if (!isDir) continue;
            if (LayerUnpacker.IsOpaque(path)) tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, Path.Combine(name, ".wh..wh..opq")));
            WriteLayer(tar, upperDir, name, exclude);
        }
    }

    /// <summary>Counts and hashes what is written through it (the layer's diff ID).</summary>
    private sealed class HashingWriteStream(Stream inner) : MiniContainer.Storage.ForwardOnlyStream
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public byte[] Hash() => _sha.GetCurrentHash();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) { _sha.AppendData(buffer); inner.Write(buffer); }
        public override void Flush() => inner.Flush();
        public override bool CanRead => false; public override bool CanWrite => true;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
