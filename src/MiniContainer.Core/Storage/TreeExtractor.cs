using System.Formats.Tar;
using Microsoft.Win32.SafeHandles;
using MiniContainer.Linux;

namespace MiniContainer.Storage;

/// <summary>A tar `cp` refuses to extract: a name leaving the destination, a bad hard link, a directory/file clash.</summary>
public sealed class UnsafeArchiveException(string message) : Exception(message);

/// <summary>How <see cref="TreeExtractor"/> sets owners and treats what is already there.</summary>
/// <param name="Chown">false: leave files owned by whoever extracts (the CLI extracting on the host, as docker's does).</param>
/// <param name="KeepOwners">true (cp -a): the archive's owners; false: <paramref name="Uid"/>:<paramref name="Gid"/> (the container's root).</param>
/// <param name="MapId">Turns an archive owner (uid) into a host one (user namespaces); null = the same number.</param>
/// <param name="MapGid">The same for groups; null = <paramref name="MapId"/> (the same ranges for both).</param>
/// <param name="NoOverwriteDirNonDir">Refuse to replace a directory by a non-directory or the other way round.</param>
/// <param name="Rename">Rewrites each entry name (cp's rebase of the top entry); null = as archived.</param>
public sealed record ExtractOptions(bool Chown = true, bool KeepOwners = false, uint Uid = 0, uint Gid = 0, Func<uint, uint>? MapId = null,
    bool NoOverwriteDirNonDir = false, Func<string, string>? Rename = null, Func<uint, uint>? MapGid = null);

/// <summary>
/// Extracts a tar into a <see cref="RootedDirectory"/> (cp into a container, or onto the host). The rules of
/// LayerUnpacker, made race-safe by file descriptors:
/// <list type="bullet">
/// <item>Names are cleaned as Docker cleans them (TarNames.TryClean); a ".." above the destination is refused.</item>
/// <item>Each entry's parent directory is opened with openat2(RESOLVE_IN_ROOT) on the destination: a symlink on the
///   way — in the archive or already in the container, even one swapped in meanwhile — is followed inside the
///   destination, never out of it. Missing parents are created (0755) one mkdirat at a time.</item>
/// <item>The entry itself is made with one *at call on that parent and never followed: files with O_CREAT|O_EXCL|O_NOFOLLOW,
///   owner and mode set on the open fd, links and nodes with AT_SYMLINK_NOFOLLOW.</item>
/// <item>A hard link must name a file inside the destination (resolved the same way).</item>
/// </list>
/// </summary>
public sealed class TreeExtractor : IDisposable
{
    private readonly RootedDirectory _dest;
    private readonly ExtractOptions _options;
    private readonly List<(string Path, DateTimeOffset Time)> _directoryTimes = new();
    private string? _parentPath;
    private SafeFileHandle? _parent;
    private readonly byte[] _buffer = new byte[1 << 20];

    /// <summary>Bytes of file data written.</summary>
    public long Size { get; private set; }

    public TreeExtractor(RootedDirectory dest, ExtractOptions options)
    {
        _dest = dest;
        _options = options;
    }

    /// <summary>Extracts every entry of <paramref name="tar"/>; returns the bytes of file data written.</summary>
    public static long Extract(Stream tar, RootedDirectory dest, ExtractOptions options)
    {
        using var extractor = new TreeExtractor(dest, options);
        using var reader = new TarReader(tar, leaveOpen: true);
        while (reader.GetNextEntry(copyData: false) is { } entry) extractor.Apply(entry);
        extractor.SetDirectoryTimes();
        return extractor.Size;
    }

    public void Apply(TarEntry entry)
    {
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) return;
        string? relative = CleanName(entry.Name);
        if (relative is null) return;   // the destination itself: it is the container's, not the archive's
        int slash = relative.LastIndexOf('/');
        string name = relative[(slash + 1)..];
        var parent = Parent(slash < 0 ? "" : relative[..slash]);
        var existing = Kernel.StatAt(parent, name);
        bool isDirectory = entry.EntryType == TarEntryType.Directory;
        if (existing is { } e)
        {
            if (_options.NoOverwriteDirNonDir && e.IsDirectory && !isDirectory)
                throw new UnsafeArchiveException($"cannot overwrite directory \"/{relative}\" with non-directory \"{entry.Name}\"");
            if (_options.NoOverwriteDirNonDir && !e.IsDirectory && isDirectory)
                throw new UnsafeArchiveException($"cannot overwrite non-directory \"/{relative}\" with directory \"{entry.Name}\"");
            if (!(e.IsDirectory && isDirectory)) RemoveAll(parent, name, e);
        }
        uint mode = (uint)entry.Mode & 0xFFF;
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (existing is not { IsDirectory: true }) Kernel.MakeDirectoryAt(parent, name, 0b111_000_000);
                using (var dir = Kernel.OpenAt(parent, name, Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW))
                {
                    Chown(dir, "", entry);
                    Kernel.Chmod(dir, mode);
                }
                _directoryTimes.Add((relative, entry.ModificationTime));
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                using (var file = Kernel.OpenAt(parent, name, Kernel.O_WRONLY | Kernel.O_CREAT | Kernel.O_EXCL | Kernel.O_NOFOLLOW, 0b110_000_000))
                {
                    WriteData(entry, file);
                    Chown(file, "", entry);
                    Kernel.Chmod(file, mode);
                    Kernel.SetTimesAt(file, null, entry.ModificationTime);
                }
                break;
            case TarEntryType.SymbolicLink:
                if (string.IsNullOrEmpty(entry.LinkName)) throw new UnsafeArchiveException($"invalid symlink \"{entry.Name}\": it has no target");
                Kernel.SymbolicLinkAt(entry.LinkName, parent, name);
                Chown(parent, name, entry);
                Kernel.SetTimesAt(parent, name, entry.ModificationTime);
                break;
            case TarEntryType.HardLink:
                string? target = CleanName(entry.LinkName) ?? throw new UnsafeArchiveException($"invalid hard link \"{entry.Name}\": it points to the destination itself");
                int targetSlash = target.LastIndexOf('/');
                using (var targetParent = _dest.OpenDirectory(targetSlash < 0 ? "" : target[..targetSlash]))
                {
                    string targetName = target[(targetSlash + 1)..];
                    if (Kernel.StatAt(targetParent, targetName) is not { IsDirectory: false })
                        throw new UnsafeArchiveException($"invalid hard link \"{entry.Name}\": its target \"{entry.LinkName}\" is not a file in the archive");
                    Kernel.HardLinkAt(targetParent, targetName, parent, name);
                }
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                var kind = entry.EntryType switch { TarEntryType.CharacterDevice => FileKind.CharacterDevice, TarEntryType.BlockDevice => FileKind.BlockDevice, _ => FileKind.Fifo };
                var posix = (PosixTarEntry)entry;
                Kernel.MakeNodeAt(parent, name, kind, 0b110_000_000, kind == FileKind.Fifo ? 0 : (uint)posix.DeviceMajor, kind == FileKind.Fifo ? 0 : (uint)posix.DeviceMinor);
                Chown(parent, name, entry);
                Kernel.ChmodAt(parent, name, mode);
                Kernel.SetTimesAt(parent, name, entry.ModificationTime);
                break;
            default:
                break;   // PAX/GNU bookkeeping entries the reader did not fold, sparse files: nothing a cp needs
        }
    }

    /// <summary>The entry's name after the rebase, cleaned; null for the destination itself.</summary>
    private string? CleanName(string archived)
    {
        string renamed = _options.Rename?.Invoke(archived) ?? archived;
        if (!TarNames.TryClean(renamed, out string? clean))
            throw new UnsafeArchiveException($"refusing to extract \"{archived}\": the path leads outside the destination");
        return clean;
    }

    /// <summary>The directory <paramref name="relative"/> inside the destination, created (0755) where missing.</summary>
    private SafeFileHandle Parent(string relative)
    {
        if (_parent != null && _parentPath == relative) return _parent;
        _parent?.Dispose();
        _parent = null;
        SafeFileHandle current;
        try { current = _dest.OpenDirectory(relative); }
        catch (KernelException e) when (e.Errno == 2 /* ENOENT */) { current = CreateDirectories(relative); }
        _parentPath = relative;
        return _parent = current;
    }

    /// <summary>Walks <paramref name="relative"/> one element at a time, making each missing directory in the one before it.</summary>
    private SafeFileHandle CreateDirectories(string relative)
    {
        SafeFileHandle current = _dest.OpenDirectory("");
        string walked = "";
        foreach (string part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            walked = walked.Length == 0 ? part : walked + "/" + part;
            SafeFileHandle next;
            try { next = _dest.OpenDirectory(walked); }
            catch (KernelException e) when (e.Errno == 2 /* ENOENT */)
            {
                Kernel.MakeDirectoryAt(current, part, 0b111_101_101);
                using (var made = Kernel.OpenAt(current, part, Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW))
                {
                    Kernel.Chmod(made, 0b111_101_101);   // exactly 0755, whatever the umask
                    if (_options.Chown) Kernel.ChownAt(made, "", MapOwner(_options.Uid), MapGroup(_options.Gid));
                }
                next = _dest.OpenDirectory(walked);
            }
            current.Dispose();
            current = next;
        }
        return current;
    }

    private uint MapOwner(uint id) => _options.MapId?.Invoke(id) ?? id;
    private uint MapGroup(uint id) => (_options.MapGid ?? _options.MapId)?.Invoke(id) ?? id;

    private void Chown(SafeFileHandle dir, string name, TarEntry entry)
    {
        if (!_options.Chown) return;
        uint uid = _options.KeepOwners ? (uint)entry.Uid : _options.Uid, gid = _options.KeepOwners ? (uint)entry.Gid : _options.Gid;
        Kernel.ChownAt(dir, name, MapOwner(uid), MapGroup(gid));
    }

    private void WriteData(TarEntry entry, SafeFileHandle file)
    {
        long written = 0;
        if (entry.DataStream is { } data)
        {
            int n;
            while ((n = data.Read(_buffer)) > 0)
            {
                RandomAccess.Write(file, _buffer.AsSpan(0, n), written);   // pwrite(2): the handle stays ours
                written += n;
            }
        }
        if (written != entry.Length)
            throw new UnsafeArchiveException($"the archive is truncated: \"{entry.Name}\" should hold {entry.Length} bytes, it ended after {written}");
        Size += written;
    }

    /// <summary>Removes name from dir, and everything under it when it is a directory, never following a symlink.</summary>
    private static void RemoveAll(SafeFileHandle dir, string name, FileStatus status)
    {
        if (status.IsDirectory)
        {
            using var child = Kernel.OpenAt(dir, name, Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW);
            foreach (string entry in Directory.EnumerateFileSystemEntries(TreeArchive.ProcFd(child)).Select(Path.GetFileName).OfType<string>().ToList())
                if (Kernel.StatAt(child, entry) is { } s) RemoveAll(child, entry, s);
        }
        Kernel.UnlinkAt(dir, name, status.IsDirectory);
    }

    /// <summary>Directory mtimes last: creating their entries changed them.</summary>
    public void SetDirectoryTimes()
    {
        foreach (var (path, time) in Enumerable.Reverse(_directoryTimes))
        {
            try
            {
                using var dir = _dest.Open(path, Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW);
                Kernel.SetTimesAt(dir, null, time);
            }
            catch (KernelException) { }   // gone or replaced since: its time no longer matters
        }
    }

    public void Dispose() => _parent?.Dispose();
}
