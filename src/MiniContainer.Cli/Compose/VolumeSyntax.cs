namespace MiniContainer.Cli.Compose;

/// <summary>
/// A service's short volume syntax, "[SOURCE:]TARGET[:MODE]": SOURCE is a path (".", "./x", "../x", "/x", "~/x": a bind)
/// or a top-level volume's name; without SOURCE the volume is anonymous. MODE is ro or rw (others are refused by the reader).
/// </summary>
internal static class VolumeSyntax
{
    public static (string Source, string Target, string Mode) SplitShort(string spec)
    {
        var parts = spec.Split(':');
        return parts.Length switch
        {
            1 => ("", parts[0], ""),
            2 when parts[1].StartsWith('/') => (parts[0], parts[1], ""),
            2 => ("", parts[0], parts[1]),
            _ => (parts[0], parts[1], string.Join(':', parts[2..])),
        };
    }

    public static bool IsPath(string source)
        => source.StartsWith('/') || source.StartsWith('.') || source.StartsWith('~');
}
