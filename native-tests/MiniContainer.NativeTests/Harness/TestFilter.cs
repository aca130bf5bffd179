namespace MiniContainer.NativeTests.Harness;

/// <summary>
/// The `dotnet test --filter` language (VSTest's), for <see cref="LaneRunner"/>: conditions
/// <c>Property=Value</c>, <c>!=</c>, <c>~</c> (contains) and <c>!~</c>, joined by <c>&amp;</c> and <c>|</c>
/// (&amp; binds tighter), with parentheses; a bare value means <c>FullyQualifiedName~value</c>; <c>\</c> escapes
/// the next character. Properties: FullyQualifiedName, Name, DisplayName, or a trait name (Lane, Category…).
/// Matching is case-insensitive for values, as VSTest's is.
/// </summary>
public sealed class TestFilter
{
    /// <summary>What a condition can look at: property name → its values (traits can have several).</summary>
    public delegate IEnumerable<string> Properties(string name);

    private readonly Func<Properties, bool> _match;
    private TestFilter(Func<Properties, bool> match) => _match = match;

    public static readonly TestFilter All = new(_ => true);

    public bool Matches(Properties properties) => _match(properties);

    public static TestFilter Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return All;
        var parser = new Parser(text);
        Func<Properties, bool> expr = parser.Or();
        if (!parser.AtEnd) throw new FormatException($"invalid test filter \"{text}\": unexpected \"{parser.Rest}\"");
        return new TestFilter(expr);
    }

    private sealed class Parser(string text)
    {
        private int _pos;
        public bool AtEnd { get { SkipSpaces(); return _pos >= text.Length; } }
        public string Rest => text[_pos..];

        public Func<Properties, bool> Or()
        {
            Func<Properties, bool> left = And();
            while (Take('|')) { var l = left; var r = And(); left = p => l(p) || r(p); }
            return left;
        }

        private Func<Properties, bool> And()
        {
            Func<Properties, bool> left = Factor();
            while (Take('&')) { var l = left; var r = Factor(); left = p => l(p) && r(p); }
            return left;
        }

        private Func<Properties, bool> Factor()
        {
            if (Take('('))
            {
                var inner = Or();
                if (!Take(')')) throw new FormatException($"invalid test filter \"{text}\": missing \")\"");
                return inner;
            }
            string left = Word();
            SkipSpaces();
            string op = _pos < text.Length && text[_pos] is '=' or '~' ? text[_pos++].ToString()
                      : _pos + 1 < text.Length && text[_pos] == '!' && text[_pos + 1] is '=' or '~' ? text.Substring((_pos += 2) - 2, 2)
                      : "";
            if (op == "")
            {
                if (left.Length == 0) throw new FormatException($"invalid test filter \"{text}\": empty condition at {_pos}");
                return Condition("FullyQualifiedName", "~", left);
            }
            string value = Word();
            if (left.Length == 0 || value.Length == 0) throw new FormatException($"invalid test filter \"{text}\": want Property{op}Value");
            return Condition(left, op, value);
        }

        private static Func<Properties, bool> Condition(string property, string op, string value)
        {
            const StringComparison ci = StringComparison.OrdinalIgnoreCase;
            return op switch
            {
                "=" => p => p(property).Any(v => v.Equals(value, ci)),
                "!=" => p => !p(property).Any(v => v.Equals(value, ci)),
                "~" => p => p(property).Any(v => v.Contains(value, ci)),
                _ => p => !p(property).Any(v => v.Contains(value, ci)),
            };
        }

        private string Word()
        {
            SkipSpaces();
            var sb = new System.Text.StringBuilder();
            while (_pos < text.Length && text[_pos] is not ('&' or '|' or '(' or ')' or '=' or '~') &&
                   !(text[_pos] == '!' && _pos + 1 < text.Length && text[_pos + 1] is '=' or '~'))
            {
                if (text[_pos] == '\\' && _pos + 1 < text.Length) _pos++;
                sb.Append(text[_pos++]);
            }
            return sb.ToString().Trim();
        }

        private bool Take(char c)
        {
            SkipSpaces();
            if (_pos < text.Length && text[_pos] == c) { _pos++; return true; }
            return false;
        }

        private void SkipSpaces() { while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++; }
    }
}
