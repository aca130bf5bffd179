using MiniContainer.Containers;
using MiniContainer.Images;

namespace MiniContainer.Api;

// What /images/* answers, shaped as Docker's api/types/image. Property order is the order on the wire.

/// <summary>One row of GET /images/json (Docker's image.Summary): Created in unix seconds.</summary>
public sealed class ImageSummary
{
    public required string Id { get; init; }
    public required string ParentId { get; init; }
    public required IReadOnlyList<string> RepoTags { get; init; }
    public required IReadOnlyList<string> RepoDigests { get; init; }
    public required long Created { get; init; }
    public required long Size { get; init; }
    /// <summary>-1: not computed (Docker computes it only when asked with shared-size=1).</summary>
    public required long SharedSize { get; init; }
    public required long VirtualSize { get; init; }
    public required Dictionary<string, string> Labels { get; init; }
    /// <summary>How many containers use the image.</summary>
    public required int Containers { get; init; }
}

/// <summary>GET /images/{name}/json (Docker's image.InspectResponse): Created as RFC 3339 text.</summary>
public sealed class ImageInspect
{
    public required string Id { get; init; }
    public required IReadOnlyList<string> RepoTags { get; init; }
    public required IReadOnlyList<string> RepoDigests { get; init; }
    public required string Parent { get; init; }
    public required string Comment { get; init; }
    public required string Created { get; init; }
    public required string DockerVersion { get; init; }
    public required string Author { get; init; }
    /// <summary>The image config's "config", with its nulls ("Entrypoint": null).</summary>
    public required ContainerDefaults? Config { get; init; }
    /// <summary>
    /// The config of the container the image was committed from (the image config's "container_config"; empty when it
    /// has none). dockerd 26 and later leave it out for API 1.45 and newer, but docker-compose 1.29 negotiates the
    /// daemon's newest version and then reads it whenever it recreates a container (KeyError without it), as it could
    /// from every dockerd up to 25. An extra field costs newer clients nothing, so it is always sent.
    /// </summary>
    public ContainerDefaults? ContainerConfig { get; init; }
    public required string Architecture { get; init; }
    public required string Os { get; init; }
    public required long Size { get; init; }
    /// <summary>Data: {"LowerDir": the layer dirs, top first, joined by ':'}.</summary>
    public required GraphDriverData GraphDriver { get; init; }
    public required ImageRootFs RootFS { get; init; }
    public required ImageMetadata Metadata { get; init; }
}

/// <summary>The diff IDs, bottom layer first, under Docker's names ("layers" → Type, Layers).</summary>
public sealed record ImageRootFs(string Type, IReadOnlyList<string> Layers);

public sealed record ImageMetadata(string LastTagTime);
