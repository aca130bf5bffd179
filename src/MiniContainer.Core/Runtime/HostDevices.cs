using MiniContainer.Cgroups;
using MiniContainer.Linux;

namespace MiniContainer.Runtime;

/// <summary>A device node to create in the container: what the host's node at <see cref="HostPath"/> is, and where it goes.</summary>
public sealed class DeviceNodeSpec
{
    /// <summary>Where the node appears in the container (absolute, e.g. "/dev/myzero").</summary>
    public string Path { get; set; } = "";
    /// <summary>The host's node (symlinks resolved): bind-mounted instead of mknod'd in a user namespace, where mknod is not allowed.</summary>
    public string HostPath { get; set; } = "";
    /// <summary>'c' or 'b'.</summary>
    public char Type { get; set; }
    public uint Major { get; set; }
    public uint Minor { get; set; }
    /// <summary>Permission bits of the host node (0666 for /dev/zero).</summary>
    public uint FileMode { get; set; }
    public uint Uid { get; set; }
    public uint Gid { get; set; }

    /// <summary>The cgroup rule that lets the container use this node with <paramref name="permissions"/> ("rwm").</summary>
    public DeviceRule Rule(string permissions) =>
        new(true, Type == 'b' ? DeviceType.Block : DeviceType.Char, Major, Minor, DeviceRule.ParseAccess(permissions));
}

/// <summary>
/// The host's device nodes, read the way Docker reads them (moby oci.DevicesFromPath and runc's
/// devices.HostDevices): lstat, so a symlink is never a device; a directory stands for every device below it.
/// </summary>
public static class HostDevices
{
    /// <summary>
    /// --device HOST[:CONTAINER]: the node at <paramref name="pathOnHost"/> (a symlink to one is followed), or every
    /// device node under it when it is a directory, placed under <paramref name="pathInContainer"/>. Throws
    /// IOException with Docker's message when there is none.
    /// </summary>
    public static List<DeviceNodeSpec> FromPath(string pathOnHost, string pathInContainer)
    {
        string resolved = pathOnHost;
        if (Kernel.LStat(pathOnHost) is { IsSymbolicLink: true } && new FileInfo(pathOnHost).ResolveLinkTarget(returnFinalTarget: true) is { } final)
            resolved = final.FullName;
        FileStatus? st = Kernel.LStat(resolved);
        string reason;
        if (st is null) reason = "no such file or directory";
        else if (Node(resolved, st.Value) is { } node) { node.Path = pathInContainer; return [node]; }
        else
        {
            reason = "not a device node";
            if (st.Value.IsDirectory)
            {
                var found = new List<DeviceNodeSpec>();
                Walk(resolved, path => true, found);
                foreach (DeviceNodeSpec d in found) d.Path = pathInContainer + d.HostPath[resolved.Length..];
                if (found.Count > 0) return found;
            }
        }
        throw new IOException($"error gathering device information while adding custom device \"{pathOnHost}\": {reason}");
    }

    /// <summary>Directories of /dev that hold no device a privileged container should get (runc's list).</summary>
    private static readonly HashSet<string> SkippedDirectories = ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];

    /// <summary>Every character and block device under <paramref name="dev"/>, except /dev/console and the directories runc skips: what a privileged container gets.</summary>
    public static List<DeviceNodeSpec> All(string dev = "/dev")
    {
        var found = new List<DeviceNodeSpec>();
        Walk(dev, path => !SkippedDirectories.Contains(Path.GetFileName(path)), found);
        found.RemoveAll(d => d.HostPath == Path.Combine(dev, "console"));
        foreach (DeviceNodeSpec d in found) d.Path = "/dev" + d.HostPath[dev.TrimEnd('/').Length..];
        return found;
    }

    private static void Walk(string dir, Func<string, bool> enterDirectory, List<DeviceNodeSpec> into)
    {
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (string path in entries)
        {
            if (Kernel.LStat(path) is not { } st) continue;   // gone meanwhile
            if (st.IsDirectory) { if (enterDirectory(path)) Walk(path, enterDirectory, into); continue; }
            if (Node(path, st) is { } node) into.Add(node);
        }
    }

    private static DeviceNodeSpec? Node(string path, FileStatus st) => st.Kind switch
    {
        FileKind.CharacterDevice or FileKind.BlockDevice => new DeviceNodeSpec
        {
            Path = path, HostPath = path, Type = st.Kind == FileKind.BlockDevice ? 'b' : 'c',
            Major = st.DeviceMajor, Minor = st.DeviceMinor, FileMode = st.Permissions, Uid = st.Uid, Gid = st.Gid,
        },
        _ => null,
    };
}
