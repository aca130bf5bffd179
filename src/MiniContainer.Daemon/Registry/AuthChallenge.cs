namespace MiniContainer.Registry;

/// <summary>
/// One challenge of a WWW-Authenticate header (RFC 7235): the scheme ("Basic", "Bearer") and its parameters,
/// e.g. Bearer realm="https://auth.example/token",service="registry.example",scope="repository:app:pull".
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);
    public string? this[string name] => Parameters.TryGetValue(name, out string? v) ? v : null;

    /// <summary>Parses every challenge in the header values; unknown or malformed parts are skipped, as clients must.</summary>
    public static List<AuthChallenge> Parse(IEnumerable<string> headerValues)
    {
        var result = new List<AuthChallenge>();
        foreach (string header in headerValues) ParseOne(header, result);
        return result;
    }

    private static void ParseOne(string header, List<AuthChallenge> result)
    {
        int i = 0;
        string? scheme = null;
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (i < header.Length)
        {
            SkipSpaceAndCommas(header, ref i);
            string token = ReadToken(header, ref i);
            if (token.Length == 0) { i++; continue; }
            SkipSpace(header, ref i);
            if (i < header.Length && header[i] == '=')
            {
                i++;
                SkipSpace(header, ref i);
                string value = i < header.Length && header[i] == '"' ? ReadQuoted(header, ref i) : ReadToken(header, ref i);
                if (scheme != null) parameters[token] = value;
            }
            else
            {
                // A token not followed by '=' starts a new challenge.
                if (scheme != null) result.Add(new AuthChallenge(scheme, parameters));
                scheme = token;
                parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            }
        }
        if (scheme != null) result.Add(new AuthChallenge(scheme, parameters));
    }

    private static void SkipSpace(string s, ref int i) { while (i < s.Length && s[i] is ' ' or '\t') i++; }
    private static void SkipSpaceAndCommas(string s, ref int i) { while (i < s.Length && s[i] is ' ' or '\t' or ',') i++; }

    private static string ReadToken(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && s[i] is not (' ' or '\t' or ',' or '=' or '"')) i++;
        return s[start..i];
    }

    private static string ReadQuoted(string s, ref int i)
    {
        var value = new System.Text.StringBuilder();
        i++;   // opening quote
        while (i < s.Length && s[i] != '"')
        {
            if (s[i] == '\\' && i + 1 < s.Length) i++;
            value.Append(s[i++]);
        }
        i++;   // closing quote
        return value.ToString();
    }
}
