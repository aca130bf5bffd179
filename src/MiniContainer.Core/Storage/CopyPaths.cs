namespace MiniContainer.Storage;

/// <summary>What `cp` does at the destination, once source and destination are known (Docker's PrepareArchiveCopy).</summary>
/// <param name="ExtractDir">The directory the archive is extracted into.</param>
/// <param name="RebaseFrom">When not null, the archive's top entry is renamed from this to <paramref name="RebaseTo"/>.</param>
public sealed record CopyPlan(string ExtractDir, string? RebaseFrom, string? RebaseTo);

/// <summary>A cp that Docker's rules refuse, with Docker's words ("no such directory", "cannot copy directory"…).</summary>
public sealed class CopyRuleException(string message) : Exception(message);

/// <summary>
/// Docker's path rules for `cp`, pure string logic (the file system is asked by the callers):
/// <list type="bullet">
/// <item>"dir" copies the directory itself; "dir/." copies what is inside it; a trailing "/" on the destination
///   says "this must be a directory".</item>
/// <item>A source whose name differs from the destination's ends up renamed (the archive's top entry is "rebased").</item>
/// </list>
/// Paths use "/" only (Linux on both sides).
/// </summary>
public static class CopyPaths
{
    /// <summary>"c:/p" → ("c", "/p"); "/abs", "./x:y" and names without ":" are local paths (container null).</summary>
    public static (string? Container, string Path) SplitArgument(string arg)
    {
        if (arg.StartsWith('/')) return (null, arg);
        int colon = arg.IndexOf(':');
        if (colon < 0 || arg.StartsWith('.')) return (null, arg);
        return (arg[..colon], arg[(colon + 1)..]);
    }

    public static bool HasTrailingSeparator(string path) => path.Length > 0 && path[^1] == '/';

    /// <summary>The last element is "." ("dir/.", "."): the contents of the directory, not the directory.</summary>
    public static bool SpecifiesCurrentDir(string path) => Base(path) == ".";

    /// <summary>Go's filepath.Clean for absolute or relative Linux paths.</summary>
    public static string Clean(string path)
    {
        if (path.Length == 0) return ".";
        bool rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add("..");
                continue;
            }
            parts.Add(part);
        }
        string joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    /// <summary>Go's filepath.Base: the last element, trailing slashes ignored; "/" for the root, "." for "".</summary>
    public static string Base(string path)
    {
        if (path.Length == 0) return ".";
        string trimmed = path.TrimEnd('/');
        if (trimmed.Length == 0) return "/";
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    /// <summary>Go's filepath.Dir: everything before the last element, cleaned.</summary>
    public static string Dir(string path)
    {
        int slash = path.LastIndexOf('/');
        return Clean(slash < 0 ? "." : path[..(slash + 1)]);
    }

    /// <summary>Docker's SplitPathDirEntry: "a/b/" → ("a", "b"); "a/b/." → ("a/b", ".").</summary>
    public static (string Dir, string Base) SplitDirEntry(string path)
    {
        string cleaned = Clean(path);
        if (SpecifiesCurrentDir(path)) cleaned += "/.";
        return (Dir(cleaned), Base(cleaned));
    }

    /// <summary>Keeps the trailing "/." or "/" of <paramref name="original"/> on the cleaned <paramref name="cleaned"/>.</summary>
    public static string PreserveTrailingDotOrSeparator(string cleaned, string original)
    {
        if (SpecifiesCurrentDir(original) && !SpecifiesCurrentDir(cleaned)) cleaned += cleaned.EndsWith('/') ? "." : "/.";
        if (HasTrailingSeparator(original) && !HasTrailingSeparator(cleaned)) cleaned += "/";
        return cleaned;
    }

    /// <summary>After following a symlink: the resolved path with the request's trailing "/." or "/" kept, and the
    /// name the archive's entries must carry when the link's name differs from its target's (Docker's GetRebaseName).</summary>
    public static (string Resolved, string? RebaseName) RebaseName(string path, string resolved)
    {
        resolved = PreserveTrailingDotOrSeparator(resolved, path);
        return (resolved, Base(path) != Base(resolved) ? Base(path) : null);
    }

    /// <summary>
    /// Where to extract a source archive and how to rename its top entry (Docker's PrepareArchiveCopy).
    /// <paramref name="sourcePath"/> is the path the archive was made from; <paramref name="sourceRebase"/> its
    /// rebase name if a symlink was followed.
    /// </summary>
    public static CopyPlan Plan(string sourcePath, bool sourceIsDir, string? sourceRebase, string destPath, bool destExists, bool destIsDir)
    {
        var (destDir, destBase) = SplitDirEntry(destPath);
        string sourceBase = sourceRebase ?? SplitDirEntry(sourcePath).Base;
        if (destExists && destIsDir) return new CopyPlan(destPath, null, null);
        if (destExists && sourceIsDir) throw new CopyRuleException("cannot copy directory");
        if (!destExists && !sourceIsDir && HasTrailingSeparator(destPath)) throw new CopyRuleException("no such directory");
        // The top entry takes the destination's name: a file replacing (or becoming) a file, a directory becoming a new one.
        return new CopyPlan(destDir, sourceBase, destBase);
    }

    /// <summary>Renames an archive entry whose first element is <paramref name="from"/> (Docker's RebaseArchiveEntries).</summary>
    public static string Rebase(string entryName, string from, string to)
    {
        if (from == ".")
        {
            // "./x" or "." → "to/x" or "to"
            if (entryName is "." or "./") return to + (entryName.EndsWith('/') ? "/" : "");
            if (entryName.StartsWith("./", StringComparison.Ordinal)) return to + entryName[1..];
            return entryName;
        }
        if (entryName == from || entryName.StartsWith(from + "/", StringComparison.Ordinal)) return to + entryName[from.Length..];
        return entryName;
    }
}
