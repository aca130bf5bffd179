using System.Text;
using System.Text.Json;

namespace MiniContainer.Images;

/// <summary>
/// The Dockerfile instructions `docker import --change` accepts, parsed and applied to an image's
/// <see cref="ContainerDefaults"/>: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL.
/// CMD, ENTRYPOINT and VOLUME take the JSON form (["a","b"]) or the shell form (CMD echo hi → ["/bin/sh","-c","echo hi"]).
/// ENV and LABEL take KEY=VALUE pairs (quotes and backslashes as in a Dockerfile) or the old "KEY VALUE" form.
/// No $VARIABLE substitution is done (import has no build context to take values from).
/// </summary>
public sealed class ImageConfigChanges
{
    public List<string>? Cmd { get; private set; }
    public List<string>? Entrypoint { get; private set; }
    /// <summary>KEY=VALUE pairs in the order given; a later one wins.</summary>
    public List<string> Env { get; } = new();
    public string? WorkingDir { get; private set; }
    public string? User { get; private set; }
    /// <summary>"80/tcp", "53/udp".</summary>
    public List<string> ExposedPorts { get; } = new();
    public Dictionary<string, string> Labels { get; } = new();
    public List<string> Volumes { get; } = new();
    public string? StopSignal { get; private set; }

    /// <summary>Parses several lines (the repeated --change flags / the "changes" query parameter).</summary>
    public static ImageConfigChanges FromLines(IEnumerable<string> lines)
    {
        var changes = new ImageConfigChanges();
        foreach (string line in lines) changes.Parse(line);
        return changes;
    }

    /// <summary>Parses one more instruction line, e.g. "CMD [\"sh\"]", into this set of changes.
    /// Throws FormatException with Docker's wording ("RUN is not a valid change command").</summary>
    public void Parse(string line)
    {
        string trimmed = line.Trim();
        int space = trimmed.IndexOfAny([' ', '\t']);
        string instruction = (space < 0 ? trimmed : trimmed[..space]).ToUpperInvariant();
        string rest = space < 0 ? "" : trimmed[(space + 1)..].Trim();
        if (instruction.Length == 0) throw new FormatException("empty change: expected a Dockerfile instruction such as CMD [\"sh\"]");
        if (rest.Length == 0 && instruction is "CMD" or "ENTRYPOINT" or "ENV" or "WORKDIR" or "USER" or "EXPOSE" or "LABEL" or "VOLUME" or "STOPSIGNAL")
            throw new FormatException($"{instruction} requires at least one argument");

        switch (instruction)
        {
            case "CMD": Cmd = CommandForm(rest); break;
            case "ENTRYPOINT": Entrypoint = CommandForm(rest); break;
            case "ENV":
                foreach (var (key, value) in KeyValuePairs(rest, "ENV")) Env.Add($"{key}={value}");
                break;
            case "LABEL":
                foreach (var (key, value) in KeyValuePairs(rest, "LABEL")) Labels[key] = value;
                break;
            case "WORKDIR": WorkingDir = rest; break;
            case "USER": User = rest; break;
            case "EXPOSE":
                foreach (string port in Words(rest)) ExposedPorts.AddRange(ExpandPort(port));
                break;
            case "VOLUME":
                var volumes = TryJsonArray(rest) ?? Words(rest);
                if (volumes.Any(v => v.Trim().Length == 0)) throw new FormatException("VOLUME specified can not be an empty string");
                Volumes.AddRange(volumes);
                break;
            case "STOPSIGNAL":
                if (!IsSignal(rest)) throw new FormatException($"Invalid signal: {rest}");
                StopSignal = rest;
                break;
            default:
                throw new FormatException($"{instruction} is not a valid change command");
        }
    }

    /// <summary>Writes these changes over <paramref name="config"/> (later instructions already won over earlier ones).</summary>
    public void ApplyTo(ContainerDefaults config)
    {
        if (Cmd != null) config.Cmd = new List<string>(Cmd);
        if (Entrypoint != null) config.Entrypoint = new List<string>(Entrypoint);
        foreach (string pair in Env)
        {
            string key = pair[..pair.IndexOf('=')];
            config.Env ??= new List<string>();
            config.Env.RemoveAll(e => e == key || e.StartsWith(key + "=", StringComparison.Ordinal));
            config.Env.Add(pair);
        }
        if (WorkingDir != null)
            // A relative WORKDIR is relative to the one before it, as in a Dockerfile.
            config.WorkingDir = WorkingDir.StartsWith('/') ? WorkingDir : Path.Combine(config.WorkingDir is { Length: > 0 } w ? w : "/", WorkingDir);
        if (User != null) config.User = User;
        foreach (string port in ExposedPorts) (config.ExposedPorts ??= new())[port] = EmptyObject.Instance;
        foreach (var (key, value) in Labels) (config.Labels ??= new())[key] = value;
        foreach (string volume in Volumes) (config.Volumes ??= new())[volume] = EmptyObject.Instance;
        if (StopSignal != null) config.StopSignal = StopSignal;
    }

    /// <summary>JSON form ["a","b"] as is; anything else is the shell form, run by /bin/sh -c.</summary>
    private static List<string> CommandForm(string rest) => TryJsonArray(rest) ?? ["/bin/sh", "-c", rest];

    /// <summary>A JSON array of strings, or null when the text is not one (Docker then falls back to the shell form).</summary>
    private static List<string>? TryJsonArray(string text)
    {
        if (!text.StartsWith('[')) return null;
        try { return JsonSerializer.Deserialize(text, ImageJson.Default.StringList); }
        catch (JsonException) { return null; }
    }

    /// <summary>"A=1 B=\"two words\"" → (A,1),(B,two words); the old form "A one two" → (A,"one two").</summary>
    private static List<(string Key, string Value)> KeyValuePairs(string rest, string instruction)
    {
        var words = Words(rest);
        var pairs = new List<(string, string)>();
        if (!words[0].Contains('='))
        {
            // Old form: the first word is the key, the rest of the line (as written) is the value.
            int space = rest.IndexOfAny([' ', '\t']);
            if (space < 0) throw new FormatException($"{instruction} must have two arguments");
            pairs.Add((Words(rest[..space])[0], rest[(space + 1)..].Trim()));
            return pairs;
        }
        foreach (string word in words)
        {
            int eq = word.IndexOf('=');
            if (eq < 0) throw new FormatException($"Syntax error - can't find = in \"{word}\". Must be of the form: name=value");
            if (eq == 0) throw new FormatException($"{instruction} names can not be blank");
            pairs.Add((word[..eq], word[(eq + 1)..]));
        }
        return pairs;
    }

    /// <summary>Splits on blanks, honouring "double quotes" (with \ escapes), 'single quotes' and backslashes, as a Dockerfile does.</summary>
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; } continue; }
            inWord = true;
            if (c == '\\' && i + 1 < text.Length) { word.Append(text[++i]); continue; }
            if (c == '"' || c == '\'')
            {
                int close = i + 1;
                for (; close < text.Length && text[close] != c; close++)
                {
                    if (c == '"' && text[close] == '\\' && close + 1 < text.Length) close++;
                    word.Append(text[close]);
                }
                if (close >= text.Length) throw new FormatException($"unexpected end of statement while looking for matching {c}");
                i = close;
                continue;
            }
            word.Append(c);
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    /// <summary>"80" → ["80/tcp"], "53/udp" → ["53/udp"], "8000-8001" → ["8000/tcp","8001/tcp"].</summary>
    private static IEnumerable<string> ExpandPort(string spec)
    {
        string[] parts = spec.Split('/');
        string protocol = parts.Length > 1 ? parts[1].ToLowerInvariant() : "tcp";
        if (parts.Length > 2 || protocol is not ("tcp" or "udp" or "sctp")) throw new FormatException($"invalid proto: {spec}");
        string[] range = parts[0].Split('-');
        if (range.Length > 2 || !ushort.TryParse(range[0], out ushort first) || first == 0) throw new FormatException($"Invalid containerPort: {parts[0]}");
        ushort last = first;
        if (range.Length == 2 && (!ushort.TryParse(range[1], out last) || last < first)) throw new FormatException($"Invalid containerPort: {parts[0]}");
        for (int port = first; port <= last; port++) yield return $"{port}/{protocol}";
    }

    /// <summary>"SIGTERM", "TERM", "SIGRTMIN+3" or a number.</summary>
    private static bool IsSignal(string text) =>
        System.Text.RegularExpressions.Regex.IsMatch(text, @"^(?:[0-9]{1,2}|(?:SIG)?[A-Z][A-Z0-9]*(?:[+-][0-9]+)?)$");
}
