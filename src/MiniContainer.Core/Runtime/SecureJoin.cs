namespace MiniContainer.Runtime;

/// <summary>
/// Resolves a path inside a container's root the way the container would see it, so a mount target can never
/// land outside it. Before pivot_root, "/rootfs" + "/data" where the image made data a symlink to "/etc" must
/// mean "/rootfs/etc", not the host's /etc: every symlink met on the way is followed *within* root, and ".."
/// never climbs above it.
/// </summary>
public static class SecureJoin
{
    public static string Resolve(string root, string path)
    {
        root = Path.GetFullPath(root).TrimEnd('/');
        // LinkTarget is the link's text even when it dangles, and null for anything that is not a symlink.
        return root + ResolveInRoot(inRoot => new FileInfo(root + inRoot).LinkTarget, path);
    }

    /// <summary>
    /// The same walk, with the root left abstract: <paramref name="readLink"/> gets an absolute in-root path
    /// ("/a/b") and returns the text of the symlink there, or null when it is not one. Returns the resolved
    /// absolute in-root path ("/" for the root itself). Pure: unit-tested with a dictionary of links.
    /// </summary>
    public static string ResolveInRoot(Func<string, string?> readLink, string path)
    {
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".") continue;
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            string? target = readLink("/" + string.Join('/', resolved.Append(part)));
            if (target is null)
            {
                resolved.Add(part);
                continue;
            }
            if (++links > 40) throw new IOException($"too many levels of symbolic links resolving {path} in the container");
            if (target.StartsWith('/')) resolved.Clear();          // absolute: from the container's root
            foreach (string t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(t);
        }
        return "/" + string.Join('/', resolved);
    }
}
