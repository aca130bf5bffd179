using System.Text.RegularExpressions;

namespace MiniContainer.Images;

/// <summary>
/// An image name as Docker understands it: [domain/]path[:tag][@digest]. "busybox" means
/// docker.io/library/busybox; we store and print names in Docker's short ("familiar") form: "busybox:latest",
/// "user/app:1", "localhost:5000/app:dev". The grammar is the one of the distribution reference library.
/// The one image-name type of the daemon and the CLI (which also uses <see cref="SplitTag"/> for names as typed).
/// </summary>
public sealed partial record ImageReference(string Domain, string Path, string? Tag, string? Digest)
{
    public const string DefaultDomain = "docker.io";
    public const string DefaultTag = "latest";
    private const string OfficialRepoPrefix = "library/";

    /// <summary>The repository in familiar form: "busybox", "user/app", "quay.io/org/app".</summary>
    public string Repository => Domain == DefaultDomain
        ? (Path.StartsWith(OfficialRepoPrefix, StringComparison.Ordinal) && Path.IndexOf('/', OfficialRepoPrefix.Length) < 0 ? Path[OfficialRepoPrefix.Length..] : Path)
        : $"{Domain}/{Path}";

    /// <summary>The fully qualified repository: "docker.io/library/busybox".</summary>
    public string FullRepository => $"{Domain}/{Path}";

    /// <summary>"busybox:latest", "busybox@sha256:…", as Docker prints it.</summary>
    public override string ToString() => Repository + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>"docker.io/library/busybox:latest": the form OCI annotations (io.containerd.image.name) use.</summary>
    public string ToFullString() => FullRepository + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>Adds ":latest" when the reference names neither a tag nor a digest (what `docker run busybox` means).</summary>
    public ImageReference WithDefaultTag() => Tag is null && Digest is null ? this with { Tag = DefaultTag } : this;

    public static bool TryParse(string text, out ImageReference reference)
    {
        try { reference = Parse(text); return true; }
        catch (InvalidReferenceException) { reference = null!; return false; }
    }

    /// <summary>Parses a reference; throws InvalidReferenceException with Docker's message when it is malformed.</summary>
    public static ImageReference Parse(string text)
    {
        if (string.IsNullOrEmpty(text)) throw new InvalidReferenceException("invalid reference format");
        string rest = text;
        string? digest = null, tag = null;

        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestPattern().IsMatch(digest)) throw new InvalidReferenceException("invalid reference format");
        }
        int colon = TagColon(rest);
        if (colon >= 0)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag)) throw new InvalidReferenceException("invalid reference format");
        }
        if (rest.Length == 0) throw new InvalidReferenceException("invalid reference format");

        // The first component is a domain if it looks like one: has a '.' or ':', is "localhost", or has capitals.
        string domain = DefaultDomain, path = rest;
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            string first = rest[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost" || first.ToLowerInvariant() != first)
            {
                domain = first;
                path = rest[(slash + 1)..];
                if (!DomainPattern().IsMatch(domain)) throw new InvalidReferenceException("invalid reference format");
            }
        }
        if (domain == "index.docker.io") domain = DefaultDomain;
        if (domain == DefaultDomain && !path.Contains('/')) path = OfficialRepoPrefix + path;

        if (path.ToLowerInvariant() != path)
            throw new InvalidReferenceException($"invalid reference format: repository name ({path}) must be lowercase");
        if (!PathPattern().IsMatch(path)) throw new InvalidReferenceException("invalid reference format");
        if (domain.Length + 1 + path.Length > 255) throw new InvalidReferenceException("invalid reference format: repository name must not be more than 255 characters");
        return new ImageReference(domain, path, tag, digest);
    }

    /// <summary>Splits off the tag as written, without parsing or normalising: "localhost:5000/app:v1" →
    /// ("localhost:5000/app", "v1"); no tag gives ""; a reference with a digest is left whole. For names shown as
    /// the user or the daemon spelled them (image tables, `tag SOURCE TARGET`).</summary>
    public static (string Repository, string Tag) SplitTag(string reference)
    {
        if (reference.Contains('@')) return (reference, "");
        int colon = TagColon(reference);
        return colon < 0 ? (reference, "") : (reference[..colon], reference[(colon + 1)..]);
    }

    /// <summary>A tag is after the last ':' that comes after the last '/' (the ':' in "host:5000/x" is a port); -1: none.</summary>
    private static int TagColon(string s)
    {
        int colon = s.LastIndexOf(':');
        return colon > s.LastIndexOf('/') ? colon : -1;
    }

    // path-component ("/" path-component)*, each [a-z0-9]+ joined by ".", "_", "__" or "-"+.
    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex PathPattern();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$")]
    private static partial Regex DomainPattern();

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")]
    private static partial Regex DigestPattern();
}

/// <summary>A reference that is not a valid image name (HTTP 400), e.g. "invalid reference format: repository name (library/Busybox) must be lowercase".</summary>
public sealed class InvalidReferenceException(string message) : FormatException(message);
