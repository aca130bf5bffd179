using System.Text.Json.Serialization;

namespace MiniContainer.Images;

/// <summary>One entry of a docker-archive's manifest.json (what `docker save` writes).</summary>
internal sealed class DockerArchiveManifestEntry
{
    /// <summary>Path of the config JSON inside the archive: "&lt;hex&gt;.json" or "blobs/sha256/&lt;hex&gt;".</summary>
    public string Config { get; set; } = "";
    /// <summary>"busybox:latest"; null for an image saved by ID.</summary>
    public List<string>? RepoTags { get; set; }
    /// <summary>Path of each layer tar, bottom first: "&lt;id&gt;/layer.tar" or "blobs/sha256/&lt;hex&gt;".</summary>
    public List<string> Layers { get; set; } = new();
}

/// <summary>An OCI content descriptor: what a blob is, its digest and size.</summary>
internal sealed class OciDescriptor
{
    [JsonPropertyName("mediaType")] public string MediaType { get; set; } = "";
    [JsonPropertyName("digest")] public string Digest { get; set; } = "";
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    [JsonPropertyName("platform")] public OciPlatform? Platform { get; set; }
}

internal sealed class OciPlatform
{
    [JsonPropertyName("architecture")] public string Architecture { get; set; } = "";
    [JsonPropertyName("os")] public string Os { get; set; } = "";
    [JsonPropertyName("variant")] public string? Variant { get; set; }
}

/// <summary>index.json of an OCI image layout, or an image index (multi-platform list) blob.</summary>
internal sealed class OciIndex
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; } = 2;
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("manifests")] public List<OciDescriptor> Manifests { get; set; } = new();
}

/// <summary>An image manifest: the config blob and the layer blobs, bottom first.</summary>
internal sealed class OciManifest
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; } = 2;
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("config")] public OciDescriptor Config { get; set; } = new();
    [JsonPropertyName("layers")] public List<OciDescriptor> Layers { get; set; } = new();
}

internal static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>The annotation containerd and Docker 25+ put the full image name in ("docker.io/library/busybox:latest").</summary>
    public const string ImageNameAnnotation = "io.containerd.image.name";
    /// <summary>The OCI annotation for a reference name (Docker writes the tag alone: "latest").</summary>
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";
}
