using System.Text;
using System.Text.RegularExpressions;

namespace MiniContainer.Build;

/// <summary>A .dockerignore that cannot be used: a pattern Go's filepath.Match would refuse.</summary>
public sealed class IgnorePatternException(string message) : Exception(message);

/// <summary>
/// .dockerignore with Docker's rules. One pattern a line; '#' starts a comment line; blank lines are skipped;
/// a leading '!' makes an exception. Patterns are cleaned like Go's filepath.Clean ("./a//b/" → "a/b"; a leading
/// '/' is dropped: the context root is the only root). Matching is Go's filepath.Match (`*` and `?` never cross
/// '/', `[a-z]`, `[!a]`, `\` escapes) plus `**`, which matches any number of directories, zero included.
/// A path is ignored when the last pattern matching it or one of its parent directories is not an exception.
/// Lives in Core because both sides need it: the CLI to leave files out of the context, the daemon to keep an
/// ignored Dockerfile or .dockerignore (always sent, as Docker sends them) out of COPY and ADD.
/// </summary>
public sealed class IgnorePatterns
{
    private readonly List<(Regex Regex, bool Exception, string Text)> _patterns = new();

    public bool HasExceptions => _patterns.Any(p => p.Exception);
    public bool IsEmpty => _patterns.Count == 0;

    public static IgnorePatterns Parse(string text, string fileName = ".dockerignore")
    {
        var result = new IgnorePatterns();
        int lineNumber = 0;
        foreach (string raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            bool exception = line.StartsWith('!');
            if (exception) line = line[1..].Trim();
            if (line.Length == 0) continue;
            string cleaned = Clean(line);
            if (cleaned == "." ) continue;
            try { result._patterns.Add((new Regex(ToRegex(cleaned), RegexOptions.CultureInvariant), exception, line)); }
            catch (Exception e) when (e is ArgumentException or IgnorePatternException)
            {
                throw new IgnorePatternException($"error checking context: syntax error in pattern \"{line}\" ({fileName} line {lineNumber})");
            }
        }
        return result;
    }

    /// <summary>True when <paramref name="relativePath"/> ("dir/file", '/'-separated, no leading '/') stays out of the context.</summary>
    public bool IsIgnored(string relativePath)
    {
        string path = Clean(relativePath);
        bool ignored = false;
        foreach (var (regex, exception, _) in _patterns)
        {
            if (exception == !ignored) continue;   // cannot change the outcome
            if (MatchesOrParentMatches(regex, path)) ignored = !exception;
        }
        return ignored;
    }

    private static bool MatchesOrParentMatches(Regex regex, string path)
    {
        if (regex.IsMatch(path)) return true;
        for (int slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
            if (regex.IsMatch(path[..slash])) return true;
        return false;
    }

    /// <summary>Go's filepath.Clean, then the leading '/' dropped.</summary>
    public static string Clean(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == ".." ) { if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1); else if (!path.StartsWith('/')) parts.Add(".."); continue; }
            parts.Add(part);
        }
        return parts.Count == 0 ? "." : string.Join('/', parts);
    }

    /// <summary>The pattern as an anchored regular expression; IgnorePatternException for what filepath.Match calls ErrBadPattern.</summary>
    public static string ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '*':
                    if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                    {
                        i++;
                        while (i + 1 < pattern.Length && pattern[i + 1] == '*') i++;
                        if (i + 1 == pattern.Length) regex.Append(".*");
                        else if (pattern[i + 1] == '/') { regex.Append("(.*/)?"); i++; }
                        else regex.Append(".*");
                    }
                    else regex.Append("[^/]*");
                    break;
                case '?': regex.Append("[^/]"); break;
                case '\\':
                    if (i + 1 >= pattern.Length) throw new IgnorePatternException("trailing escape");
                    regex.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '[':
                    int close = i + 1;
                    if (close < pattern.Length && pattern[close] is '!' or '^') close++;
                    if (close < pattern.Length && pattern[close] == ']') throw new IgnorePatternException("empty class");
                    var cls = new StringBuilder("[");
                    int j = i + 1;
                    if (j < pattern.Length && pattern[j] is '!' or '^') { cls.Append('^'); j++; }
                    for (; j < pattern.Length && pattern[j] != ']'; j++)
                    {
                        if (pattern[j] == '\\')
                        {
                            if (++j >= pattern.Length) throw new IgnorePatternException("trailing escape");
                            cls.Append('\\').Append(pattern[j]);
                        }
                        else if (pattern[j] == '[') cls.Append("\\[");
                        else if (pattern[j] == '/') throw new IgnorePatternException("slash in class");
                        else cls.Append(pattern[j]);
                    }
                    if (j >= pattern.Length) throw new IgnorePatternException("unclosed class");
                    regex.Append(cls).Append(']');
                    i = j;
                    break;
                case ']': throw new IgnorePatternException("unopened class");
                default: regex.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return regex.Append('$').ToString();
    }
}
