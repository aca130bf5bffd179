using System.Formats.Tar;
using MiniContainer.Linux;

namespace MiniContainer.Containers;

/// <summary>
/// docker export: the container's whole filesystem as one flat tar. We let the kernel do the merging: a read-only
/// overlay whose layers are the container's upper dir on top of the image's layers (no upper/work dirs needed),
/// mounted for the length of the export and detached again in every case.
/// </summary>
public static class ContainerExport
{
    public static async Task WriteAsync(Container c, string scratchDir, Stream output)
    {
        var data = c.Record.GraphDriver.Data;
        string view = Path.Combine(scratchDir, "export-" + c.Record.ShortId + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(view);
        try
        {
            Kernel.Mount("overlay", view, "overlay", MountFlags.ReadOnly, $"lowerdir={data["UpperDir"]}:{data["LowerDir"]}");
            try
            {
                await using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
                foreach (string path in Walk(view))
                {
                    string name = Path.GetRelativePath(view, path);
                    await tar.WriteEntryAsync(path, Directory.Exists(path) && new FileInfo(path).LinkTarget is null ? name + "/" : name);
                }
            }
            finally { Kernel.Unmount(view); }
        }
        finally { Directory.Delete(view); }
    }

    /// <summary>Every path under root, parents before children, never following symlinks.</summary>
    private static IEnumerable<string> Walk(string root)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(root).Order(StringComparer.Ordinal))
        {
            yield return entry;
            if (Directory.Exists(entry) && new FileInfo(entry).LinkTarget is null)
                foreach (string child in Walk(entry)) yield return child;
        }
    }
}
