using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Images;

/// <summary>
/// A path of an image read straight from its layer directories, as overlayfs would show it in the container, and
/// without ever following a symlink on the host. The daemon reads layers this way when no overlay is mounted (an
/// empty volume filled from the image at create). A plain <c>Path.Combine(layer, "/data/etc")</c> is not safe:
/// if the image made /data a symlink to "/", the host would follow it to its own /etc.
/// </summary>
public static class LayerLookup
{
    /// <summary>The entry at the in-root path <paramref name="path"/> (each component a name, no symlinks: see
    /// <see cref="Resolve"/>) in the topmost layer that has it, with its status; null when no layer has it, or when a
    /// whiteout, an opaque directory or a non-directory in a layer above hides it, as overlayfs hides it.</summary>
    public static (string HostPath, FileStatus Status)? Find(IReadOnlyList<string> lowerDirsTopFirst, string path)
    {
        string[] names = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) return null;
        foreach (string layer in lowerDirsTopFirst)
        {
            string dir = layer;
            bool lowerLayersHidden = false;   // by an opaque directory of this layer on the way
            for (int i = 0; i < names.Length; i++)
            {
                // dir is a real directory of this layer (checked on the way down), so lstat of one more name follows
                // no symlink: a symlink there is described, not entered.
                string entry = Path.Combine(dir, names[i]);
                if (Kernel.LStat(entry) is not { } status)
                {
                    if (lowerLayersHidden) return null;
                    goto nextLayer;                                           // not in this layer: a lower one may have it
                }
                if (status.IsOverlayWhiteout) return null;                    // deleted by this layer
                if (i == names.Length - 1) return (entry, status);
                if (!status.IsDirectory) return null;                         // a file or a link hides the layers below
                lowerLayersHidden |= LayerUnpacker.IsOpaque(entry);
                dir = entry;
            }
        nextLayer:;
        }
        return null;
    }

    /// <summary>An in-root path with the image's symlinks followed inside the image (absolute ones from its root,
    /// ".." never above it), as the init stage's SecureJoin resolves a mount target in the mounted rootfs.</summary>
    public static string Resolve(IReadOnlyList<string> lowerDirsTopFirst, string path) =>
        SecureJoin.ResolveInRoot(inRoot => Find(lowerDirsTopFirst, inRoot) is { Status.IsSymbolicLink: true } link
            ? new FileInfo(link.HostPath).LinkTarget
            : null, path);
}
