using System.Formats.Tar;
using MiniContainer.Linux;

namespace MiniContainer.Images;


/// <summary>What unpacking a layer found: the digest of its uncompressed tar (the diff ID), its size, its compression.</summary>
public sealed record UnpackedLayer(string DiffId, long Size, LayerCompression Compression);

/// <summary>
/// Unpacks one image layer (a tar, maybe gzip/zstd/xz/bzip2-compressed) into a directory that overlayfs
/// will use as a lowerdir. Security-critical: a layer comes from whoever built the image, so it must never
/// make us write outside <c>layerRoot</c>. The rules:
/// <list type="bullet">
/// <item>Entry names are cleaned lexically, as Docker does: a leading "/" or "./" is dropped (absolute
///   names are taken relative to the layer root) and "a/../b" becomes "b"; a ".." that would climb above
///   the root (even in "/../x") is refused.</item>
/// <item>Every parent directory of an entry is walked one component at a time with lstat: a missing one
///   is created (0755), a real directory is entered, and a symlink is refused. So "evil -> /etc" followed
///   by "evil/passwd" fails instead of writing the host's /etc/passwd. (Docker follows such links inside a
///   chroot; no legitimate layer needs it: a layer's own tar never goes through its own symlinks.)</item>
/// <item>The last component is never followed either: whatever is there is removed first, files are
///   created with O_EXCL, and only lchown / utimensat(AT_SYMLINK_NOFOLLOW) touch links.</item>
/// <item>Hard links must name a file already extracted into this layer (same cleaning and walk).</item>
/// <item>Symlink targets are stored as written: we never follow them, and inside the container the
///   kernel resolves them against the container's root.</item>
/// </list>
/// OCI whiteouts become overlayfs ones: ".wh.NAME" → a character device 0/0 named NAME, and
/// ".wh..wh..opq" → the xattr trusted.overlay.opaque="y" on its directory (and user.overlay.opaque="y",
/// which is what overlayfs reads when a user-namespaced container mounts it with "userxattr"). Ownership (lchown), modes with
/// setuid/setgid/sticky bits, mtimes, device nodes and fifos are applied as recorded. Extended attributes
/// from PAX headers (e.g. file capabilities) are not applied: .NET's tar reader decodes them as text,
/// which would corrupt binary values.
/// This walk is safe because nothing else writes into the layer directory while we unpack (it is a
/// private temp dir under layers/); it would not be safe against a concurrent attacker in the same tree.
/// A malformed or truncated archive throws <see cref="InvalidArchiveException"/>; the caller deletes the
/// half-written directory.
/// </summary>
public static class LayerUnpacker
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const string OverlayOpaqueXattr = "trusted.overlay.opaque";
    private const string UserNamespaceOpaqueXattr = "user.overlay.opaque";

    /// <summary>Whether <paramref name="dir"/> is an opaque directory (its xattr, as this class sets it and overlayfs
    /// sets it in an upper dir): it hides the lower layers' entries inside it.</summary>
    public static bool IsOpaque(string dir) =>
        Kernel.LGetXattr(dir, OverlayOpaqueXattr) is { Length: > 0 } v && v[0] == (byte)'y' ||
        Kernel.LGetXattr(dir, UserNamespaceOpaqueXattr) is { Length: > 0 } u && u[0] == (byte)'y';

    /// <summary>Unpacks <paramref name="layerBlob"/> into the existing, empty directory <paramref name="layerRoot"/>.
    /// When <paramref name="expectedDiffId"/> is given, the uncompressed tar must hash to it.
    /// <paramref name="applyOwnership"/> = false skips lchown (for tests that run without root).</summary>
    public static UnpackedLayer Unpack(Stream layerBlob, string layerRoot, string? expectedDiffId = null, bool applyOwnership = true)
    {
        var extractor = new Extractor(Path.GetFullPath(layerRoot), applyOwnership);
        var compression = LayerCompression.None;
        Stream decompressed = FromArchive(() => Compression.Decompress(layerBlob, out compression), "the layer");
        using var uncompressedTar = new HashingStream(decompressed);
        using (var reader = new TarReader(uncompressedTar, leaveOpen: true))
        {
            while (FromArchive(() => reader.GetNextEntry(copyData: false), "the layer") is { } entry)
                extractor.Apply(entry);
        }
        FromArchive(() => { uncompressedTar.ReadToEnd(); return 0; }, "the layer");
        if (uncompressedTar.BytesRead == 0) throw new InvalidArchiveException("the layer is empty (0 bytes): not a tar archive");
        extractor.SetDirectoryTimes();

        string diffId = uncompressedTar.Digest;
        if (expectedDiffId != null && diffId != expectedDiffId)
            throw new InvalidArchiveException($"layer content does not match the image config: its uncompressed tar has digest {diffId}, the config's diff_ids say {expectedDiffId}");
        return new UnpackedLayer(diffId, extractor.Size, compression);
    }

    /// <summary>Runs a read from the archive, turning the reader's and decompressors' many exception types
    /// (EndOfStream, InvalidData, Format, SharpCompress's own…) into one InvalidArchiveException.</summary>
    internal static T FromArchive<T>(Func<T> read, string what)
    {
        try { return read(); }
        catch (Exception e) when (e is not InvalidArchiveException and not OutOfMemoryException and not OperationCanceledException)
        {
            throw new InvalidArchiveException($"{what} is truncated or not a valid tar archive: {e.Message}", e);
        }
    }

    /// <summary>
    /// Cleans a tar entry name the way Docker does (filepath.Clean, then relative to the root) and refuses
    /// any name that would leave the root. Returns null for the root itself ("./", "/").
    /// </summary>
    public static string? CleanEntryPath(string name)
    {
        if (name.Contains('\0')) throw new InvalidArchiveException($"refusing to extract \"{name.Replace("\0", "\\0")}\": the name contains a NUL byte");
        if (!MiniContainer.Storage.TarNames.TryClean(name, out string? clean))
            throw new InvalidArchiveException($"refusing to extract \"{name}\": the path leads outside the layer");
        return clean;
    }

    /// <summary>Applies tar entries one by one under a root directory, keeping the rules above.</summary>
    private sealed class Extractor(string root, bool applyOwnership)
    {
        private readonly List<(string Path, DateTimeOffset MTime)> _directoryTimes = new();

        /// <summary>Bytes of regular-file data written.</summary>
        public long Size { get; private set; }

        public void Apply(TarEntry entry)
        {
            if (entry.EntryType == TarEntryType.GlobalExtendedAttributes) return;   // PAX global header: no file
            string? relative = CleanEntryPath(entry.Name);
            if (relative is null) return;   // the layer root itself: its directory is ours, not the archive's

            int slash = relative.LastIndexOf('/');
            string name = relative[(slash + 1)..];
            string parent = WalkToDirectory(slash < 0 ? "" : relative[..slash], entry.Name, createMissing: true);

            if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                ApplyWhiteout(entry, parent, name);
                return;
            }

            string path = Path.Join(parent, name);
            FileStatus? existing = Kernel.LStat(path);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (existing is { IsDirectory: true }) break;                // directories merge: keep what is inside
                    RemoveExisting(path, existing);
                    Kernel.MakeDirectory(path, 0b111_000_000 /* 0700 */);                    // final mode set below, after chown
                    break;

                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    RemoveExisting(path, existing);
                    WriteFile(entry, path);
                    break;

                case TarEntryType.SymbolicLink:
                    if (string.IsNullOrEmpty(entry.LinkName)) throw new InvalidArchiveException($"invalid symlink \"{entry.Name}\": it has no target");
                    RemoveExisting(path, existing);
                    Kernel.SymbolicLink(entry.LinkName, path);
                    break;

                case TarEntryType.HardLink:
                    string target = HardLinkTarget(entry);
                    if (target == path) return;                                  // a link to itself: nothing to do
                    RemoveExisting(path, existing);
                    Kernel.HardLink(target, path);
                    return;                                                      // shares the target's inode and metadata

                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                    var device = (PosixTarEntry)entry;
                    RemoveExisting(path, existing);
                    Kernel.MakeNode(path, entry.EntryType == TarEntryType.CharacterDevice ? FileKind.CharacterDevice : FileKind.BlockDevice,
                        0b110_000_000 /* 0600 */, (uint)device.DeviceMajor, (uint)device.DeviceMinor);
                    break;

                case TarEntryType.Fifo:
                    RemoveExisting(path, existing);
                    Kernel.MakeNode(path, FileKind.Fifo, 0b110_000_000 /* 0600 */);
                    break;

                default:
                    throw new InvalidArchiveException($"cannot extract \"{entry.Name}\": unsupported tar entry type {entry.EntryType}");
            }
            ApplyMetadata(entry, path);
        }

        /// <summary>".wh.NAME" hides NAME from the layers below; ".wh..wh..opq" hides everything below in its directory.</summary>
        private void ApplyWhiteout(TarEntry entry, string parent, string name)
        {
            if (name == OpaqueMarker)
            {
                Kernel.LSetXattr(parent, OverlayOpaqueXattr, "y"u8);
                Kernel.LSetXattr(parent, UserNamespaceOpaqueXattr, "y"u8);
                return;
            }
            if (name.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal)) return;   // other AUFS bookkeeping (.wh..wh.plnk): meaningless here
            string hidden = name[WhiteoutPrefix.Length..];
            if (hidden is "" or "." or "..") throw new InvalidArchiveException($"invalid whiteout \"{entry.Name}\"");
            string path = Path.Join(parent, hidden);
            RemoveExisting(path, Kernel.LStat(path));
            Kernel.MakeNode(path, FileKind.CharacterDevice, 0, 0, 0);   // overlayfs reads a 0/0 char device as "deleted"
            if (applyOwnership) Kernel.LChown(path, (uint)entry.Uid, (uint)entry.Gid);
        }

        /// <summary>
        /// Walks <paramref name="relativeDir"/> below the root one component at a time, without following
        /// symlinks, creating missing directories when asked. Returns the absolute path.
        /// </summary>
        private string WalkToDirectory(string relativeDir, string entryName, bool createMissing)
        {
            string current = root;
            if (relativeDir.Length == 0) return current;
            string walked = "";
            foreach (string part in relativeDir.Split('/'))
            {
                current = Path.Join(current, part);
                walked = walked.Length == 0 ? part : walked + "/" + part;
                FileStatus? status = Kernel.LStat(current);
                if (status is null)
                {
                    if (!createMissing) throw new InvalidArchiveException($"invalid hard link \"{entryName}\": its target is not in the layer (\"{walked}\" does not exist)");
                    Kernel.MakeDirectory(current, 0b111_101_101 /* 0755 */);   // a parent the tar left out, with Docker's default mode
                    Kernel.Chmod(current, 0b111_101_101 /* 0755 */);           // exactly 0755, whatever our umask
                    continue;
                }
                if (status.Value.IsSymbolicLink)
                    throw new InvalidArchiveException($"refusing to extract \"{entryName}\": \"{walked}\" is a symbolic link, and following it could write outside the layer");
                if (!status.Value.IsDirectory)
                    throw new InvalidArchiveException($"cannot extract \"{entryName}\": \"{walked}\" is not a directory");
            }
            return current;
        }

        /// <summary>The absolute path of an already-extracted file a hard link entry points to.</summary>
        private string HardLinkTarget(TarEntry entry)
        {
            string? relative = CleanEntryPath(entry.LinkName);
            if (relative is null) throw new InvalidArchiveException($"invalid hard link \"{entry.Name}\": it points to the layer root");
            int slash = relative.LastIndexOf('/');
            string parent = WalkToDirectory(slash < 0 ? "" : relative[..slash], entry.Name, createMissing: false);
            string target = Path.Join(parent, relative[(slash + 1)..]);
            FileStatus? status = Kernel.LStat(target);
            if (status is null) throw new InvalidArchiveException($"invalid hard link \"{entry.Name}\": its target \"{entry.LinkName}\" is not in the layer");
            if (status.Value.IsDirectory) throw new InvalidArchiveException($"invalid hard link \"{entry.Name}\": its target \"{entry.LinkName}\" is a directory");
            return target;
        }

        private void WriteFile(TarEntry entry, string path)
        {
            // CreateNew = O_CREAT|O_EXCL: fails rather than follow anything already at path.
            using var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            long written = 0;
            if (entry.DataStream is { } data)
            {
                byte[] buffer = new byte[81920];
                while (FromArchive(() => data.Read(buffer), "the layer") is int n and > 0)
                {
                    file.Write(buffer, 0, n);
                    written += n;
                }
            }
            if (written != entry.Length)
                throw new InvalidArchiveException($"the layer is truncated: \"{entry.Name}\" should hold {entry.Length} bytes, the archive ended after {written}");
            Size += written;
        }

        /// <summary>Owner first (chown clears setuid bits), then the mode, then times (directories' at the very end).</summary>
        private void ApplyMetadata(TarEntry entry, string path)
        {
            if (applyOwnership) Kernel.LChown(path, (uint)entry.Uid, (uint)entry.Gid);
            if (entry.EntryType != TarEntryType.SymbolicLink) Kernel.Chmod(path, (uint)entry.Mode & 0xFFF);
            if (entry.EntryType == TarEntryType.Directory)
                _directoryTimes.Add((path, entry.ModificationTime));   // later entries inside would change it again
            else
                Kernel.SetTimesNoFollow(path, entry.ModificationTime, entry.ModificationTime);
        }

        /// <summary>Sets each directory's mtime once nothing more will be created inside it.</summary>
        public void SetDirectoryTimes()
        {
            for (int i = _directoryTimes.Count - 1; i >= 0; i--)
            {
                var (path, mtime) = _directoryTimes[i];
                if (Kernel.LStat(path) is { IsDirectory: true })   // a later entry may have replaced it
                    Kernel.SetTimesNoFollow(path, mtime, mtime);
            }
        }

        /// <summary>Removes what a later entry replaces (tar semantics: the last entry for a name wins). Never follows links.</summary>
        private static void RemoveExisting(string path, FileStatus? existing)
        {
            if (existing is null) return;
            if (existing.Value.IsDirectory) Directory.Delete(path, recursive: true);   // .NET unlinks symlinks inside, never follows them
            else File.Delete(path);                                                   // unlink(2)
        }
    }
}
