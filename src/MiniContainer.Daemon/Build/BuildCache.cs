using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MiniContainer.Images;
using MiniContainer.Storage;

namespace MiniContainer.Build;

/// <summary>
/// The build cache: which image a step produced, by a key made of the parent image ID, the instruction after
/// substitution (with the build args the step sees) and, for COPY and ADD, a checksum of the sources (paths,
/// contents, modes, ownership, link targets). A step whose key is known, and whose image still exists, is not
/// run again. The index lives in DataRoot/builder/cache.json, written whole through a temp file and rename.
/// </summary>
public sealed class BuildCache
{
    private readonly string _file;
    private readonly object _lock = new();
    private Dictionary<string, string> _entries;

    public BuildCache(HostPaths paths)
    {
        string dir = Path.Combine(paths.DataRoot, "builder");
        Directory.CreateDirectory(dir);
        _file = Path.Combine(dir, "cache.json");
        try
        {
            _entries = File.Exists(_file) ? JsonSerializer.Deserialize(File.ReadAllBytes(_file), BuildJson.Default.DictionaryStringString) ?? new() : new();
        }
        catch (JsonException e)
        {
            Log.Warn($"build cache: ignoring {_file}: {e.Message}");
            _entries = new();
        }
    }

    public static string Key(string? parentId, string instruction, string? sourceChecksum) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{parentId ?? "scratch"}\n{instruction}\n{sourceChecksum ?? ""}")));

    /// <summary>The cached image for <paramref name="key"/>, if it is still in the store.</summary>
    public Image? Find(string key, ImageStore images)
    {
        string? id;
        lock (_lock) if (!_entries.TryGetValue(key, out id)) return null;
        return images.Find(id);
    }

    public void Add(string key, string imageId, ImageStore images)
    {
        lock (_lock)
        {
            var next = _entries.Where(kv => images.Find(kv.Value) != null).ToDictionary(kv => kv.Key, kv => kv.Value);
            next[key] = imageId;
            AtomicFile.WriteAllBytes(_file, JsonSerializer.SerializeToUtf8Bytes(next, BuildJson.Default.DictionaryStringString));
            _entries = next;
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class BuildJson : System.Text.Json.Serialization.JsonSerializerContext;
