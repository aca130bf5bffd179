using System.Globalization;
using System.Text;

namespace MiniContainer.Cli.Output;

/// <summary>The small string rules docker's tables follow: Go-quoted commands, "…" truncation, 12-character IDs.</summary>
internal static class GoStrings
{
    /// <summary>Go's strconv.Quote: double quotes, with \" \\ \n \t and \xNN / \uNNNN escapes for what is not printable.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (Rune r in s.EnumerateRunes())
        {
            switch (r.Value)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (r.Value < 0x20 || r.Value == 0x7f) sb.Append("\\x").Append(r.Value.ToString("x2", CultureInfo.InvariantCulture));
                    else if (Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned)
                        sb.Append(r.Value > 0xffff ? "\\U" + r.Value.ToString("x8", CultureInfo.InvariantCulture) : "\\u" + r.Value.ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(r.ToString());
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Cuts <paramref name="s"/> to <paramref name="max"/> characters, the last being "…", when it is longer.</summary>
    public static string Ellipsis(string s, int max)
    {
        var runes = s.EnumerateRunes().ToList();
        if (runes.Count <= max) return s;
        return string.Concat(runes.Take(max - 1).Select(r => r.ToString())) + "…";
    }

    /// <summary>"sha256:4a1b…" → "4a1b2c3d4e5f": the 12-character short ID docker shows.</summary>
    public static string ShortId(string id)
    {
        int colon = id.IndexOf(':');
        if (colon >= 0) id = id[(colon + 1)..];
        return id.Length > 12 ? id[..12] : id;
    }
}
