namespace MiniContainer.Storage;

/// <summary>How much a directory holds, as `docker system df` and the prune reports count it.</summary>
public static class DiskUsage
{
    /// <summary>Bytes of the regular files under <paramref name="dir"/> (0 when it does not exist); links are not followed.</summary>
    public static long Bytes(string dir) =>
        Directory.Exists(dir)
            ? new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Sum(f => f.Length)
            : 0;
}
