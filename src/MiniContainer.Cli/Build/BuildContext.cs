using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using MiniContainer.Build;

namespace MiniContainer.Cli.Build;

/// <summary>
/// The build context as docker sends it: a tar of the context directory (paths relative to it, symlinks as
/// links, never followed) without what .dockerignore excludes, written straight into the request body while
/// the daemon reads it (chunked: nothing is buffered in memory, and no length is computed beforehand).
/// The Dockerfile and .dockerignore are always sent, even when ignored: the daemon needs them, and leaves them
/// out of COPY itself.
/// </summary>
internal sealed class BuildContext : HttpContent
{
    private readonly string _root;
    private readonly IgnorePatterns _ignore;
    private readonly HashSet<string> _alwaysSent;
    private readonly (string Name, string HostPath)? _extra;

    /// <summary>Reads .dockerignore (a broken pattern throws IgnorePatternException before anything is sent).</summary>
    /// <param name="extraDockerfile">A Dockerfile from outside the context (-f ../x): sent under this name as well.</param>
    public BuildContext(string root, string dockerfileInContext, (string Name, string HostPath)? extraDockerfile = null)
    {
        _extra = extraDockerfile;
        _root = Path.GetFullPath(root);
        string ignoreFile = Path.Combine(_root, ".dockerignore");
        _ignore = File.Exists(ignoreFile) ? IgnorePatterns.Parse(File.ReadAllText(ignoreFile)) : new IgnorePatterns();
        _alwaysSent = new HashSet<string>(StringComparer.Ordinal) { ".dockerignore", IgnorePatterns.Clean(dockerfileInContext) };
        Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
    }

    /// <summary>Every path that goes into the tar, parents before children, in a stable order.</summary>
    public IEnumerable<string> Entries() => Walk("");

    private IEnumerable<string> Walk(string relative)
    {
        string dir = relative.Length == 0 ? _root : Path.Combine(_root, relative);
        foreach (string path in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            string name = relative.Length == 0 ? Path.GetFileName(path) : relative + "/" + Path.GetFileName(path);
            bool isDir = Directory.Exists(path) && new FileInfo(path).LinkTarget is null;
            bool ignored = _ignore.IsIgnored(name) && !_alwaysSent.Contains(name);
            if (!ignored) yield return name;
            // An ignored directory is still walked when an exception (!pattern) may bring back something inside it.
            if (isDir && (!ignored || _ignore.HasExceptions))
                foreach (string child in Walk(name)) yield return child;
        }
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await using var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true);
        foreach (string name in Entries())
        {
            string path = Path.Combine(_root, name);
            bool isDir = Directory.Exists(path) && new FileInfo(path).LinkTarget is null;
            await tar.WriteEntryAsync(path, isDir ? name + "/" : name);
        }
        if (_extra is { } extra) await tar.WriteEntryAsync(extra.HostPath, extra.Name);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
