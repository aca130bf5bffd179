using System.Text;

namespace MiniContainer.Cli.Flags;

/// <summary>
/// Environment variables from -e and --env-file, the way docker reads them.
/// An env file has one entry per line: blank lines and lines starting with # are skipped,
/// KEY=VALUE is taken literally (no quote processing, the value keeps its spaces),
/// a bare KEY takes its value from the CLI's own environment (or is sent bare when unset,
/// which tells the daemon to leave it unset).
/// </summary>
internal static class EnvFile
{
    public static List<string> Parse(string content, Func<string, string?> lookup)
    {
        var result = new List<string>();
        if (content.Length > 0 && content[0] == '\uFEFF') content = content[1..];   // UTF-8 BOM
        int lineNo = 0;
        foreach (string rawLine in content.Split('\n'))
        {
            lineNo++;
            string line = rawLine.TrimEnd('\r').TrimStart();
            if (line.Length == 0 || line[0] == '#') continue;

            int eq = line.IndexOf('=');
            if (eq >= 0)
            {
                string key = line[..eq];
                if (key.Length == 0) throw new FormatException($"no variable name on line '{line}'");
                if (key.Any(char.IsWhiteSpace)) throw new FormatException($"variable '{key}' contains whitespaces");
                result.Add(line);
            }
            else
            {
                string key = line.TrimEnd();
                if (key.Any(char.IsWhiteSpace)) throw new FormatException($"variable '{key}' contains whitespaces");
                result.Add(WithLocalValue(key, lookup));
            }
        }
        return result;
    }

    public static List<string> ReadFile(string path, Func<string, string?> lookup)
    {
        byte[] bytes = File.ReadAllBytes(path);
        string content;
        try { content = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw new FormatException($"invalid env file ({path}): contains invalid utf8 bytes"); }
        return Parse(content, lookup);
    }

    /// <summary>One -e value: "K=V" as is; "K" gets the CLI's value of K when it has one.</summary>
    public static string ParseFlag(string value, Func<string, string?> lookup)
    {
        int eq = value.IndexOf('=');
        if (eq == 0 || value.Length == 0) throw new FormatException($"invalid environment variable: {value}");
        return eq > 0 ? value : WithLocalValue(value, lookup);
    }

    static string WithLocalValue(string key, Func<string, string?> lookup)
        => lookup(key) is { } local ? key + "=" + local : key;
}
