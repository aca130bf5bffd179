using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiniContainer.Api;
using MiniContainer.Storage;

namespace MiniContainer.Networking;

/// <summary>
/// The networks, persisted one file each under &lt;data-root&gt;/networks/&lt;id&gt;.json (written atomically:
/// temp file + rename). Finding by name, full id or unique id prefix, as Docker does. Thread-safe through one lock;
/// callers mutate a NetworkState only inside <see cref="Update"/>.
/// </summary>
public sealed partial class NetworkStore
{
    private readonly string _dir;
    private readonly Dictionary<string, NetworkState> _networks = new();
    public object Lock { get; } = new();


    public NetworkStore(HostPaths paths)
    {
        _dir = paths.Networks;
        Directory.CreateDirectory(_dir);
        foreach (string file in Directory.GetFiles(_dir, "*.json"))
        {
            try
            {
                var n = JsonSerializer.Deserialize(File.ReadAllBytes(file), DaemonJson.Default.NetworkState);
                if (n != null) _networks[n.Id] = n;
            }
            catch (JsonException e) { Log.Warn($"skipping {file}: unreadable network ({e.Message})"); }
        }
        foreach (string tmp in Directory.GetFiles(_dir, ".*")) File.Delete(tmp);   // an interrupted atomic write
    }

    public List<NetworkState> All { get { lock (Lock) return _networks.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList(); } }

    public NetworkState? Find(string idOrName)
    {
        if (string.IsNullOrEmpty(idOrName)) return null;
        lock (Lock)
        {
            if (_networks.TryGetValue(idOrName, out var exact)) return exact;
            if (_networks.Values.FirstOrDefault(n => n.Name == idOrName) is { } byName) return byName;
            var byPrefix = _networks.Values.Where(n => n.Id.StartsWith(idOrName, StringComparison.Ordinal)).ToList();
            if (byPrefix.Count > 1) throw new BadRequestException($"network {idOrName} is ambiguous ({byPrefix.Count} matches found on name)");
            return byPrefix.FirstOrDefault();
        }
    }

    public NetworkState Get(string idOrName) => Find(idOrName) ?? throw new NotFoundException($"network {idOrName} not found");

    public static void CheckName(string name)
    {
        // dockerd takes any name but a blank one ("test 01" is fine); a '/' could never be named in a URL path, and
        // control characters would garble every listing.
        if (name.Trim().Length == 0) throw new BadRequestException($"invalid name: {name}");
        if (name.Contains('/') || name.Any(char.IsControl))
            throw new BadRequestException($"invalid network name \"{name}\": it may not contain '/' or control characters");
    }

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Adds a new network and writes it; refused when the name is taken (Docker: always, since API 1.44).</summary>
    public void Add(NetworkState n)
    {
        lock (Lock)
        {
            if (_networks.Values.Any(x => x.Name == n.Name))
                throw new ConflictException($"network with name {n.Name} already exists");
            Save(n);
            _networks[n.Id] = n;
        }
    }

    /// <summary>Changes a network under the lock and writes it back.</summary>
    public T Update<T>(NetworkState n, Func<NetworkState, T> change)
    {
        lock (Lock)
        {
            T result = change(n);
            Save(n);
            return result;
        }
    }

    public void Remove(NetworkState n)
    {
        lock (Lock)
        {
            File.Delete(PathOf(n));
            _networks.Remove(n.Id);
        }
    }

    private string PathOf(NetworkState n) => Path.Combine(_dir, n.Id + ".json");

    /// <summary>The network's state file (--explain names it: the embedded DNS reads its endpoints' names there).</summary>
    public string FileOf(NetworkState n) => PathOf(n);

    private void Save(NetworkState n) => AtomicFile.WriteAllBytes(PathOf(n), JsonSerializer.SerializeToUtf8Bytes(n, DaemonJson.Default.NetworkState));
}
