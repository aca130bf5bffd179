using System.Text;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// compose's variable substitution in a value: $VAR and ${VAR}; ${VAR:-default} (default when unset or empty),
/// ${VAR-default} (when unset); ${VAR:?err} and ${VAR?err} (an error with that text when unset/empty or unset);
/// ${VAR:+alt} and ${VAR+alt} (alt when set); $$ is a literal $. Defaults may themselves hold variables.
/// An unset variable without a default becomes "" (compose warns; <see cref="Unset"/> collects the names for that).
/// </summary>
internal sealed class Interpolation(Func<string, string?> lookup)
{
    /// <summary>Variables that were used unset, in order of first use.</summary>
    public List<string> Unset { get; } = [];

    /// <exception cref="FormatException">a ${VAR:?err} that fired, or a malformed ${…}; the message is compose's.</exception>
    public string Apply(string text)
    {
        if (!text.Contains('$')) return text;
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c != '$') { sb.Append(c); i++; continue; }
            if (i + 1 >= text.Length) { sb.Append('$'); i++; continue; }
            char next = text[i + 1];
            if (next == '$') { sb.Append('$'); i += 2; continue; }
            if (next == '{')
            {
                int end = ClosingBrace(text, i + 2);
                if (end < 0) throw new FormatException($"invalid interpolation format for \"{text}\": missing closing brace");
                sb.Append(Braced(text[(i + 2)..end], text));
                i = end + 1;
                continue;
            }
            if (IsNameStart(next))
            {
                int j = i + 1;
                while (j < text.Length && IsNameChar(text[j])) j++;
                sb.Append(Lookup(text[(i + 1)..j]) ?? "");
                i = j;
                continue;
            }
            throw new FormatException($"invalid interpolation format for \"{text}\": a $ must be followed by a variable name, {{ or another $ (write $$ for a literal $)");
        }
        return sb.ToString();
    }

    string? Lookup(string name)
    {
        string? value = lookup(name);
        if (value is null && !Unset.Contains(name)) Unset.Add(name);
        return value;
    }

    string Braced(string inner, string whole)
    {
        int n = 0;
        while (n < inner.Length && IsNameChar(inner[n])) n++;
        string name = inner[..n];
        if (name.Length == 0 || !IsNameStart(name[0]))
            throw new FormatException($"invalid interpolation format for \"{whole}\": invalid variable name \"{inner}\"");
        if (n == inner.Length) return Lookup(name) ?? "";

        string op = inner[n] == ':' && n + 1 < inner.Length ? inner.Substring(n, 2) : inner[n].ToString();
        string arg = inner[(n + op.Length)..];
        string? value = lookup(name);
        bool set = value is not null, setNonEmpty = !string.IsNullOrEmpty(value);
        switch (op)
        {
            case ":-": return setNonEmpty ? value! : Apply(arg);
            case "-": return set ? value! : Apply(arg);
            case ":+": return setNonEmpty ? Apply(arg) : "";
            case "+": return set ? Apply(arg) : "";
            case ":?":
                if (!setNonEmpty) throw new FormatException($"required variable {name} is missing a value: {Apply(arg)}");
                return value!;
            case "?":
                if (!set) throw new FormatException($"required variable {name} is missing a value: {Apply(arg)}");
                return value!;
            default:
                throw new FormatException($"invalid interpolation format for \"{whole}\": unsupported operator in \"${{{inner}}}\"");
        }
    }

    /// <summary>The index of the '}' that closes a ${ opened before <paramref name="from"/>, counting nested ${…}.</summary>
    static int ClosingBrace(string text, int from)
    {
        int depth = 1;
        for (int i = from; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{') { depth++; i++; }
            else if (text[i] == '}' && --depth == 0) return i;
        }
        return -1;
    }

    static bool IsNameStart(char c) => c == '_' || char.IsAsciiLetter(c);
    static bool IsNameChar(char c) => c == '_' || char.IsAsciiLetterOrDigit(c);
}
