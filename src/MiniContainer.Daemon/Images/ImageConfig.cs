using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace MiniContainer.Images;

/// <summary>
/// The image config, as the OCI image spec and Docker write it (the JSON whose sha256 is the image ID):
/// what the image is for (architecture, os), how to run it (<see cref="Config"/>) and what its layers
/// are (<see cref="RootFs"/>: the diff IDs, bottom layer first). Fields we do not model are kept in
/// <see cref="Extra"/>, so nothing is lost if a config is written back.
/// </summary>
public sealed class ImageConfig
{
    [JsonPropertyName("architecture")] public string Architecture { get; set; } = "amd64";
    [JsonPropertyName("variant")] public string? Variant { get; set; }
    [JsonPropertyName("os")] public string Os { get; set; } = "linux";
    [JsonPropertyName("author")] public string? Author { get; set; }
    /// <summary>RFC 3339 text as found (may carry nanoseconds); <see cref="Image.Created"/> is the parsed value.</summary>
    [JsonPropertyName("created")] public string? Created { get; set; }
    [JsonPropertyName("config")] public ContainerDefaults? Config { get; set; }
    [JsonPropertyName("rootfs")] public RootFs RootFs { get; set; } = new();
    [JsonPropertyName("history")] public List<HistoryEntry>? History { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>The defaults a container made from the image starts with ("config" in the image config).</summary>
public sealed class ContainerDefaults
{
    public string? User { get; set; }
    public List<string>? Env { get; set; }
    public List<string>? Cmd { get; set; }
    public List<string>? Entrypoint { get; set; }
    public string? WorkingDir { get; set; }
    /// <summary>"80/tcp" → {} (Docker's JSON for a set).</summary>
    public Dictionary<string, EmptyObject>? ExposedPorts { get; set; }
    /// <summary>"/data" → {}.</summary>
    public Dictionary<string, EmptyObject>? Volumes { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string? StopSignal { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>The "{}" values of Docker's JSON sets (ExposedPorts, Volumes).</summary>
public sealed class EmptyObject
{
    public static readonly EmptyObject Instance = new();
}

public sealed class RootFs
{
    [JsonPropertyName("type")] public string Type { get; set; } = "layers";
    /// <summary>sha256 of each layer's uncompressed tar, bottom layer first.</summary>
    [JsonPropertyName("diff_ids")] public List<string> DiffIds { get; set; } = new();
}

public sealed class HistoryEntry
{
    [JsonPropertyName("created")] public string? Created { get; set; }
    [JsonPropertyName("created_by")] public string? CreatedBy { get; set; }
    [JsonPropertyName("author")] public string? Author { get; set; }
    [JsonPropertyName("comment")] public string? Comment { get; set; }
    [JsonPropertyName("empty_layer")] public bool? EmptyLayer { get; set; }
}

/// <summary>
/// The image store's JSON, generated at compile time (the daemon is Native AOT). One context, three settings:
/// <see cref="Store"/> for configs, manifests, indexes and the store's own records (compact, nulls left out,
/// '+' and non-ASCII written as is, as registries and Docker write them); <see cref="Default"/> for what keeps
/// System.Text.Json's defaults (`docker save`'s manifest.json writes "RepoTags": null); <see cref="Indented"/>
/// for the tags file people read.
/// </summary>
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(OciIndex))]
[JsonSerializable(typeof(OciManifest))]
[JsonSerializable(typeof(List<DockerArchiveManifestEntry>), TypeInfoPropertyName = "DockerArchiveManifest")]
[JsonSerializable(typeof(SortedDictionary<string, SortedDictionary<string, string>>), TypeInfoPropertyName = "Repositories")]
[JsonSerializable(typeof(ImageStore.ImageRecord))]
[JsonSerializable(typeof(ImageStore.LayerRecord))]
[JsonSerializable(typeof(SortedDictionary<string, string>), TypeInfoPropertyName = "SortedTags")]
[JsonSerializable(typeof(Dictionary<string, string>), TypeInfoPropertyName = "Tags")]
[JsonSerializable(typeof(List<string>), TypeInfoPropertyName = "StringList")]
internal sealed partial class ImageJson : JsonSerializerContext
{
    public static ImageJson Store { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static ImageJson Indented { get; } = new(new JsonSerializerOptions { WriteIndented = true });

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    /// <summary>Parses JSON from an archive; a parse error becomes an InvalidArchiveException naming the file.</summary>
    public static T Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, string what) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new InvalidArchiveException($"invalid {what}: it is JSON null");
        }
        catch (JsonException e)
        {
            throw new InvalidArchiveException($"invalid {what}: {e.Message}", e);
        }
    }
}
