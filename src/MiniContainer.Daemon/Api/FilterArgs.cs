using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MiniContainer.Api;

/// <summary>
/// The `filters` query parameter, as dockerd reads it: each key holds a <i>set</i> of values (JSON
/// {"label":["a=1","b=2"]}, or the old {"label":{"a=1":true}}). How values of one key combine is the key's own rule,
/// and dockerd has only a few, here as methods: most keys are ORed within the key (<see cref="ExactMatch"/>,
/// <see cref="Match"/>, <see cref="PrefixMatch"/>), while <c>label</c> is ANDed (<see cref="MatchLabels"/>: every
/// label=k[=v] must hold). Different keys are always ANDed, by the caller checking each in turn.
/// </summary>
public sealed class FilterArgs
{
    private readonly Dictionary<string, SortedSet<string>> _fields;

    private FilterArgs(Dictionary<string, SortedSet<string>> fields) => _fields = fields;

    public static readonly FilterArgs None = new(new());

    public static FilterArgs Parse(string? json)
    {
        var fields = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json)) return new(fields);
        JsonNode? node;
        try { node = JsonNode.Parse(json); } catch (System.Text.Json.JsonException) { throw new BadRequestException("invalid filter: " + json); }
        if (node is not JsonObject obj) throw new BadRequestException("invalid filter: " + json);
        foreach (var (key, value) in obj)
        {
            IEnumerable<string> values = value switch
            {
                JsonArray a => a.Select(v => v?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)v! : throw new BadRequestException("invalid filter: " + json)),
                // The map form keeps only the values set to true, as Go's map[string]bool decoding does.
                JsonObject o => o.Where(kv => kv.Value?.GetValueKind() == System.Text.Json.JsonValueKind.True).Select(kv => kv.Key),
                _ => throw new BadRequestException("invalid filter: " + json),
            };
            fields[key] = new SortedSet<string>(values, StringComparer.Ordinal);
        }
        return new(fields);
    }

    public int Count => _fields.Count;
    public IEnumerable<string> Keys => _fields.Keys;
    public bool Contains(string key) => _fields.ContainsKey(key);

    /// <summary>The key's values (sorted, distinct); empty when the key is absent.</summary>
    public IReadOnlyList<string> Get(string key) => _fields.TryGetValue(key, out var v) ? v.ToList() : [];

    /// <summary>Refuses a key outside <paramref name="accepted"/> with dockerd's "invalid filter 'x'" (400).</summary>
    public void Validate(params string[] accepted)
    {
        foreach (string key in _fields.Keys)
            if (!accepted.Contains(key)) throw Invalid(key);
    }

    /// <summary>dockerd's wording for a key, or a key with the values it did not understand.</summary>
    public static BadRequestException Invalid(string key, IEnumerable<string>? values = null) =>
        new(values is null ? $"invalid filter '{key}'" : $"invalid filter '{key}={string.Join(',', values)}'");

    /// <summary>True when the key is absent or <paramref name="source"/> is one of its values.</summary>
    public bool ExactMatch(string key, string source) =>
        !_fields.TryGetValue(key, out var values) || values.Count == 0 || values.Contains(source);

    /// <summary>True when the key is absent, or one value equals <paramref name="source"/> or is an unanchored regular
    /// expression matching it (a value that is not a valid expression matches nothing, as in dockerd).</summary>
    public bool Match(string key, string source)
    {
        if (ExactMatch(key, source)) return true;
        foreach (string pattern in _fields[key])
        {
            try { if (Regex.IsMatch(source, pattern, RegexOptions.None, TimeSpan.FromSeconds(1))) return true; }
            catch (ArgumentException) { }   // not a regular expression: no match
        }
        return false;
    }

    /// <summary>True when the key is absent or one value is a prefix of <paramref name="source"/> (IDs).</summary>
    public bool PrefixMatch(string key, string source) =>
        !_fields.TryGetValue(key, out var values) || values.Count == 0 || values.Any(v => source.StartsWith(v, StringComparison.Ordinal));

    /// <summary>
    /// True when the key is absent, or <i>every</i> value k or k=v names a label the object carries (with that value).
    /// This is how dockerd reads `label` everywhere: `--filter label=a=1 --filter label=b=2` keeps only objects with both.
    /// </summary>
    public bool MatchLabels(string key, IReadOnlyDictionary<string, string>? labels)
    {
        if (!_fields.TryGetValue(key, out var values) || values.Count == 0) return true;
        if (labels is null || labels.Count == 0) return false;
        foreach (string value in values)
        {
            int eq = value.IndexOf('=');
            string k = eq < 0 ? value : value[..eq];
            if (!labels.TryGetValue(k, out string? actual)) return false;
            if (eq >= 0 && actual != value[(eq + 1)..]) return false;
        }
        return true;
    }

    /// <summary>
    /// `label` and `label!` as every prune endpoint reads them: all `label` values must match, and an object that
    /// matches all `label!` values is kept out (with one `label!`, that is: it must not carry that label).
    /// </summary>
    public bool MatchPruneLabels(IReadOnlyDictionary<string, string>? labels) =>
        MatchLabels("label", labels) && !(Contains("label!") && MatchLabels("label!", labels));

    /// <summary>A key read as one boolean (true/1 or false/0); absent gives <paramref name="absent"/>; conflicting or
    /// other values are refused as dockerd refuses them.</summary>
    public bool GetBool(string key, bool absent)
    {
        if (!_fields.TryGetValue(key, out var values)) return absent;
        bool isTrue = values.Contains("true") || values.Contains("1");
        bool isFalse = values.Contains("false") || values.Contains("0");
        if (isTrue == isFalse) throw Invalid(key, values);
        return isTrue;
    }
}
