using System.Globalization;

namespace MiniContainer.Images;

/// <summary>
/// One image in the store: its config (how to run it, which layers), its names, its size. A snapshot:
/// the store hands out a new Image when tags change.
/// </summary>
public sealed class Image
{
    internal Image(string id, byte[] rawConfig, ImageConfig config, IReadOnlyList<string> chainIds, long size,
                   IReadOnlyList<string> repoTags, IReadOnlyList<string> repoDigests)
    {
        Id = id;
        RawConfig = rawConfig;
        Config = config;
        ChainIds = chainIds;
        Size = size;
        RepoTags = repoTags;
        RepoDigests = repoDigests;
        Created = ParseCreated(config.Created);
    }

    /// <summary>"sha256:&lt;64 hex&gt;": the sha256 of <see cref="RawConfig"/>, as Docker computes it.</summary>
    public string Id { get; }
    /// <summary>The 12 hex characters Docker prints: "3f57d9401f8d".</summary>
    public string ShortId => Id[7..19];
    /// <summary>"busybox:latest", …; empty for a dangling image (Docker's &lt;none&gt;:&lt;none&gt;).</summary>
    public IReadOnlyList<string> RepoTags { get; }
    /// <summary>"busybox@sha256:…" for images that came from a registry; empty for loaded ones.</summary>
    public IReadOnlyList<string> RepoDigests { get; }
    public DateTimeOffset Created { get; }
    /// <summary>Bytes of file data in the unpacked layers (what `docker images` shows as SIZE).</summary>
    public long Size { get; }
    public ImageConfig Config { get; }
    /// <summary>The config JSON exactly as stored (its sha256 is <see cref="Id"/>).</summary>
    public byte[] RawConfig { get; }
    /// <summary>The chain ID of each layer, bottom first: the names of the layer directories.</summary>
    public IReadOnlyList<string> ChainIds { get; }
    public IReadOnlyList<string> DiffIds => Config.RootFs.DiffIds;

    /// <summary>Parses RFC 3339 (Go writes up to 9 fractional digits; .NET reads 7).</summary>
    internal static DateTimeOffset ParseCreated(string? created)
    {
        if (string.IsNullOrEmpty(created)) return DateTimeOffset.UnixEpoch;
        string text = System.Text.RegularExpressions.Regex.Replace(created, @"(\.\d{7})\d+", "$1");
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value : DateTimeOffset.UnixEpoch;
    }
}
