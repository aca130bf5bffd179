using MiniContainer.Api;
using MiniContainer.Cgroups;

namespace MiniContainer.Containers;

/// <summary>
/// A bind mount's propagation (-v SRC:DST:rshared, --mount …,bind-propagation=rslave): whether mounts made later under
/// the source on the host appear in the container (slave), and the other way round too (shared). The default,
/// rprivate, shares nothing. The container's copy can only be a peer or slave of the host's mount if that mount is
/// itself shared (or, for slave, a slave), so dockerd checks the source's mount at start and refuses otherwise; so
/// do we, in dockerd's words. The shim then clones the source's mount tree in the host's namespace (open_tree keeps
/// the clone in the source's peer group) and the init stage attaches it and sets the asked propagation.
/// </summary>
public static class MountPropagation
{
    public static readonly string[] Modes = ["private", "rprivate", "shared", "rshared", "slave", "rslave"];

    public static bool IsPrivate(string propagation) => propagation is "" or "private" or "rprivate";

    /// <summary>The propagation among a -v mode's comma-separated options ("ro,rshared"), else rprivate.</summary>
    public static string FromBindMode(string mode) =>
        mode.Split(',').LastOrDefault(Modes.Contains) ?? "rprivate";

    /// <summary>At start: the source's mount can carry the propagation asked for. Returns it.</summary>
    public static string CheckSource(string source, string propagation, string? mountInfoText = null)
    {
        var mounts = MountInfo.Parse(mountInfoText ?? File.ReadAllText("/proc/self/mountinfo"));
        var mount = mounts.Where(m => IsUnder(source, m.MountPoint)).MaxBy(m => m.MountPoint.Length)
                    ?? throw new ApiException(500, $"cannot find the mount of {source}");
        bool shared = mount.Tags.Any(t => t.StartsWith("shared:", StringComparison.Ordinal));
        bool slave = mount.Tags.Any(t => t.StartsWith("master:", StringComparison.Ordinal));
        if (propagation is "shared" or "rshared" && !shared)
            throw new ApiException(500, $"path {source} is mounted on {mount.MountPoint} but it is not a shared mount");
        if (propagation is "slave" or "rslave" && !shared && !slave)
            throw new ApiException(500, $"path {source} is mounted on {mount.MountPoint} but it is not a shared or slave mount");
        return propagation;
    }

    private static bool IsUnder(string path, string mountPoint) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);
}
