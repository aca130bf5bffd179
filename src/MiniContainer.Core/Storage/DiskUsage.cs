using System.IO.Enumeration;

namespace MiniContainer.Storage;

/// <summary>How much a directory holds, as `docker system df`, `ps -s` and the prune reports count it.</summary>
public static class DiskUsage
{
    /// <summary>Bytes of the files under <paramref name="dir"/> (0 when it does not exist). Symbolic links count as
    /// themselves and are never followed; sizes come from the directory walk, so a file deleted meanwhile is no error.</summary>
    public static long Bytes(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        var sizes = new FileSystemEnumerable<long>(dir, (ref FileSystemEntry entry) => entry.Length,
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory,
        };
        return sizes.Sum();
    }
}
