using System.Text;

namespace MiniContainer.Build;

/// <summary>
/// Docker's word rules for Dockerfile arguments (not a shell: no globbing, no command substitution).
/// <see cref="Split"/> cuts a line into words at unquoted blanks, keeping the quotes; <see cref="Expand"/>
/// then takes one word's quotes away and substitutes variables:
/// <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c> / <c>${VAR-default}</c> (default when unset or empty / unset),
/// <c>${VAR:+alt}</c> / <c>${VAR+alt}</c>, <c>${VAR:?message}</c> / <c>${VAR?message}</c> (an error when unset).
/// Single quotes keep everything literal; inside double quotes the escape character only escapes <c>"</c>,
/// <c>$</c> and itself; outside quotes it escapes any character (<c>\$HOME</c> is literal).
/// An unset variable expands to nothing.
/// </summary>
public static class ShellWords
{
    /// <summary>Splits at unquoted blanks; quotes and escapes stay in the words (Expand removes them).</summary>
    public static List<string> Split(string text, char escape = '\\')
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote == '\0' && char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            word.Append(c);
            if (c == escape && quote != '\'' && i + 1 < text.Length) { word.Append(text[++i]); continue; }
            if (quote == '\0' && c is '"' or '\'') quote = c;
            else if (c == quote) quote = '\0';
        }
        if (quote != '\0') throw new DockerfileException($"unexpected end of statement while looking for matching {quote}");
        if (inWord) words.Add(word.ToString());
        return words;
    }

    /// <summary>One word with its quotes removed and variables substituted.</summary>
    public static string Expand(string word, Func<string, string?> lookup, char escape = '\\')
    {
        var reader = new Reader(word, escape, lookup);
        return reader.ReadWord(stopAt: null);
    }

    /// <summary>Split, then Expand each word: what COPY, ADD, EXPOSE, VOLUME (shell form) and USER take.</summary>
    public static List<string> ExpandAll(string text, Func<string, string?> lookup, char escape = '\\') =>
        Split(text, escape).Select(w => Expand(w, lookup, escape)).ToList();

    private sealed class Reader(string text, char escape, Func<string, string?> lookup)
    {
        private int _pos;

        /// <summary>Reads until the end, or until an unquoted <paramref name="stopAt"/> (the '}' of ${VAR:-word}).</summary>
        public string ReadWord(char? stopAt)
        {
            var result = new StringBuilder();
            while (_pos < text.Length)
            {
                char c = text[_pos];
                if (stopAt == c) return result.ToString();
                _pos++;
                if (c == escape)
                {
                    if (_pos < text.Length) result.Append(text[_pos++]);
                    else result.Append(c);
                }
                else if (c == '\'')
                {
                    int close = text.IndexOf('\'', _pos);
                    if (close < 0) throw new DockerfileException("unexpected end of statement while looking for matching '");
                    result.Append(text, _pos, close - _pos);
                    _pos = close + 1;
                }
                else if (c == '"') result.Append(ReadDoubleQuoted());
                else if (c == '$') result.Append(ReadDollar());
                else result.Append(c);
            }
            if (stopAt != null) throw new DockerfileException($"syntax error: missing '{stopAt}' in \"{text}\"");
            return result.ToString();
        }

        private string ReadDoubleQuoted()
        {
            var result = new StringBuilder();
            while (_pos < text.Length)
            {
                char c = text[_pos++];
                if (c == '"') return result.ToString();
                if (c == escape && _pos < text.Length && (text[_pos] == '"' || text[_pos] == '$' || text[_pos] == escape))
                    result.Append(text[_pos++]);
                else if (c == '$') result.Append(ReadDollar());
                else result.Append(c);
            }
            throw new DockerfileException("unexpected end of statement while looking for matching \"");
        }

        private string ReadDollar()
        {
            if (_pos >= text.Length) return "$";
            if (text[_pos] != '{')
            {
                string name = ReadName();
                return name.Length == 0 ? "$" : lookup(name) ?? "";
            }
            _pos++;   // {
            string variable = ReadName();
            if (variable.Length == 0) throw new DockerfileException($"bad substitution: missing variable name in \"{text}\"");
            if (_pos >= text.Length) throw new DockerfileException($"syntax error: missing '}}' in \"{text}\"");
            char next = text[_pos];
            if (next == '}') { _pos++; return lookup(variable) ?? ""; }

            bool colon = next == ':';
            if (colon) _pos++;
            if (_pos >= text.Length) throw new DockerfileException($"syntax error: missing '}}' in \"{text}\"");
            char modifier = text[_pos++];
            if (modifier is not ('-' or '+' or '?'))
                throw new DockerfileException($"unsupported modifier ({(colon ? ":" : "")}{modifier}) in substitution");
            string word = ReadWord('}');
            _pos++;   // }
            string? value = lookup(variable);
            bool isSet = colon ? !string.IsNullOrEmpty(value) : value != null;
            return modifier switch
            {
                '-' => isSet ? value! : word,
                '+' => isSet ? word : "",
                _ => isSet ? value! : throw new DockerfileException($"{variable}: {(word.Length > 0 ? word : "is not allowed to be unset")}"),
            };
        }

        private string ReadName()
        {
            int start = _pos;
            if (_pos < text.Length && char.IsAsciiDigit(text[_pos])) return text.Substring(_pos++, 1);   // $1: a positional, always empty here
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '_')) _pos++;
            return text[start.._pos];
        }
    }
}
