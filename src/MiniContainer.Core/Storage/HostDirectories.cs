using MiniContainer.Linux;

namespace MiniContainer.Storage;

/// <summary>
/// Who may enter the daemon's directories on the host. Everything under the data root belongs to root and no
/// other host user may even look inside: a container's writable layer can hold a setuid-root program the
/// container planted, and its config holds the environment it was given (passwords included).
///
///   data root                    0710 root:G   G = the remapped root's group under --userns-remap, else root
///   containers/ layers/ volumes/ 0710 root:G   (0700 without --userns-remap): the init stage of a remapped
///                                              container, which is "root" only inside its user namespace, must
///                                              pass through them to mount its layers, /etc/hosts and volumes
///   containers/&lt;id&gt;/            as containers/
///   blobs/ images/ networks/ builder/ tmp/     0700
///   exec root                    0700, or 0710 root:S when the API socket inside it is shared with group S
///   state files                  0600 (AtomicFile), except the files bind-mounted into containers (0644)
///
/// Docker's floor is the same (0710 data root and containers/, 0700 image store and exec root). An install an
/// older version made with looser modes is tightened by <see cref="Secure"/> when the daemon starts.
/// </summary>
public static class HostDirectories
{
    public const uint PrivateDir = 0b111_000_000;         // 0700
    public const uint TraverseDir = 0b111_001_000;        // 0710
    public const uint PrivateFile = 0b110_000_000;        // 0600
    public const uint GroupReadableFile = 0b110_100_000;  // 0640
    public const uint SharedFile = 0b110_100_100;         // 0644

    /// <summary>Creates (if needed) the daemon's directories and sets their owners and modes; tightens every state
    /// file an older version left readable. <paramref name="containerRootGid"/> is the host gid of a remapped
    /// container's root (null without --userns-remap); <paramref name="socketGid"/> the group the API socket is
    /// shared with (null: root only).</summary>
    public static void Secure(HostPaths paths, uint? containerRootGid, uint? socketGid, string socketPath)
    {
        uint traverse = containerRootGid is null ? PrivateDir : TraverseDir;
        uint gid = containerRootGid ?? 0;
        Set(paths.DataRoot, TraverseDir, gid);
        foreach (string dir in new[] { paths.Containers, paths.Layers, paths.Volumes })
            Set(dir, traverse, gid);
        foreach (string dir in new[] { Path.GetDirectoryName(paths.Blobs)!, paths.Images, paths.Networks, Path.Combine(paths.DataRoot, "builder"), paths.Tmp })
            Set(dir, PrivateDir, 0);
        Directory.CreateDirectory(paths.Blobs);

        // The exec root holds the shims' control sockets (root only) and, by default, the API socket.
        bool socketInside = Path.GetDirectoryName(Path.GetFullPath(socketPath)) == Path.GetFullPath(paths.ExecRoot);
        if (socketGid is { } sg && socketInside) Set(paths.ExecRoot, TraverseDir, sg);
        else Set(paths.ExecRoot, PrivateDir, 0);

        foreach (string container in Directory.EnumerateDirectories(paths.Containers))
        {
            Set(container, traverse, gid);
            foreach (string file in Directory.EnumerateFiles(container))
                Chmod(file, IsBindMounted(file) ? SharedFile : PrivateFile);
            foreach (string file in EnumerateFilesIn(Path.Combine(container, "exec"), SearchOption.AllDirectories))
                Chmod(file, PrivateFile);
        }
        foreach (string volume in Directory.EnumerateDirectories(paths.Volumes))
        {
            Set(volume, traverse, gid);
            foreach (string file in Directory.EnumerateFiles(volume)) Chmod(file, PrivateFile);
        }
        foreach (string layer in Directory.EnumerateDirectories(paths.Layers))
            foreach (string file in Directory.EnumerateFiles(layer)) Chmod(file, PrivateFile);
        foreach (string dir in new[] { paths.DataRoot, paths.Images, paths.Networks, Path.Combine(paths.DataRoot, "builder"), paths.Blobs })
            foreach (string file in Directory.EnumerateFiles(dir)) Chmod(file, PrivateFile);
    }

    /// <summary>A new directory inside one of ours (a container's, a volume's), exactly as private as its parent:
    /// same mode, same group.</summary>
    public static void CreateLikeParent(string path)
    {
        string parent = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var st = Kernel.LStat(parent) ?? throw new DirectoryNotFoundException(parent);
        if (Kernel.LStat(path) is null) Kernel.MakeDirectory(path, PrivateDir);
        Kernel.LChown(path, 0, st.Gid);
        Kernel.Chmod(path, st.Permissions & 0b111_111_111);
    }

    /// <summary>A container's hostname, hosts and resolv.conf are bind-mounted into it: any user inside must read them.</summary>
    public static bool IsBindMounted(string file) => Path.GetFileName(file) is "hostname" or "hosts" or "resolv.conf";

    private static void Set(string dir, uint mode, uint gid)
    {
        Directory.CreateDirectory(dir);
        // A data root may be a symlink to a bigger disk: the directory it names is what must be private.
        if (Kernel.LStat(dir) is { IsSymbolicLink: true }) dir = new DirectoryInfo(dir).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        Kernel.LChown(dir, 0, gid);
        Kernel.Chmod(dir, mode);
    }

    private static void Chmod(string file, uint mode)
    {
        if (Kernel.LStat(file) is { Kind: FileKind.RegularFile } st && st.Permissions != mode) Kernel.Chmod(file, mode);
    }

    private static IEnumerable<string> EnumerateFilesIn(string dir, SearchOption option) =>
        Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*", option) : [];
}
