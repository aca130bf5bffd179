using System.Text;

namespace MiniContainer.Cli.Output;

/// <summary>
/// Re-indents JSON text the way Go's json.Indent does for `docker inspect`: four spaces, "key": value,
/// empty [] and {} kept on one line, and string contents copied byte for byte (no re-escaping).
/// </summary>
internal static class JsonIndent
{
    public static string Indent(string json, string indent = "    ")
    {
        var sb = new StringBuilder(json.Length * 2);
        int depth = 0;
        bool inString = false, escaped = false;
        bool pendingOpen = false;   // just wrote [ or {; the newline waits until we know it is not empty

        for (int i = 0; i < json.Length; i++)
        {
            char c = json[i];
            if (inString)
            {
                sb.Append(c);
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
                continue;
            }
            if (c is ' ' or '\t' or '\r' or '\n') continue;

            if (pendingOpen)
            {
                pendingOpen = false;
                if (c is ']' or '}') { sb.Append(c); depth--; continue; }
                NewLine(sb, depth, indent);
            }

            switch (c)
            {
                case '"': inString = true; sb.Append(c); break;
                case '{' or '[': sb.Append(c); depth++; pendingOpen = true; break;
                case '}' or ']': depth--; NewLine(sb, depth, indent); sb.Append(c); break;
                case ',': sb.Append(c); NewLine(sb, depth, indent); break;
                case ':': sb.Append(": "); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    static void NewLine(StringBuilder sb, int depth, string indent)
    {
        sb.Append('\n');
        for (int i = 0; i < depth; i++) sb.Append(indent);
    }
}
