using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Images;
using MiniContainer.Volumes;

namespace MiniContainer.Containers;

/// <summary>One entry of inspect's "Mounts", Docker's shape.</summary>
public sealed class MountPoint
{
    public string Type { get; set; } = "bind";
    public string? Name { get; set; }
    public string Source { get; set; } = "";
    public string Destination { get; set; } = "";
    public string? Driver { get; set; }
    public string Mode { get; set; } = "";
    public bool RW { get; set; } = true;
    public string Propagation { get; set; } = "";
    /// <summary>--mount volume-nocopy: do not fill an empty volume with the image's files.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public bool? NoCopy { get; set; }
    /// <summary>tmpfs mount options ("size=64m,mode=1777"), for Type tmpfs.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? TmpfsOptions { get; set; }
}

/// <summary>
/// -v, --mount, --tmpfs and the image's VOLUMEs → the container's mounts, with Docker's rules:
///  • "-v /host/path:/dst[:ro]" binds a host directory (created when missing); "--mount type=bind" requires it to exist;
///  • "-v name:/dst" and "--mount type=volume" use a named volume (created when missing);
///  • "-v /dst" and an image VOLUME get an anonymous volume;
///  • an empty volume is first filled with what the image has at that path, unless nocopy.
/// Everything is checked before anything is created.
/// </summary>
public static class ContainerMounts
{
    private static readonly string[] BindModes = { "ro", "rw", "z", "Z", "nocopy", "private", "rprivate", "shared", "rshared", "slave", "rslave", "consistent", "cached", "delegated" };

    public static List<MountPoint> Parse(JsonObject body, JsonObject hostNode, ImageConfig imageConfig)
    {
        var mounts = new List<MountPoint>();
        foreach (string bind in CreateRequest.StringList(hostNode["Binds"]) ?? new())
            mounts.Add(ParseBind(bind));
        if (hostNode["Mounts"] is JsonArray apiMounts)
            foreach (var m in apiMounts.OfType<JsonObject>()) mounts.Add(ParseMount(m));
        if (hostNode["Tmpfs"] is JsonObject tmpfs)
            foreach (var (dst, opts) in tmpfs)
                mounts.Add(new MountPoint { Type = "tmpfs", Destination = CheckTarget(dst, "tmpfs"), TmpfsOptions = (string?)opts ?? "" });
        // Anonymous volumes: -v /path (Config.Volumes), then the image's VOLUMEs, unless something is mounted there already.
        var anonymous = ((body["Volumes"] as JsonObject)?.Select(kv => kv.Key) ?? Enumerable.Empty<string>())
            .Concat(imageConfig.Config?.Volumes?.Keys ?? Enumerable.Empty<string>());
        foreach (string dst in anonymous)
            if (!mounts.Any(m => m.Destination == Clean(dst)))
                mounts.Add(new MountPoint { Type = "volume", Destination = CheckTarget(dst, "volume"), Driver = "local" });
        var duplicate = mounts.GroupBy(m => m.Destination).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new BadRequestException($"Duplicate mount point: {duplicate.Key}");
        return mounts;
    }

    /// <summary>"-v SRC:DST[:MODE]" or "-v DST".</summary>
    private static MountPoint ParseBind(string spec)
    {
        string[] parts = spec.Split(':');
        if (parts.Length is < 2 or > 3) throw new BadRequestException($"invalid volume specification: '{spec}'");
        string source = parts[0], target = parts[1], mode = parts.Length == 3 ? parts[2] : "";
        foreach (string m in mode.Split(',', StringSplitOptions.RemoveEmptyEntries))
            if (!BindModes.Contains(m)) throw new BadRequestException($"invalid mode: {mode}");
        bool readOnly = mode.Split(',').Contains("ro");
        if (source.Length == 0) throw new BadRequestException($"invalid volume specification: '{spec}'");
        if (source.StartsWith('/'))
            return new MountPoint { Type = "bind", Source = Clean(source), Destination = CheckTarget(target, "bind"), Mode = mode, RW = !readOnly, Propagation = MountPropagation.FromBindMode(mode) };
        // A relative path ("data/x", "./x") was probably meant as a host directory: say so.
        VolumeStore.CheckName(source, hostPathHint: source.StartsWith('.') || source.Contains('/'));
        return new MountPoint
        {
            Type = "volume", Name = source, Destination = CheckTarget(target, "volume"), Driver = "local", Mode = mode.Length > 0 ? mode : "z",
            RW = !readOnly, NoCopy = mode.Split(',').Contains("nocopy") ? true : null,
        };
    }

    /// <summary>One entry of HostConfig.Mounts (--mount).</summary>
    private static MountPoint ParseMount(JsonObject m)
    {
        string type = (string?)m["Type"] ?? "volume";
        string source = (string?)m["Source"] ?? "";
        string target = (string?)m["Target"] ?? throw new BadRequestException("invalid mount config: Target is required");
        bool readOnly = (bool?)m["ReadOnly"] ?? false;
        switch (type)
        {
            case "bind":
                if (!source.StartsWith('/')) throw new BadRequestException($"invalid mount config for type \"bind\": invalid mount path: '{source}' mount path must be absolute");
                if (!Path.Exists(source)) throw new BadRequestException($"invalid mount config for type \"bind\": bind source path does not exist: {source}");
                string propagation = (string?)m["BindOptions"]?["Propagation"] is { Length: > 0 } p ? p : "rprivate";
                if (!MountPropagation.Modes.Contains(propagation)) throw new BadRequestException($"invalid mount config for type \"bind\": invalid propagation mode: {propagation}");
                return new MountPoint { Type = "bind", Source = Clean(source), Destination = CheckTarget(target, type), RW = !readOnly, Propagation = propagation };
            case "volume":
                if (source.Length > 0) VolumeStore.CheckName(source, hostPathHint: false);
                return new MountPoint
                {
                    Type = "volume", Name = source.Length > 0 ? source : null, Destination = CheckTarget(target, type), Driver = "local", RW = !readOnly,
                    NoCopy = (bool?)m["VolumeOptions"]?["NoCopy"] == true ? true : null,
                };
            case "tmpfs":
                if (source.Length > 0) throw new BadRequestException("invalid mount config for type \"tmpfs\": Source must not be specified");
                var opts = new List<string>();
                if ((long?)m["TmpfsOptions"]?["SizeBytes"] is long size and > 0) opts.Add($"size={size}");
                if ((int?)m["TmpfsOptions"]?["Mode"] is int mode and > 0) opts.Add($"mode={Convert.ToString(mode, 8)}");
                return new MountPoint { Type = "tmpfs", Destination = CheckTarget(target, type), RW = !readOnly, TmpfsOptions = string.Join(',', opts) };
            default:
                throw new BadRequestException($"invalid mount config: mount type unknown: \"{type}\"");
        }
    }

    /// <summary>A path as Go's filepath.Clean leaves it, rooted: "//srv/./app/../data/" → "/srv/data". Lexical only, as
    /// Docker's: a symlink on the way is the kernel's to follow when the mount is made.</summary>
    public static string Clean(string path)
    {
        if (path.Length <= 1) return path;
        var parts = new List<string>();
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    private static string CheckTarget(string target, string type)
    {
        if (!target.StartsWith('/')) throw new BadRequestException($"invalid mount config for type \"{type}\": invalid mount path: '{target}' mount path must be absolute");
        string clean = Clean(target);
        if (clean == "/") throw new BadRequestException($"invalid mount config for type \"{type}\": invalid specification: destination can't be '/'");
        return clean;
    }

    /// <summary>
    /// Second step, after every mount was checked: create a missing -v source as a directory (a file or directory
    /// that exists is mounted as it is: <c>-v ./my.cnf:/etc/my.cnf</c> mounts a file on a file), create volumes, point Source at
    /// each volume's data, and fill empty volumes from the image (Docker's copy-up).
    /// </summary>
    public static void Prepare(List<MountPoint> mounts, VolumeStore volumes, IReadOnlyList<string> imageLowerDirs)
    {
        foreach (var m in mounts)
        {
            if (m.Type == "bind") { if (!Path.Exists(m.Source)) Directory.CreateDirectory(m.Source); continue; }
            if (m.Type != "volume") continue;
            bool existed = m.Name != null && volumes.Find(m.Name) != null;
            var volume = volumes.Create(m.Name, anonymous: m.Name == null);
            m.Name = volume.Name;
            m.Source = volume.Mountpoint;
            if (!existed && m.NoCopy != true) CopyUp(imageLowerDirs, m.Destination, volume.Mountpoint);
        }
    }

    /// <summary>Copies what the image has at <paramref name="destination"/> (the topmost layer that has it) into an empty volume,
    /// with owners, modes and links kept (cp -a). The destination is found as the container will see it, the image's
    /// symlinks followed inside the image (LayerLookup): an image whose /data is a link to "/" must not get the host's
    /// /etc copied into a volume at /data/etc.</summary>
    private static void CopyUp(IReadOnlyList<string> lowerDirsTopFirst, string destination, string volumeData)
    {
        string? source = LayerLookup.Find(lowerDirsTopFirst, LayerLookup.Resolve(lowerDirsTopFirst, destination)) is { Status.IsDirectory: true } found
            ? found.HostPath : null;
        if (source == null || Directory.EnumerateFileSystemEntries(volumeData).Any()) return;
        using var cp = System.Diagnostics.Process.Start("cp", new[] { "-a", "--", source + "/.", volumeData })!;
        cp.WaitForExit();
        if (cp.ExitCode != 0) throw new ApiException(500, $"copying the image's {destination} into its volume failed (cp exit {cp.ExitCode})");
    }
}
