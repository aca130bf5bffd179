using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiniContainer.Api;
using MiniContainer.Explaining;
using MiniContainer.Linux;
using MiniContainer.Storage;
using MiniContainer.Events;

namespace MiniContainer.Volumes;

/// <summary>A named (or anonymous) local volume, as GET /volumes/{name} shows it.</summary>
public sealed class Volume
{
    public string Name { get; set; } = "";
    public string Driver { get; set; } = "local";
    public string Mountpoint { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public Dictionary<string, string> Labels { get; set; } = new();
    public string Scope { get; set; } = "local";
    public Dictionary<string, string> Options { get; set; } = new();
    /// <summary>Only in GET /system/df: the bytes it holds and how many containers mount it.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public VolumeUsageData? UsageData { get; set; }
}

public sealed record VolumeUsageData(long Size, long RefCount);

/// <summary>
/// Local volumes: a directory volumes/&lt;name&gt;/_data that containers bind-mount, and volumes/&lt;name&gt;/volume.json.
/// Data lives outside every container's layers, so it survives rm, new containers and daemon restarts.
/// An anonymous volume (VOLUME in an image, or -v /path) gets a 64-hex name and the label
/// com.docker.volume.anonymous, as Docker gives it.
/// </summary>
public sealed partial class VolumeStore(HostPaths paths)
{
    public const string AnonymousLabel = "com.docker.volume.anonymous";
    private readonly object _lock = new();

    /// <summary>Where volume create/destroy events go: the daemon's one bus.</summary>
    public EventBus Events { get; init; } = new();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex ValidName();

    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    /// <summary>Docker's refusal of a bad volume name; with the hint when it may have been meant as a host path.</summary>
    public static void CheckName(string name, bool hostPathHint)
    {
        if (IsValidName(name) && !hostPathHint) return;
        throw new BadRequestException($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed" +
                                      (hostPathHint ? ". If you intended to pass a host directory, use absolute path" : ""));
    }

    private string Dir(string name) => Path.Combine(paths.Volumes, name);

    public Volume? Find(string name)
    {
        string meta = Path.Combine(Dir(name), "volume.json");
        if (!IsValidName(name) || !File.Exists(meta)) return null;
        var v = JsonSerializer.Deserialize(File.ReadAllBytes(meta), DaemonJson.Default.Volume)!;
        v.Mountpoint = Path.Combine(Dir(name), "_data");
        return v;
    }

    public Volume Get(string name) => Find(name) ?? throw new NotFoundException($"get {name}: no such volume");

    public IReadOnlyList<Volume> List()
    {
        if (!Directory.Exists(paths.Volumes)) return Array.Empty<Volume>();
        return Directory.GetDirectories(paths.Volumes).Select(d => Find(Path.GetFileName(d))).OfType<Volume>()
            .OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Creates the volume, or returns the existing one of that name (docker volume create is idempotent).
    /// Written to a temp dir and renamed into place: never half-created.</summary>
    public Volume Create(string? name, Dictionary<string, string>? labels = null, bool anonymous = false)
    {
        if (string.IsNullOrEmpty(name)) { name = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)); anonymous = true; }
        if (!IsValidName(name)) CheckName(name, hostPathHint: true);
        lock (_lock)
        {
            if (Find(name) is { } existing) return existing;
            var volume = new Volume { Name = name, CreatedAt = DateTimeOffset.UtcNow, Labels = labels ?? new() };
            if (anonymous) volume.Labels[AnonymousLabel] = "";
            Directory.CreateDirectory(paths.Volumes);
            string tmp = Path.Combine(paths.Volumes, $".tmp-{name}-{Guid.NewGuid():N}");
            long t = Explain.Begin();
            HostDirectories.CreateLikeParent(tmp);   // as private as volumes/ itself; _data is the volume's content
            if (t != 0) Explain.Record(t, ExplainStorage.Directory(ExplainPhase.Volumes, tmp, Kernel.LStat(tmp)!.Value,
                "the volume's own directory, made under a temporary name, as private as the volumes directory itself"));
            t = Explain.Begin();
            string data = Path.Combine(tmp, "_data");
            Directory.CreateDirectory(data);
            if (t != 0) Explain.Record(t, ExplainStorage.Directory(ExplainPhase.Volumes, data, Kernel.LStat(data)!.Value,
                "the volume's content: what a container sees where it mounts the volume"));
            t = Explain.Begin();
            byte[] meta = JsonSerializer.SerializeToUtf8Bytes(volume, DaemonJson.Default.Volume);
            AtomicFile.WriteAllBytes(Path.Combine(tmp, "volume.json"), meta);
            if (t != 0) Explain.Record(t, ExplainStorage.MetadataFile(ExplainPhase.Volumes, Path.Combine(tmp, "volume.json"), meta.Length, "the volume's name, labels and creation time"));
            t = Explain.Begin();
            Directory.Move(tmp, Dir(name));
            if (t != 0) Explain.Record(t, ExplainStorage.VolumeInPlace(tmp, Dir(name), name));
            Log.Info($"volume {name} created");
            Events.Volume("create", name, volume.Driver);
            return Find(name)!;
        }
    }

    /// <summary>docker volume rm: refused while any container (running or not) uses it, -f or not — as Docker does.</summary>
    public void Remove(string name, IReadOnlyList<string> usedBy)
    {
        Get(name);
        if (usedBy.Count > 0)
            throw new ConflictException($"remove {name}: volume is in use - [{string.Join(", ", usedBy)}]");
        lock (_lock)
        {
            string doomed = Path.Combine(paths.Volumes, $".removing-{name}-{Guid.NewGuid():N}");
            Directory.Move(Dir(name), doomed);
            Directory.Delete(doomed, recursive: true);
        }
        Log.Info($"volume {name} removed");
        Events.Volume("destroy", name);
    }

    /// <summary>Removes leftovers of an interrupted create or remove (called when the daemon starts).</summary>
    public void CleanTemporaries()
    {
        if (!Directory.Exists(paths.Volumes)) return;
        foreach (string d in Directory.GetDirectories(paths.Volumes, ".*")) Directory.Delete(d, recursive: true);
    }

    public static long SizeOf(Volume v) => DiskUsage.Bytes(v.Mountpoint);
}
