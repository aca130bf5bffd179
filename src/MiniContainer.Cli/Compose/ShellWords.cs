using System.Text;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// A command given as one string ("sh -c 'echo hi'") split into words as a POSIX shell would, without expanding
/// anything: whitespace separates, '…' is literal, "…" knows \" \\ \$ \`, a backslash outside quotes escapes the next character.
/// </summary>
internal static class ShellWords
{
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            if (c == '\'')
            {
                int end = text.IndexOf('\'', i + 1);
                if (end < 0) throw new FormatException($"invalid command line \"{text}\": no closing quotation");
                word.Append(text, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                int j = i + 1;
                for (; j < text.Length && text[j] != '"'; j++)
                {
                    if (text[j] == '\\' && j + 1 < text.Length && text[j + 1] is '"' or '\\' or '$' or '`') j++;
                    word.Append(text[j]);
                }
                if (j >= text.Length) throw new FormatException($"invalid command line \"{text}\": no closing quotation");
                i = j;
            }
            else if (c == '\\')
            {
                if (i + 1 >= text.Length) throw new FormatException($"invalid command line \"{text}\": no escaped character");
                word.Append(text[++i]);
            }
            else word.Append(c);
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }
}
