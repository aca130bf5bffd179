using System.Formats.Tar;
using Microsoft.Win32.SafeHandles;
using MiniContainer.Linux;

namespace MiniContainer.Storage;

/// <summary>
/// Writes a file or a directory tree as tar entries (what `cp` sends in either direction), walking by file
/// descriptors: each child is opened with openat(dir, name, O_PATH|O_NOFOLLOW) in a directory already held
/// open, so a symlink swapped in during the walk is archived as a symlink and never followed. Owners, modes,
/// mtimes, symlinks, hard links (by device and inode), devices and fifos are kept; sockets are skipped, as
/// Docker skips them. Names use GNU long-name entries when they do not fit the header.
/// </summary>
public sealed class TreeArchive
{
    private readonly TarWriter _tar;
    private readonly Func<uint, uint> _mapId, _mapGid;
    private readonly Dictionary<(ulong Device, ulong Inode), string> _linked = new();

    private TreeArchive(Stream output, Func<uint, uint>? mapId, Func<uint, uint>? mapGid)
    {
        _tar = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        _mapId = mapId ?? (id => id);
        _mapGid = mapGid ?? _mapId;
    }

    /// <summary>Archives <paramref name="item"/> (an O_PATH|O_NOFOLLOW handle) under the name <paramref name="entryName"/>,
    /// and for a directory everything below it. <paramref name="mapId"/> turns host owners into the archive's (user namespaces),
    /// <paramref name="mapGid"/> host groups (null: the same as owners).</summary>
    public static async Task WriteAsync(SafeFileHandle item, string entryName, Stream output, Func<uint, uint>? mapId = null, Func<uint, uint>? mapGid = null)
    {
        var archive = new TreeArchive(output, mapId, mapGid);
        var status = Kernel.StatAt(item, "") ?? throw new FileNotFoundException(entryName);
        await archive.WriteItemAsync(item, status, entryName);
        await archive._tar.DisposeAsync();
    }

    private async Task WriteItemAsync(SafeFileHandle item, FileStatus status, string name)
    {
        switch (status.Kind)
        {
            case FileKind.Directory:
                await _tar.WriteEntryAsync(Header(TarEntryType.Directory, name.EndsWith('/') ? name : name + "/", status));
                string prefix = name.TrimEnd('/');
                foreach (string child in ChildNames(item))
                {
                    using var handle = Kernel.OpenAt(item, child, Kernel.O_PATH | Kernel.O_NOFOLLOW);
                    if (Kernel.StatAt(handle, "") is { } childStatus)
                        await WriteItemAsync(handle, childStatus, prefix + "/" + child);
                }
                break;
            case FileKind.RegularFile:
                if (status.LinkCount > 1)
                {
                    if (_linked.TryGetValue((status.Device, status.Inode), out string? first))
                    {
                        var link = Header(TarEntryType.HardLink, name, status);
                        link.LinkName = first;
                        await _tar.WriteEntryAsync(link);
                        break;
                    }
                    _linked[(status.Device, status.Inode)] = name;
                }
                var file = Header(TarEntryType.RegularFile, name, status);
                // Reopening the O_PATH handle through /proc/self/fd reads exactly the inode we hold, whatever the name means now.
                // Unbuffered (bufferSize 0): TarWriter copies in large blocks itself, and a buffer per file would be allocated 16 000 times for 16 000 files.
                await using (var data = new FileStream(ProcFd(item), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.None))
                {
                    file.DataStream = data;
                    await _tar.WriteEntryAsync(file);
                }
                break;
            case FileKind.SymbolicLink:
                var symlink = Header(TarEntryType.SymbolicLink, name, status);
                symlink.LinkName = Kernel.ReadLinkAt(item, "");
                await _tar.WriteEntryAsync(symlink);
                break;
            case FileKind.CharacterDevice or FileKind.BlockDevice:
                var device = Header(status.Kind == FileKind.CharacterDevice ? TarEntryType.CharacterDevice : TarEntryType.BlockDevice, name, status);
                device.DeviceMajor = (int)status.DeviceMajor;
                device.DeviceMinor = (int)status.DeviceMinor;
                await _tar.WriteEntryAsync(device);
                break;
            case FileKind.Fifo:
                await _tar.WriteEntryAsync(Header(TarEntryType.Fifo, name, status));
                break;
        }
    }

    private GnuTarEntry Header(TarEntryType type, string name, FileStatus status) => new(type, name)
    {
        Mode = (UnixFileMode)(status.Permissions & 0xFFF),
        Uid = (int)_mapId(status.Uid),
        Gid = (int)_mapGid(status.Gid),
        ModificationTime = status.ModificationTime,
    };

    /// <summary>The names in the directory we hold, in byte order (as Docker's walk lists them).</summary>
    private static IEnumerable<string> ChildNames(SafeFileHandle directory) =>
        Directory.EnumerateFileSystemEntries(ProcFd(directory)).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>The /proc/self/fd path of an open handle: opening it reaches that very file, not a name.</summary>
    internal static string ProcFd(SafeFileHandle handle) => "/proc/self/fd/" + handle.DangerousGetHandle();
}
