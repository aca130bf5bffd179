using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MiniContainer.NativeTests;

/// <summary>
/// Builds image tarballs in the tests: a layer from a list of tar entries (including hostile ones: "../" names, absolute
/// paths, symlinks and hardlinks that point out of the layer) and a docker-archive around it (manifest.json, a config
/// named by its digest with matching diff_ids), so that everything but the hostile entry is a valid image.
/// </summary>
public static class ImageArchives
{
    public static TarEntry Dir(string name) => new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)493 /* 0755 */ };

    public static TarEntry File(string name, string content) =>
        new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)420 /* 0644 */, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    public static TarEntry File(string name, byte[] content) =>
        new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)420 /* 0644 */, DataStream = new MemoryStream(content) };

    public static TarEntry Symlink(string name, string target) => new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)511 /* 0777 */ };

    public static TarEntry Hardlink(string name, string target) => new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)420 /* 0644 */ };

    /// <summary>An uncompressed layer tar holding <paramref name="entries"/> in order.</summary>
    public static byte[] Layer(params TarEntry[] entries)
    {
        var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
            foreach (TarEntry e in entries) writer.WriteEntry(e);
        return buffer.ToArray();
    }

    /// <summary>The first layer of the busybox fixture (a docker-archive), to build runnable test images on.</summary>
    public static byte[] BusyboxLayer(string busyboxArchive)
    {
        using var reader = new TarReader(System.IO.File.OpenRead(busyboxArchive));
        while (reader.GetNextEntry() is { } e)
            if (e.Name.EndsWith("layer.tar", StringComparison.Ordinal) && e.DataStream != null)
            {
                var copy = new MemoryStream();
                e.DataStream.CopyTo(copy);
                return copy.ToArray();
            }
        throw new InvalidOperationException($"no layer.tar in {busyboxArchive}");
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>
    /// Writes a docker-archive (the `docker save` format) of one image tagged <paramref name="tag"/> with
    /// <paramref name="layers"/> (bottom first) to <paramref name="path"/>. manifest.json and the config come first, the
    /// layers last, so that cutting the file short cuts a layer.
    /// </summary>
    public static void WriteDockerArchive(string path, string tag, params byte[][] layers)
    {
        string[] diffIds = layers.Select(l => "sha256:" + Sha256(l)).ToArray();
        byte[] config = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["created"] = "2024-01-01T00:00:00Z",
            ["config"] = new Dictionary<string, object> { ["Cmd"] = new[] { "sh" }, ["Env"] = new[] { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } },
            ["rootfs"] = new Dictionary<string, object> { ["type"] = "layers", ["diff_ids"] = diffIds },
        });
        string configName = Sha256(config) + ".json";
        string[] layerNames = layers.Select(l => Sha256(l) + "/layer.tar").ToArray();
        byte[] manifest = JsonSerializer.SerializeToUtf8Bytes(new[]
        {
            new Dictionary<string, object> { ["Config"] = configName, ["RepoTags"] = new[] { tag }, ["Layers"] = layerNames },
        });

        using var stream = System.IO.File.Create(path);
        using var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: false);
        writer.WriteEntry(File("manifest.json", manifest));
        writer.WriteEntry(File(configName, config));
        for (int i = 0; i < layers.Length; i++)
        {
            writer.WriteEntry(Dir(Sha256(layers[i]) + "/"));
            writer.WriteEntry(File(layerNames[i], layers[i]));
        }
    }
}
