namespace MiniContainer.Storage;

/// <summary>Tar entry names, cleaned the way Docker cleans them before extracting.</summary>
public static class TarNames
{
    /// <summary>
    /// A leading "/" or "./" is dropped (names are relative to the destination) and "a/../b" becomes "b".
    /// False when the name holds a NUL or a ".." climbs above the destination; <paramref name="clean"/> is
    /// null for the destination itself ("./", "/").
    /// </summary>
    public static bool TryClean(string name, out string? clean)
    {
        clean = null;
        if (name.Contains('\0')) return false;
        var parts = new List<string>();
        foreach (string part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) return false;
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        clean = parts.Count == 0 ? null : string.Join('/', parts);
        return true;
    }
}
