using System.Security.Cryptography;
using System.Text;
using MiniContainer.Explaining;
using MiniContainer.Images;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Build;

/// <summary>
/// COPY and ADD with Docker's rules. Sources are paths in the context (or, with --from, in another stage's or
/// image's filesystem), with Go-style globs; none may leave its root, and a missing one is an error.
/// A directory source copies its contents; several sources need a directory destination ending in '/'; a
/// destination ending in '/' or naming an existing directory receives the source under its own name.
/// The destination is resolved inside the image's root (symlinks followed there, never out of it), relative to
/// WORKDIR. Files keep their mode (or --chmod) and get uid/gid 0 (or --chown, names looked up in the image).
/// ADD also unpacks local tar archives (plain or compressed) with the layer unpacker's safety rules, and
/// fetches http(s) URLs.
/// </summary>
public static class CopyStep
{
    /// <summary>One source file or directory found: its host path and the name it is copied under.</summary>
    public sealed record Source(string HostPath, string Name, bool IsDirectory);

    /// <summary>Finds the sources in <paramref name="root"/> (the context or a --from view). Errors name what is wrong.</summary>
    public static List<Source> Resolve(string root, IReadOnlyList<string> patterns, string instruction)
    {
        var sources = new List<Source>();
        foreach (string pattern in patterns)
        {
            string clean = IgnoreClean(pattern);
            if (clean == ".." || clean.StartsWith("../", StringComparison.Ordinal))
                throw new BuildException($"{instruction} failed: forbidden path outside the build context: {pattern} ()");
            if (clean.IndexOfAny(['*', '?', '[']) >= 0)
            {
                // A wildcard may match nothing, as long as the list as a whole copies something (below):
                // `COPY package.json yarn.lock* package-lock.json* ./` is how Dockerfiles name optional files.
                sources.AddRange(Glob(root, clean));
                continue;
            }
            string host = clean == "." ? root : SecureJoin.Resolve(root, clean);
            var status = Kernel.LStat(host);
            if (status is null)
                throw new BuildException($"{instruction} failed: file not found in build context or excluded by .dockerignore: stat {clean}: file does not exist");
            sources.Add(new Source(host, clean == "." ? "" : Path.GetFileName(clean), status.Value.IsDirectory));
        }
        if (sources.Count == 0) throw new BuildException($"{instruction} failed: no source files were specified");
        return sources;
    }

    private static string IgnoreClean(string path)
    {
        string c = MiniContainer.Build.IgnorePatterns.Clean(path.StartsWith('/') ? path[1..] : path);
        return c;
    }

    /// <summary>Go's filepath.Match per path component (no "**" in COPY), walking only real directories.</summary>
    private static IEnumerable<Source> Glob(string root, string pattern)
    {
        string[] parts = pattern.Split('/');
        var current = new List<string> { "" };
        for (int i = 0; i < parts.Length; i++)
        {
            var regex = new System.Text.RegularExpressions.Regex(IgnorePatterns.ToRegex(parts[i]));
            var next = new List<string>();
            foreach (string dir in current)
            {
                string hostDir = dir.Length == 0 ? root : Path.Combine(root, dir);
                if (Kernel.LStat(hostDir) is not { IsDirectory: true }) continue;
                foreach (string entry in Directory.EnumerateFileSystemEntries(hostDir).Order(StringComparer.Ordinal))
                {
                    string name = Path.GetFileName(entry);
                    if (regex.IsMatch(name)) next.Add(dir.Length == 0 ? name : dir + "/" + name);
                }
            }
            current = next;
        }
        foreach (string rel in current)
        {
            string host = Path.Combine(root, rel);
            yield return new Source(host, Path.GetFileName(rel), Kernel.LStat(host) is { IsDirectory: true });
        }
    }

    /// <summary>A checksum of everything the copy depends on: names, types, modes, owners, sizes, contents, link targets.</summary>
    public static string Checksum(IEnumerable<Source> sources)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var source in sources)
            foreach (string path in WalkWithRoot(source.HostPath))
            {
                var st = Kernel.LStat(path)!.Value;
                string rel = source.Name + "/" + Path.GetRelativePath(source.HostPath, path);
                sha.AppendData(Encoding.UTF8.GetBytes($"{rel}\0{(int)st.Kind}\0{st.Permissions}\0{st.Uid}\0{st.Gid}\0{st.Size}\0"));
                if (st.IsSymbolicLink) sha.AppendData(Encoding.UTF8.GetBytes(new FileInfo(path).LinkTarget ?? ""));
                else if (st.Kind == FileKind.RegularFile)
                {
                    using var f = File.OpenRead(path);
                    sha.AppendData(SHA256.HashData(f));
                }
            }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static IEnumerable<string> WalkWithRoot(string path)
    {
        yield return path;
        if (Kernel.LStat(path) is not { IsDirectory: true }) yield break;
        foreach (string entry in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
            foreach (string p in WalkWithRoot(entry)) yield return p;
    }

    /// <summary>Where in the image the destination is: absolute, or relative to WORKDIR; a trailing '/' kept.</summary>
    public static string DestinationPath(string dest, string? workingDir)
    {
        bool dir = dest.EndsWith('/') || dest == "." || dest.EndsWith("/.");
        string full = dest.StartsWith('/') ? dest : (workingDir is { Length: > 0 } w ? w : "/").TrimEnd('/') + "/" + dest;
        string clean = "/" + IgnorePatterns.Clean(full);
        if (clean == "/.") clean = "/";
        return dir && clean != "/" ? clean + "/" : clean;
    }

    /// <summary>Copies the sources into the mounted image root following Docker's directory rules.</summary>
    public static void CopyInto(RootfsView view, List<Source> sources, string destination, Ownership? owner, uint? chmod, string instruction, bool extractArchives)
    {
        bool destIsDir = destination.EndsWith('/');
        if (sources.Count > 1 && !destIsDir)
            throw new BuildException($"When using {instruction} with more than one source file, the destination must be a directory and end with a /");
        string target = SecureJoin.Resolve(view.Root, destination);
        bool existsAsDir = Kernel.LStat(target) is { IsDirectory: true };

        foreach (var source in sources)
        {
            long t = Explain.Begin();
            string written = CopyOne(view, source, target, destIsDir || existsAsDir, owner, chmod, extractArchives);
            if (t != 0)
            {
                var (files, bytes) = Tally(source.HostPath);
                Explain.Record(t, ExplainStorage.CopyFiles(instruction, source.HostPath, written, files, bytes, owner?.Uid, owner?.Gid, chmod));
            }
        }
    }

    /// <summary>How many files, and how many bytes, a source holds (for --explain only).</summary>
    private static (int Files, long Bytes) Tally(string path)
    {
        if (Kernel.LStat(path) is not { IsDirectory: true }) return (1, Kernel.LStat(path)?.Size ?? 0);
        var all = new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).ToList();
        return (all.Count, all.Sum(f => f.Length));
    }

    /// <summary>Copies (or, for ADD, unpacks) one source; returns the path it wrote: a directory's contents go into
    /// target, a file goes under its own name into a directory target, or becomes target.</summary>
    private static string CopyOne(RootfsView view, Source source, string target, bool intoDirectory, Ownership? owner, uint? chmod, bool extractArchives)
    {
        if (source.IsDirectory)
        {
            EnsureDirectory(view.Root, target, owner);
            CopyTree(source.HostPath, target, owner, chmod);
            return target;
        }
        if (extractArchives && ArchiveExtractor.IsArchive(source.HostPath))
        {
            EnsureDirectory(view.Root, target, owner);
            ArchiveExtractor.ExtractInto(source.HostPath, target, Path.Combine(Path.GetDirectoryName(view.Root)!, "archive"));
            return target;
        }
        string file = intoDirectory ? Path.Combine(target, source.Name) : target;
        EnsureDirectory(view.Root, Path.GetDirectoryName(file)!, owner);
        CopyEntry(source.HostPath, file, owner, chmod);
        return file;
    }

    /// <summary>uid/gid for --chown, looked up in the image's /etc/passwd and /etc/group.</summary>
    public sealed record Ownership(uint Uid, uint Gid);

    public static Ownership? ResolveOwner(string? chown, string imageRoot)
    {
        if (string.IsNullOrEmpty(chown)) return null;
        string? Read(string file) => File.Exists(SecureJoin.Resolve(imageRoot, file)) ? File.ReadAllText(SecureJoin.Resolve(imageRoot, file)) : null;
        try
        {
            string spec = chown.Contains(':') ? chown : chown + ":" + chown;   // Docker: a lone name is user and group
            var resolved = UserLookup.Resolve(spec, Read("/etc/passwd"), Read("/etc/group"));
            return new Ownership(resolved.Uid, resolved.Gid);
        }
        catch (ArgumentException)
        {
            // a lone user name whose group has another name: retry with the user's primary group
            try
            {
                var resolved = UserLookup.Resolve(chown, Read("/etc/passwd"), Read("/etc/group"));
                return new Ownership(resolved.Uid, resolved.Gid);
            }
            catch (ArgumentException e) { throw new BuildException($"unable to convert uid/gid chown string to host mapping: {e.Message}"); }
        }
    }

    public static uint? ParseChmod(string? chmod)
    {
        if (string.IsNullOrEmpty(chmod)) return null;
        try
        {
            uint mode = Convert.ToUInt32(chmod, 8);
            if (mode <= 0xFFF) return mode;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { }
        throw new BuildException($"invalid chmod parameter: {chmod}: use an octal mode such as 0755");
    }

    /// <summary>mkdir -p inside the root: every missing directory 0755 (owned by --chown's user, else root).</summary>
    private static void EnsureDirectory(string root, string path, Ownership? owner)
    {
        if (Kernel.LStat(path) is { } st)
        {
            if (!st.IsDirectory) throw new BuildException($"cannot copy to {Path.GetRelativePath(root, path)}: it exists in the image and is not a directory");
            return;
        }
        EnsureDirectory(root, Path.GetDirectoryName(path)!, owner);
        Kernel.MakeDirectory(path, 0b111_101_101);
        Kernel.Chmod(path, 0b111_101_101);
        Kernel.LChown(path, owner?.Uid ?? 0, owner?.Gid ?? 0);
    }

    internal static void CopyTree(string sourceDir, string targetDir, Ownership? owner, uint? chmod, bool keepOwner = false)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(sourceDir).Order(StringComparer.Ordinal))
            CopyEntry(entry, Path.Combine(targetDir, Path.GetFileName(entry)), owner, chmod, keepOwner);
    }

    /// <summary>Copies one file, link or directory (recursively), replacing what the image has there.</summary>
    private static void CopyEntry(string source, string target, Ownership? owner, uint? chmod, bool keepOwner = false)
    {
        var st = Kernel.LStat(source) ?? throw new BuildException($"file vanished from the build context: {source}");
        var existing = Kernel.LStat(target);
        if (existing is { } e && !(e.IsDirectory && st.IsDirectory))
        {
            if (e.IsDirectory) Directory.Delete(target, true); else File.Delete(target);
        }
        if (st.IsDirectory)
        {
            if (existing is not { IsDirectory: true }) Kernel.MakeDirectory(target, 0b111_000_000);
            CopyTree(source, target, owner, chmod, keepOwner);
        }
        else if (st.IsSymbolicLink) Kernel.SymbolicLink(new FileInfo(source).LinkTarget!, target);
        else if (st.Kind == FileKind.RegularFile)
        {
            using var input = File.OpenRead(source);
            using var output = new FileStream(target, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
            input.CopyTo(output);
        }
        else return;   // devices, fifos and sockets in a context are not copied
        if (keepOwner) Kernel.LChown(target, st.Uid, st.Gid);
        else Kernel.LChown(target, owner?.Uid ?? 0, owner?.Gid ?? 0);
        if (!st.IsSymbolicLink) Kernel.Chmod(target, chmod ?? st.Permissions);
        Kernel.SetTimesNoFollow(target, st.ModificationTime, st.ModificationTime);
    }
}
