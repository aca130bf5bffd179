using System.Formats.Tar;

namespace MiniContainer.Images;

/// <summary>
/// The files of an image archive (`docker save` output or an OCI image layout), unpacked into a private
/// temp directory so that manifest.json / index.json can be read before the layers, wherever they sit
/// in the tar. Only regular files and directories are written; symlinks and hard links (old `docker save`
/// links identical layers: "abc/layer.tar -> ../def/layer.tar") are kept as a name map and resolved
/// lexically, so nothing is ever followed on disk and no name can leave the directory.
/// </summary>
internal sealed class ArchiveFiles
{
    private readonly string _root;
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);

    private ArchiveFiles(string root) => _root = root;

    /// <summary>Unpacks <paramref name="archive"/> (plain or compressed tar) into the empty directory <paramref name="root"/>.</summary>
    public static ArchiveFiles Extract(Stream archive, string root)
    {
        var files = new ArchiveFiles(root);
        var compression = LayerCompression.None;
        Stream tar = LayerUnpacker.FromArchive(() => Compression.Decompress(archive, out compression), "the archive");
        using var reader = new TarReader(tar, leaveOpen: true);
        int count = 0;
        while (LayerUnpacker.FromArchive(() => reader.GetNextEntry(copyData: false), "the archive") is { } entry)
        {
            count++;
            string? name = LayerUnpacker.CleanEntryPath(entry.Name);
            if (name is null) continue;
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(Path.Join(root, name));
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    files._links.Remove(name);
                    files.WriteFile(entry, name);
                    break;
                case TarEntryType.SymbolicLink:
                    // A relative target is relative to the link's directory; "/x" means the archive's x.
                    string linkDir = name.Contains('/') ? name[..name.LastIndexOf('/')] : "";
                    string? target = LayerUnpacker.CleanEntryPath(entry.LinkName.StartsWith('/') ? entry.LinkName : linkDir + "/" + entry.LinkName);
                    if (target != null) files._links[name] = target;
                    break;
                case TarEntryType.HardLink:
                    if (LayerUnpacker.CleanEntryPath(entry.LinkName) is { } hardTarget) files._links[name] = hardTarget;
                    break;
                default:
                    break;   // devices, fifos: nothing an image archive needs
            }
        }
        if (count == 0) throw new InvalidArchiveException("the archive is empty: expected a tar from `docker save` or an OCI image layout");
        return files;
    }

    private void WriteFile(TarEntry entry, string name)
    {
        string path = Path.Join(_root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (Directory.Exists(path)) throw new InvalidArchiveException($"invalid archive: \"{entry.Name}\" is both a file and a directory");
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        long written = 0;
        if (entry.DataStream is { } data)
        {
            byte[] buffer = new byte[81920];
            while (LayerUnpacker.FromArchive(() => data.Read(buffer), "the archive") is int n and > 0)
            {
                file.Write(buffer, 0, n);
                written += n;
            }
        }
        if (written != entry.Length)
            throw new InvalidArchiveException($"the archive is truncated: \"{entry.Name}\" should hold {entry.Length} bytes, it ended after {written}");
    }

    /// <summary>The on-disk path of the regular file <paramref name="name"/>, following the archive's own links; null if absent.</summary>
    public string? Find(string name)
    {
        string? current = LayerUnpacker.CleanEntryPath(name);
        for (int hops = 0; current != null && hops < 40; hops++)
        {
            string? redirected = Redirect(current);
            if (redirected is null)
            {
                string path = Path.Join(_root, current);
                return File.Exists(path) ? path : null;
            }
            current = redirected;
        }
        return null;   // a link loop, or a link to the root
    }

    /// <summary>If some prefix of <paramref name="name"/> is a link, the name with that prefix replaced; else null.</summary>
    private string? Redirect(string name)
    {
        string[] parts = name.Split('/');
        for (int i = 1; i <= parts.Length; i++)
        {
            string prefix = string.Join('/', parts[..i]);
            if (_links.TryGetValue(prefix, out string? target))
            {
                string rest = string.Join('/', parts[i..]);
                return LayerUnpacker.CleanEntryPath(rest.Length == 0 ? target : target + "/" + rest);
            }
        }
        return null;
    }

    /// <summary>The bytes of <paramref name="name"/>; InvalidArchiveException naming <paramref name="what"/> when missing.</summary>
    public byte[] ReadAll(string name, string what) =>
        File.ReadAllBytes(Find(name) ?? throw new InvalidArchiveException($"invalid archive: {what} \"{name}\" is not in the archive"));

    public bool Has(string name) => Find(name) != null;
}
