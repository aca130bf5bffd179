using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using MiniContainer.Api;
using MiniContainer.Images;
using MiniContainer.Linux;
using MiniContainer.Runtime;
using MiniContainer.Storage;

namespace MiniContainer.Containers;

/// <summary>What HEAD/GET /containers/{id}/archive says about a path (Docker's PathStat; Mode in Go's os.FileMode bits).</summary>
public sealed record PathStat(string Name, long Size, uint Mode, DateTimeOffset Mtime, string LinkTarget)
{
    /// <summary>The X-Docker-Container-Path-Stat header: base64 of {"name","size","mode","mtime","linkTarget"}.</summary>
    public string ToHeader() => Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject
    {
        ["name"] = Name, ["size"] = Size, ["mode"] = Mode, ["mtime"] = ContainerState.Format(Mtime), ["linkTarget"] = LinkTarget,
    }.ToJsonString()));

    /// <summary>Go's os.FileMode: permission bits plus one high bit per kind of file.</summary>
    public static uint GoFileMode(FileStatus s)
    {
        uint mode = s.Permissions & 0x1FF;
        if ((s.Permissions & 0x800) != 0) mode |= 1u << 23;   // setuid
        if ((s.Permissions & 0x400) != 0) mode |= 1u << 22;   // setgid
        if ((s.Permissions & 0x200) != 0) mode |= 1u << 20;   // sticky
        return mode | s.Kind switch
        {
            FileKind.Directory => 1u << 31,
            FileKind.SymbolicLink => 1u << 27,
            FileKind.BlockDevice => 1u << 26,
            FileKind.CharacterDevice => (1u << 26) | (1u << 21),
            FileKind.Fifo => 1u << 25,
            FileKind.Socket => 1u << 24,
            _ => 0u,
        };
    }
}

/// <summary>
/// docker cp's daemon side: stat a path in a container, archive it, or extract a tar into a directory of it.
/// The container's files are reached through one directory handle used as "/" (see <see cref="RootedDirectory"/>):
/// for a running container its /proc/PID/root — its own mount namespace, volumes included — and for a stopped
/// one its overlay with its volumes and bind mounts, mounted under the daemon's scratch dir for the length of
/// the copy (holding the container's lock, so it cannot start meanwhile) and always unmounted after.
/// </summary>
public sealed class ContainerArchive(ContainerService containers)
{
    /// <summary>Runs <paramref name="work"/> with the container's root.</summary>
    public async Task<T> WithRootAsync<T>(Container c, Func<RootedDirectory, Task<T>> work)
    {
        if (c.Record.State.Running && OpenRunningRoot(c) is { } running)
            using (running) return await work(running);
        await c.Gate.WaitAsync();
        try
        {
            if (c.Record.State.Running && OpenRunningRoot(c) is { } started)
                using (started) return await work(started);
            return await WithStoppedRootAsync(c, work);
        }
        finally { c.Gate.Release(); }
    }

    /// <summary>/proc/PID/root of the container's first process, if that PID is still the container's (its cgroup says so).</summary>
    private static RootedDirectory? OpenRunningRoot(Container c)
    {
        int pid = c.Record.State.Pid;
        RootedDirectory root;
        try { root = RootedDirectory.Open($"/proc/{pid}/root"); }
        catch (KernelException) { return null; }
        try
        {
            if (File.ReadAllText($"/proc/{pid}/cgroup").Contains(c.Record.Id, StringComparison.Ordinal)) return root;
        }
        catch (IOException) { }
        root.Dispose();
        return null;
    }

    private async Task<T> WithStoppedRootAsync<T>(Container c, Func<RootedDirectory, Task<T>> work)
    {
        var data = c.Record.GraphDriver.Data;
        string view = Path.Combine(containers.ScratchDir, "cp-" + c.Record.ShortId + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(view);
        var mounted = new List<string>();
        try
        {
            bool userns = containers.UsernsRemap != null && c.Record.HostConfig.UsernsMode != "host";
            Kernel.Mount("overlay", view, "overlay", MountFlags.None,
                $"lowerdir={data["LowerDir"]},upperdir={data["UpperDir"]},workdir={data["WorkDir"]}" + (userns ? ",userxattr" : ""));
            mounted.Add(view);
            // Volumes and bind mounts where the container would see them, parents first, as at start.
            foreach (var m in c.Record.Mounts.Where(m => m.Type is "bind" or "volume").OrderBy(m => m.Destination.Count(ch => ch == '/')))
            {
                string target = SecureJoin.Resolve(view, m.Destination);
                if (!Path.Exists(target))
                {
                    if (File.Exists(m.Source)) { Directory.CreateDirectory(Path.GetDirectoryName(target)!); File.WriteAllBytes(target, []); }
                    else Directory.CreateDirectory(target);
                }
                Kernel.BindMount(m.Source, target, recursive: true);
                mounted.Add(target);
                if (!m.RW) Kernel.RemountReadOnly(target);
            }
            using var root = RootedDirectory.Open(view);
            return await work(root);
        }
        finally
        {
            foreach (string target in Enumerable.Reverse(mounted))
                try { Kernel.Unmount(target); } catch (KernelException e) { Log.Warn($"cp: unmounting {target}: {e.Message}"); }
            try { Directory.Delete(view); } catch (IOException e) { Log.Warn($"cp: removing {view}: {e.Message}"); }
        }
    }

    // ------------------------------------------------------------ stat and archive (HEAD, GET)

    /// <summary>Docker's ResolvePath: the parent resolved inside the root, the last element not followed —
    /// unless the path ends in "/" or "/." (then the directory it names, symlinks followed).</summary>
    private static (string Parent, string Name, bool Follow) Split(string path)
    {
        string abs = CopyPaths.PreserveTrailingDotOrSeparator(CopyPaths.Clean("/" + path), path);
        if (abs == "/" || abs.EndsWith("/.") || abs.EndsWith('/')) return (CopyPaths.Clean(abs), "", true);
        return (CopyPaths.Dir(abs), CopyPaths.Base(abs), false);
    }

    /// <summary>An O_PATH handle of the path and its lstat; NotFound with Docker's message when it is not there.</summary>
    private static (SafeFileHandle Item, FileStatus Status) OpenItem(RootedDirectory root, string path, Container c, string asked)
    {
        var (parent, name, follow) = Split(path);
        try
        {
            var item = follow
                ? root.Open(parent, Kernel.O_PATH | Kernel.O_DIRECTORY)
                : root.Open(parent == "/" ? name : parent + "/" + name, Kernel.O_PATH | Kernel.O_NOFOLLOW);
            return (item, Kernel.StatAt(item, "")!.Value);
        }
        catch (KernelException e) when (e.Errno is 2 /* ENOENT */ or 20 /* ENOTDIR */)
        {
            throw new NotFoundException($"Could not find the file {path} in container {asked}");
        }
    }

    public Task<PathStat> StatAsync(Container c, string path, string asked) => WithRootAsync(c, root =>
    {
        var (item, status) = OpenItem(root, path, c, asked);
        using (item) return Task.FromResult(Stat(root, path, status));
    });

    private static PathStat Stat(RootedDirectory root, string path, FileStatus status)
    {
        string abs = CopyPaths.PreserveTrailingDotOrSeparator(CopyPaths.Clean("/" + path), path);
        string linkTarget = status.IsSymbolicLink ? root.Resolve(abs) : "";
        return new PathStat(CopyPaths.Base(abs), status.Size, PathStat.GoFileMode(status), status.ModificationTime, linkTarget);
    }

    /// <summary>GET: the stat header first (through <paramref name="start"/>), then the tar of the path.</summary>
    public Task<bool> ArchiveAsync(Container c, string path, string asked, Func<PathStat, Task<Stream>> start) => WithRootAsync(c, async root =>
    {
        var (item, status) = OpenItem(root, path, c, asked);
        using (item)
        {
            var stat = Stat(root, path, status);
            var output = await start(stat);
            // Entries are named after the path asked for ("dir/x"), or "./x" for "dir/.".
            await TreeArchive.WriteAsync(item, stat.Name == "/" ? "." : stat.Name, output, Remap(c) is { } m ? m.ToContainerUid : null, Remap(c) is { } g ? g.ToContainerGid : null);
            return true;
        }
    });

    // ------------------------------------------------------------ extract (PUT)

    public Task<long> ExtractAsync(Container c, string path, string asked, bool copyUidGid, bool noOverwriteDirNonDir, Stream body) => WithRootAsync(c, async root =>
    {
        string abs = "/" + path.TrimStart('/');
        SafeFileHandle dir;
        try { dir = root.Open(abs, Kernel.O_PATH); }   // the last element followed too: extracting "into" a link to a directory
        catch (KernelException e) when (e.Errno is 2 or 20) { throw new NotFoundException($"Could not find the file {path} in container {asked}"); }
        using (var destination = new RootedDirectory(dir))
        {
            if (Kernel.StatAt(dir, "") is not { IsDirectory: true }) throw new BadRequestException("extraction point is not a directory");
            CheckWritable(c, root.Resolve(abs));
            var options = OwnerOptions(c, root, copyUidGid) with { MapId = Remap(c) is { } m ? m.ToHostUid : null, MapGid = Remap(c) is { } g ? g.ToHostGid : null, NoOverwriteDirNonDir = noOverwriteDirNonDir };
            // The extraction is synchronous file work: off the request's thread, reading the body as it arrives.
            try { return await Task.Run(() => TreeExtractor.Extract(Compression.Decompress(body, out _), destination, options)); }
            catch (UnsafeArchiveException e) { throw new BadRequestException(e.Message); }
            catch (KernelException e) when (e.Errno == 30 /* EROFS */) { throw new BadRequestException("mounted volume is marked read-only"); }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new BadRequestException("the archive is truncated or not a valid tar archive: " + e.Message);
            }
        }
    });

    /// <summary>
    /// Owners as dockerd sets them: the archive's own (numeric) uid/gid — what the client's files had — and with
    /// copyUIDGID (cp -a) the container's configured user, looked up in the container's /etc/passwd and /etc/group
    /// (dockerd looks in the host's), when it has one.
    /// </summary>
    private static ExtractOptions OwnerOptions(Container c, RootedDirectory root, bool copyUidGid)
    {
        string user = c.Record.Config.User ?? "";
        if (!copyUidGid || user.Length == 0) return new ExtractOptions(KeepOwners: true);
        try
        {
            var resolved = UserLookup.Resolve(user, ReadText(root, "/etc/passwd"), ReadText(root, "/etc/group"));
            return new ExtractOptions(KeepOwners: false, Uid: resolved.Uid, Gid: resolved.Gid);
        }
        catch (Exception e) when (e is not ApiException) { throw new BadRequestException($"cp -a: cannot resolve the container's user \"{user}\": {e.Message}"); }
    }

    private static string? ReadText(RootedDirectory root, string path)
    {
        try
        {
            using var file = root.Open(path, Kernel.O_RDONLY | Kernel.O_NONBLOCK);
            if (Kernel.StatAt(file, "") is not { Kind: FileKind.RegularFile, Size: < 1 << 20 }) return null;
            using var stream = new FileStream(file, FileAccess.Read, 0);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (KernelException) { return null; }
    }

    /// <summary>Docker's checks before writing: a read-only volume or bind mount, or a read-only rootfs outside any mount.</summary>
    private static void CheckWritable(Container c, string resolved)
    {
        var mount = c.Record.Mounts
            .Where(m => resolved == m.Destination || resolved.StartsWith(m.Destination.TrimEnd('/') + "/", StringComparison.Ordinal))
            .MaxBy(m => m.Destination.Length);
        if (mount is { RW: false }) throw new BadRequestException("mounted volume is marked read-only");
        if (mount is null && c.Record.HostConfig.ReadonlyRootfs) throw new BadRequestException("container rootfs is marked read-only");
    }

    /// <summary>Container ids ↔ host ids under --userns-remap (the container's root is some unprivileged host id); null: the same.</summary>
    private UsernsRemap? Remap(Container c) => c.Record.HostConfig.UsernsMode != "host" ? containers.UsernsRemap : null;
}
