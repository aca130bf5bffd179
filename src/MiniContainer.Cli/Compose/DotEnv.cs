using System.Text;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// The .env format compose reads for interpolation (the project's .env, --env-file) and for a service's env_file:
/// KEY=VALUE a line, "export " allowed before the key, blank lines and # comments skipped.
/// Values may be quoted: '…' is literal, "…" knows \n \t \" \\; an unquoted value ends at " #" and is trimmed.
/// A bare KEY (no '=') takes the value <paramref name="lookup"/> has for it, or is left out.
/// </summary>
internal static class DotEnv
{
    public static List<KeyValuePair<string, string>> Parse(string content, string file, Func<string, string?> lookup)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (content.Length > 0 && content[0] == '\uFEFF') content = content[1..];
        int lineNo = 0;
        foreach (string raw in content.Split('\n'))
        {
            lineNo++;
            string line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            int eq = line.IndexOf('=');
            string key = (eq < 0 ? line : line[..eq]).Trim();
            if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c == '\'' || c == '"'))
                throw new ComposeFileException($"{file}:{lineNo}: invalid variable name \"{key}\"");
            if (eq < 0)
            {
                if (lookup(key) is { } value) result.Add(new(key, value));
                continue;
            }
            result.Add(new(key, Value(line[(eq + 1)..].Trim(), file, lineNo)));
        }
        return result;
    }

    public static List<KeyValuePair<string, string>> ReadFile(string path, Func<string, string?> lookup)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ComposeFileException($"failed to read {path}: {e.Message}");
        }
        return Parse(text, path, lookup);
    }

    static string Value(string v, string file, int lineNo)
    {
        if (v.Length > 0 && v[0] == '\'')
        {
            int end = v.IndexOf('\'', 1);
            if (end < 0) throw new ComposeFileException($"{file}:{lineNo}: unterminated quoted value");
            return v[1..end];
        }
        if (v.Length > 0 && v[0] == '"')
        {
            var sb = new StringBuilder();
            for (int i = 1; i < v.Length; i++)
            {
                char c = v[i];
                if (c == '"') return sb.ToString();
                if (c == '\\' && i + 1 < v.Length)
                {
                    char n = v[++i];
                    sb.Append(n switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => n });
                    continue;
                }
                sb.Append(c);
            }
            throw new ComposeFileException($"{file}:{lineNo}: unterminated quoted value");
        }
        int comment = v.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? v[..comment] : v).Trim();
    }
}
