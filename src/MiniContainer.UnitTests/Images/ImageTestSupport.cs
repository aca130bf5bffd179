using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using MiniContainer.Storage;
using Xunit;

namespace MiniContainer.UnitTests.Images;

/// <summary>A test that needs root (mknod of whiteouts and devices, lchown to other users, trusted.* xattrs). Skipped otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess) Skip = "needs root: mknod, lchown and trusted.* xattrs";
    }
}

/// <summary>Builds tar archives entry by entry, including the malicious ones a real tar tool would refuse to write.</summary>
internal sealed class TarBuilder
{
    private readonly MemoryStream _buffer = new();
    private readonly TarWriter _writer;
    public static readonly DateTimeOffset Time = new(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public TarBuilder() => _writer = new TarWriter(_buffer, TarEntryFormat.Pax, leaveOpen: true);

    public TarBuilder File(string name, string content, int mode = 0b110_100_100, int uid = 0, int gid = 0, DateTimeOffset? mtime = null)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = mtime ?? Time,
        };
        _writer.WriteEntry(entry);
        return this;
    }

    public TarBuilder Dir(string name, int mode = 0b111_101_101, int uid = 0, int gid = 0, DateTimeOffset? mtime = null) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = mtime ?? Time });

    public TarBuilder Symlink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, ModificationTime = Time });

    public TarBuilder HardLink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, ModificationTime = Time });

    public TarBuilder CharDevice(string name, int major, int minor) =>
        Add(new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0b110_110_110, ModificationTime = Time });

    public TarBuilder Fifo(string name) =>
        Add(new PaxTarEntry(TarEntryType.Fifo, name) { Mode = (UnixFileMode)0b110_100_100, ModificationTime = Time });

    private TarBuilder Add(TarEntry entry)
    {
        _writer.WriteEntry(entry);
        return this;
    }

    public byte[] Build()
    {
        _writer.Dispose();
        return _buffer.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    public static byte[] Zstd(byte[] data)
    {
        var output = new MemoryStream();
        using (var zstd = new SharpCompress.Compressors.ZStandard.CompressionStream(output, leaveOpen: true)) zstd.Write(data);
        return output.ToArray();
    }

    public static string Sha256(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}

/// <summary>Writes docker-archives (the pre-25 `docker save` layout: &lt;hex&gt;.json, &lt;n&gt;/layer.tar, manifest.json) for tests.</summary>
internal static class TestArchives
{
    public static byte[] ImageConfig(IEnumerable<byte[]> uncompressedLayers, string cmd = "sh", string created = "2021-01-01T00:00:00Z") =>
        Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","created":"{{{created}}}","config":{"Env":["PATH=/bin"],"Cmd":["{{{cmd}}}"]},"rootfs":{"type":"layers","diff_ids":[{{{string.Join(",", uncompressedLayers.Select(l => $"\"{TarBuilder.Sha256(l)}\""))}}}]}}""");

    /// <summary>One image; <paramref name="layers"/> are (blob as stored in the archive, its uncompressed tar).</summary>
    public static byte[] DockerArchive(string? repoTag, IReadOnlyList<(byte[] Blob, byte[] Tar)> layers, byte[]? config = null, Func<byte[], byte[]>? truncate = null)
    {
        config ??= ImageConfig(layers.Select(l => l.Tar));
        string configName = TarBuilder.Sha256(config)[7..] + ".json";
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            void Write(string name, byte[] data) =>
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0b110_100_100 });
            for (int i = 0; i < layers.Count; i++) Write($"layer{i}/layer.tar", layers[i].Blob);
            Write(configName, config);
            string tags = repoTag is null ? "null" : $"[\"{repoTag}\"]";
            Write("manifest.json", Encoding.UTF8.GetBytes(
                $$$"""[{"Config":"{{{configName}}}","RepoTags":{{{tags}}},"Layers":[{{{string.Join(",", layers.Select((_, i) => $"\"layer{i}/layer.tar\""))}}}]}]"""));
        }
        return output.ToArray();
    }

    public static byte[] DockerArchive(string? repoTag, params byte[][] plainLayers) =>
        DockerArchive(repoTag, plainLayers.Select(l => (l, l)).ToList());
}

/// <summary>A throwaway data root for one test: HostPaths under /tmp, deleted afterwards.</summary>
internal sealed class TempHost : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"mc-images-{Guid.NewGuid():N}");
    public HostPaths Paths { get; }

    public TempHost()
    {
        Directory.CreateDirectory(Root);
        Paths = new HostPaths(Path.Combine(Root, "data"), Path.Combine(Root, "run"));
    }

    /// <summary>A fresh directory inside the temp root (a layer dir, or the "outside" a malicious layer aims at).</summary>
    public string NewDir(string name)
    {
        string dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Every path under the data root with its size: equal snapshots mean the store did not change.</summary>
    public List<string> Snapshot() =>
        Directory.EnumerateFileSystemEntries(Paths.DataRoot, "*", SearchOption.AllDirectories)
            .Select(p => p[Paths.DataRoot.Length..] + (File.Exists(p) ? $" {new FileInfo(p).Length}" : "/"))
            .Order(StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
