using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MiniContainer.Build;

/// <summary>A Dockerfile that cannot be built; the message names the file and the line, in Docker's words.</summary>
public sealed class DockerfileException(string message) : Exception(message);

/// <summary>
/// One instruction as written: its keyword (upper case), the text after it with the leading --flags taken
/// out, those flags, the JSON array when the text is one (exec form), and the line it starts on.
/// Nothing is substituted yet: variables are expanded by the builder, which knows ENV and ARG at that step.
/// </summary>
public sealed record Instruction(string Keyword, string Args, IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string>? Json, int Line, string Original)
{
    /// <summary>The instruction an ONBUILD carries (parsed when ONBUILD is read).</summary>
    public Instruction? Trigger { get; init; }
}

/// <summary>A parsed Dockerfile: its escape character and instructions, in order.</summary>
public sealed record Dockerfile(char Escape, IReadOnlyList<Instruction> Instructions);

/// <summary>
/// The Dockerfile reader (the syntax Docker documents): parser directives at the very top (`# escape=` is
/// honoured, `# syntax=` and `# check=` are accepted and ignored), comments, line continuations with the escape
/// character (comment lines inside a continuation are dropped), instruction names in any case, leading
/// `--name=value` flags, and the JSON (exec) form. Pure: no file system, no images.
/// </summary>
public static partial class DockerfileParser
{
    public static readonly IReadOnlySet<string> Keywords = new HashSet<string>
    {
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
        "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    };

    /// <summary>Instructions whose arguments may be a JSON array of strings.</summary>
    private static readonly IReadOnlySet<string> JsonForms = new HashSet<string> { "RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME" };

    /// <summary>Instructions that take leading --flags (other text starting with -- is an argument).</summary>
    private static readonly IReadOnlySet<string> FlagForms = new HashSet<string> { "FROM", "RUN", "COPY", "ADD", "HEALTHCHECK" };

    [GeneratedRegex(@"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")]
    private static partial Regex Directive();

    public static Dockerfile Parse(string text, string fileName = "Dockerfile")
    {
        string[] lines = text.Replace("\r\n", "\n").Split('\n');
        if (lines.Length > 0 && lines[0].StartsWith('\uFEFF')) lines[0] = lines[0][1..];
        char escape = '\\';
        int index = 0;

        // Parser directives: only at the very top, each at most once; the first other line ends them.
        var seen = new HashSet<string>();
        for (; index < lines.Length; index++)
        {
            var m = Directive().Match(lines[index]);
            if (!m.Success) break;
            string name = m.Groups[1].Value.ToLowerInvariant();
            if (name is not ("escape" or "syntax" or "check")) break;   // an unknown directive is a comment, and ends directives
            if (!seen.Add(name)) throw Error(fileName, index + 1, $"only one {name} parser directive can be used");
            if (name == "escape")
            {
                string value = m.Groups[2].Value;
                if (value is not ("`" or "\\")) throw Error(fileName, index + 1, $"invalid escape token '{value}' does not match ` or \\");
                escape = value[0];
            }
        }

        var instructions = new List<Instruction>();
        while (index < lines.Length)
        {
            string line = lines[index];
            string trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) { index++; continue; }

            int startLine = index + 1;
            var logical = new StringBuilder();
            bool continues = true;
            while (continues && index < lines.Length)
            {
                string current = lines[index++];
                if (logical.Length > 0 && current.TrimStart().StartsWith('#')) continue;   // comments inside a continuation
                string body = current.TrimEnd();
                continues = body.EndsWith(escape) && !EndsWithEscapedEscape(body, escape);
                logical.Append(continues ? body[..^1] : current);
            }
            instructions.Add(ParseInstruction(logical.ToString().Trim(), startLine, fileName, escape));
        }
        return new Dockerfile(escape, instructions);
    }

    /// <summary>"foo \\\\" ends in an escaped escape character, not a continuation.</summary>
    private static bool EndsWithEscapedEscape(string body, char escape)
    {
        int count = 0;
        for (int i = body.Length - 1; i >= 0 && body[i] == escape; i--) count++;
        return count % 2 == 0;
    }

    private static DockerfileException Error(string file, int line, string message) => new($"{file} parse error line {line}: {message}");

    /// <summary>Parses one logical line ("COPY --from=build /a /b") into an instruction.</summary>
    public static Instruction ParseInstruction(string text, int line, string fileName = "Dockerfile", char escape = '\\')
    {
        int space = IndexOfBlank(text);
        string keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
        string rest = space < 0 ? "" : text[space..].Trim();
        if (!Keywords.Contains(keyword)) throw Error(fileName, line, $"unknown instruction: {keyword}");

        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (FlagForms.Contains(keyword))
        {
            while (rest.StartsWith("--", StringComparison.Ordinal))
            {
                int end = IndexOfBlank(rest);
                string flag = end < 0 ? rest : rest[..end];
                if (flag == "--") break;
                int eq = flag.IndexOf('=');
                string name = eq < 0 ? flag[2..] : flag[2..eq];
                flags[name] = eq < 0 ? "" : flag[(eq + 1)..];
                rest = end < 0 ? "" : rest[end..].TrimStart();
            }
        }

        IReadOnlyList<string>? json = null;
        if (JsonForms.Contains(keyword) || (keyword == "HEALTHCHECK")) json = TryJsonArray(rest);

        Instruction? trigger = null;
        if (keyword == "ONBUILD")
        {
            if (rest.Length == 0) throw Error(fileName, line, "ONBUILD requires at least one argument");
            trigger = ParseInstruction(rest, line, fileName, escape);
            if (trigger.Keyword is "ONBUILD") throw Error(fileName, line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            if (trigger.Keyword is "FROM" or "MAINTAINER") throw Error(fileName, line, $"{trigger.Keyword} isn't allowed as an ONBUILD trigger");
        }
        if (rest.Length == 0 && keyword is not ("RUN" or "CMD" or "ENTRYPOINT"))
            throw Error(fileName, line, $"{keyword} requires at least one argument");
        return new Instruction(keyword, rest, flags, json, line, text) { Trigger = trigger };
    }

    private static int IndexOfBlank(string s)
    {
        for (int i = 0; i < s.Length; i++) if (s[i] is ' ' or '\t') return i;
        return -1;
    }

    /// <summary>A JSON array of strings, or null (Docker then takes the text as the shell form).</summary>
    public static List<string>? TryJsonArray(string text)
    {
        if (!text.StartsWith('[') || !text.TrimEnd().EndsWith(']')) return null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return null;
            var list = new List<string>();
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) return null;
                list.Add(item.GetString()!);
            }
            return list;
        }
        catch (JsonException) { return null; }
    }
}
