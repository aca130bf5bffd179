using MiniContainer.Images;
using MiniContainer.Linux;

namespace MiniContainer.Containers;

/// <summary>One line of `docker diff`: Kind 0 = C (changed), 1 = A (added), 2 = D (deleted).</summary>
public sealed record Change(string Path, int Kind);

/// <summary>
/// docker diff, read straight from the container's overlay upper dir: everything there is the container's
/// own writing. A whiteout (a 0/0 character device) is a deletion; anything the image also has is a change;
/// the rest was added. The runtime's own files and mount points are left out, as Docker leaves them out.
/// </summary>
public static class ContainerChanges
{
    private static readonly string[] RuntimePaths = { "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev", "/proc", "/sys" };

    public static List<Change> Read(string upperDir, IReadOnlyList<string> lowerDirs, IEnumerable<string> mountDestinations)
    {
        var skip = RuntimePaths.Concat(mountDestinations).ToHashSet();
        var changes = new List<Change>();
        Walk(upperDir, "", lowerDirs, skip, changes);
        return changes.OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
    }

    private static void Walk(string upperDir, string relative, IReadOnlyList<string> lowerDirs, HashSet<string> skip, List<Change> changes)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(Path.Combine(upperDir, relative.TrimStart('/'))))
        {
            string path = relative + "/" + Path.GetFileName(entry);
            if (skip.Contains(path)) continue;
            var status = Kernel.LStat(entry);
            if (status is null) continue;
            var lower = LayerLookup.Find(lowerDirs, path)?.Status;   // never through a layer's symlink to the host
            bool inImage = lower is not null;
            if (status.Value.IsOverlayWhiteout)
            {
                changes.Add(new Change(path, 2));
                continue;
            }
            int at = changes.Count;
            changes.Add(new Change(path, inImage ? 0 : 1));
            if (!status.Value.IsDirectory) continue;
            Walk(upperDir, path, lowerDirs, skip, changes);
            // An image directory that is in the upper dir only to hold the runtime's files (/etc for /etc/hosts) is
            // not the container's change, as Docker keeps those in a layer of their own: it counts only when
            // something in it is reported or its owner or mode changed.
            if (inImage && changes.Count == at + 1 && skip.Any(p => p.StartsWith(path + "/", StringComparison.Ordinal)) && lower!.Value.IsDirectory && lower.Value.Permissions == status.Value.Permissions &&
                lower.Value.Uid == status.Value.Uid && lower.Value.Gid == status.Value.Gid)
                changes.RemoveAt(at);
        }
    }
}
