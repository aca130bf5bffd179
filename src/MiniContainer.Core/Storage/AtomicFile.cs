namespace MiniContainer.Storage;

/// <summary>
/// State files are never written in place: we write a temp file beside the target, fsync it, and
/// rename(2) it over the old one. rename is atomic within a filesystem, so after a crash a reader
/// sees either the old file or the new one, never a torn mix.
/// The file is private to root (0600) unless the caller asks for another mode (a file bind-mounted into a
/// container, such as its /etc/hosts, must stay readable inside): the mode is set on the temp file before the
/// rename, whatever the umask, so the target never exists with a looser mode even for a moment.
/// A file the daemon derives again before it is used (a container's spec.json, rewritten at each start; the /etc files
/// written at create, which a start restores if a crash lost them) is written with durable: false: still atomic,
/// without the fsync, which costs a millisecond or more per file on the hot path of `run`. So is an --rm container's
/// record (see Container.SaveDurableUnlessAutoRemove in the daemon).
/// </summary>
public static class AtomicFile
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode WorldReadable = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> data) => WriteAllBytes(path, data, Private);

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> data, UnixFileMode mode, bool durable = true)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var fs = new FileStream(tmp, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = Private,
                   }))
            {
                if (mode != Private) File.SetUnixFileMode(fs.SafeFileHandle, mode);
                fs.Write(data);
                fs.Flush(flushToDisk: durable);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    public static void WriteAllText(string path, string text, UnixFileMode mode, bool durable = true) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text), mode, durable);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
