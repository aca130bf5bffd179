using System.Text.Json;
using MiniContainer.Images;

namespace MiniContainer.Registry;

/// <summary>The manifest media types of the Distribution API, and how to tell which one a registry sent.</summary>
public static class ManifestTypes
{
    public const string DockerManifest = MediaTypes.DockerManifest;
    public const string DockerManifestList = MediaTypes.DockerManifestList;
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
    public const string DockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    public const string OciManifest = MediaTypes.OciManifest;
    public const string OciIndex = MediaTypes.OciIndex;

    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public const string OciConfig = MediaTypes.OciConfig;
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";

    public static bool IsIndex(string mediaType) => mediaType is DockerManifestList or OciIndex;
    public static bool IsImageManifest(string mediaType) => mediaType is DockerManifest or OciManifest;

    /// <summary>The manifest's kind: the mediaType field in its body when it has one (it cannot lie about its own digest),
    /// else the Content-Type the registry sent; an OCI manifest without either is told apart by "manifests" vs "layers".</summary>
    public static string Detect(byte[] body, string contentType)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new RegistryException("invalid manifest: not a JSON object");
            if (root.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } own) return own;
            if (root.TryGetProperty("schemaVersion", out var v) && v.ValueKind == JsonValueKind.Number && v.GetInt32() == 1) return DockerSchema1;
            if (IsIndex(contentType) || IsImageManifest(contentType)) return contentType;
            return root.TryGetProperty("manifests", out _) ? OciIndex : OciManifest;
        }
        catch (JsonException e) { throw new RegistryException($"invalid manifest: {e.Message}"); }
    }
}

/// <summary>Reading manifests and indexes, and picking the image for this machine out of a multi-platform index.</summary>
internal static class Manifests
{
    public static OciIndex ParseIndex(FetchedManifest fetched) =>
        FromJson(() => ImageJson.Parse(fetched.Body, ImageJson.Store.OciIndex, $"image index {fetched.Digest}"));

    public static OciManifest ParseManifest(FetchedManifest fetched)
    {
        var manifest = FromJson(() => ImageJson.Parse(fetched.Body, ImageJson.Store.OciManifest, $"manifest {fetched.Digest}"));
        if (!Digests.IsSha256(manifest.Config.Digest)) throw new RegistryException($"invalid manifest {fetched.Digest}: its config digest \"{manifest.Config.Digest}\" is not a sha256 digest");
        if (manifest.Layers.FirstOrDefault(l => !Digests.IsSha256(l.Digest)) is { } bad)
            throw new RegistryException($"invalid manifest {fetched.Digest}: layer digest \"{bad.Digest}\" is not a sha256 digest");
        if (manifest.Layers.FirstOrDefault(l => l.MediaType == ManifestTypes.DockerForeignLayer) is { } foreign)
            throw new RegistryException($"the image has a foreign (Windows) layer {foreign.Digest}: only Linux images can be pulled");
        return manifest;
    }

    /// <summary>The entry for os/architecture (and variant, when the index names one), as Docker picks it; null if none.</summary>
    public static OciDescriptor? SelectPlatform(OciIndex index, string os, string architecture, string? variant = null)
    {
        var candidates = index.Manifests
            .Where(m => ManifestTypes.IsImageManifest(m.MediaType) || string.IsNullOrEmpty(m.MediaType))
            .Where(m => m.Platform is { } p && p.Os == os && p.Architecture == architecture)
            .ToList();
        return candidates.FirstOrDefault(m => variant is null || m.Platform!.Variant is null || m.Platform.Variant == variant)
            ?? candidates.FirstOrDefault();
    }

    private static T FromJson<T>(Func<T> parse)
    {
        try { return parse(); }
        catch (InvalidArchiveException e) { throw new RegistryException(e.Message); }
    }
}
