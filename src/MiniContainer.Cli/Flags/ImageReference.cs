namespace MiniContainer.Cli.Flags;

/// <summary>The little image-name handling a client needs: split "repo:tag" and show "busybox" as "busybox:latest".</summary>
internal static class ImageReference
{
    /// <summary>Splits "localhost:5000/app:v1" into ("localhost:5000/app", "v1"); no tag gives "" (a digest stays in the repo part).</summary>
    public static (string Repository, string Tag) SplitTag(string reference)
    {
        if (reference.Contains('@')) return (reference, "");
        int colon = reference.LastIndexOf(':');
        if (colon < 0 || colon < reference.LastIndexOf('/')) return (reference, "");
        return (reference[..colon], reference[(colon + 1)..]);
    }

    /// <summary>"busybox" → "busybox:latest", as docker names it in "Unable to find image 'busybox:latest' locally".</summary>
    public static string WithDefaultTag(string reference)
    {
        if (reference.StartsWith("sha256:", StringComparison.Ordinal)) return reference;
        var (_, tag) = SplitTag(reference);
        return tag.Length == 0 && !reference.Contains('@') ? reference + ":latest" : reference;
    }
}
