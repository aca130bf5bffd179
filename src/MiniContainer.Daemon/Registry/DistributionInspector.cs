using System.Text.Json.Nodes;
using MiniContainer.Images;

namespace MiniContainer.Registry;

/// <summary>
/// GET /distribution/{name}/json: what the registry holds for a name, asked of the registry itself, as dockerd does
/// (nothing local answers it): the manifest's descriptor (media type, digest, size) and the platforms it serves, from
/// the index's entries or, for a single image manifest, from its config. An unreachable registry is an error, as with
/// dockerd; so is a name the registry does not know.
/// </summary>
public static class DistributionInspector
{
    public static async Task<JsonObject> InspectAsync(ImageReference reference, AuthConfig auth, CancellationToken ct)
    {
        var client = new RegistryClient(RegistryEndpoint.For(reference.Domain), auth);
        string repository = reference.Path;
        FetchedManifest top;
        try { top = await client.GetManifestAsync(repository, reference.Digest ?? reference.WithDefaultTag().Tag!, ct); }
        catch (RegistryHttpException e)
        {
            int status = e.IsDenied || e.Status == 404 ? (e.Status is 401 or 403 ? 401 : 404) : (e.Status >= 500 ? 500 : e.Status);
            throw new RegistryException($"{reference}: {e.Message}", status);
        }

        var platforms = new JsonArray();
        if (ManifestTypes.IsIndex(top.MediaType))
        {
            foreach (var entry in Manifests.ParseIndex(top).Manifests)
                if (entry.Platform is { } p) platforms.Add((JsonNode)Platform(p.Architecture, p.Os, p.Variant));
        }
        else
        {
            var manifest = Manifests.ParseManifest(top);
            var config = ImageJson.Parse(await client.GetBlobBytesAsync(repository, manifest.Config.Digest, ct), ImageJson.Store.ImageConfig,
                $"image config {manifest.Config.Digest}");
            platforms.Add((JsonNode)Platform(config.Architecture, config.Os, config.Variant));
        }
        return new JsonObject
        {
            ["Descriptor"] = new JsonObject { ["mediaType"] = top.MediaType, ["digest"] = top.Digest, ["size"] = top.Body.Length },
            ["Platforms"] = platforms,
        };
    }

    /// <summary>An OCI platform as dockerd writes it: variant only when there is one.</summary>
    private static JsonObject Platform(string architecture, string os, string? variant)
    {
        var p = new JsonObject { ["architecture"] = architecture, ["os"] = os };
        if (!string.IsNullOrEmpty(variant)) p["variant"] = variant;
        return p;
    }
}
