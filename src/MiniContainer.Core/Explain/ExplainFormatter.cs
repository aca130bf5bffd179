using System.Globalization;
using System.Text;

namespace MiniContainer.Explaining;

/// <summary>
/// How `--explain` reads on a terminal (or a projector): the steps in the order they happened, with a heading
/// whenever the phase changes (and whenever the verb does, when a whole log is replayed). For each step the
/// sentence, then the shell equivalent after "$", the system call after "syscall:", and the measured time:
///
///   ── cgroup ──────────────────────────────────────────────
///   • Limit the container's memory to 33554432 bytes (32 MiB): …
///       $ echo 33554432 > /sys/fs/cgroup/minicontainer/3f…/memory.max
///       syscall: openat(AT_FDCWD, "…/memory.max", O_WRONLY|O_TRUNC); write(fd, "33554432", 8)   0.04 ms · shim
/// </summary>
public static partial class ExplainFormatter
{
    public const int Width = 100;

    /// <param name="defined">Containers whose ID=/C= lines were printed already (by an earlier call of one command,
    /// e.g. run's create and then its start): they are not printed again. Null: always print them.</param>
    public static string Text(IEnumerable<ExplainStep> steps, bool showActions = false, ISet<string>? defined = null)
    {
        var o = new StringBuilder();
        var list = steps.ToList();
        var shorten = Abbreviations(list, o, defined);
        string? action = null, phase = null;
        foreach (var step in list)
        {
            var s = shorten(step);
            if (showActions && s.Action != action)
            {
                action = s.Action;
                phase = null;
                o.Append('\n').Append("▶ ").Append(action ?? "").Append('\n');
            }
            if (s.Phase != phase)
            {
                phase = s.Phase;
                string title = $"── {ExplainPhase.Title(phase)} ";
                o.Append('\n').Append(title).Append(new string('─', Math.Max(3, Width - title.Length))).Append('\n');
            }
            Wrap(o, "• ", "  ", s.Sentence);
            foreach (string line in s.Shell.Split('\n'))
                if (line.Length > 0) o.Append("    $ ").Append(line).Append('\n');
            o.Append("    syscall: ").Append(s.Syscall).Append("   ").Append(Duration(s.DurationUs)).Append(" · ").Append(s.Process).Append('\n');
        }
        return o.ToString();
    }

    /// <summary>
    /// A container's paths are long (its 64-hex id, the data root): on screen they become shell variables, defined
    /// once at the top, so every command stays one a student can paste — ID=3f…, C=/var/lib/minicontainer/containers/$ID.
    /// </summary>
    private static Func<ExplainStep, ExplainStep> Abbreviations(List<ExplainStep> steps, StringBuilder o, ISet<string>? defined)
    {
        var id = steps.Select(s => IdPattern().Match(s.Syscall + " " + s.Shell)).FirstOrDefault(m => m.Success)?.Value;
        if (id is null) return s => s;
        string? dir = steps.Select(s => ContainerDir(s.Syscall + " " + s.Shell, id)).FirstOrDefault(d => d is not null);
        if (defined is null || defined.Add(id))
        {
            o.Append($"ID={id}\n");
            if (dir is not null) o.Append($"C={dir.Replace(id, "$ID")}\n");
        }
        string Short(string text)
        {
            if (dir is not null) text = text.Replace(dir, "$C");
            return text.Replace(id, "$ID");
        }
        return s => s with { Sentence = Short(s.Sentence), Shell = Short(s.Shell), Syscall = Short(s.Syscall) };
    }

    /// <summary>A container's id, where its paths name it (its directory, its cgroup): never a layer's digest
    /// (sha256:…) or an image layer's directory, which a build's steps name too. Generated at build time: the CLI is
    /// a new process for every command, and building a regex at run time would cost it on every --explain.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("(?<=/containers/|/minicontainer/)[0-9a-f]{64}(?![0-9a-f])")]
    private static partial System.Text.RegularExpressions.Regex IdPattern();

    /// <summary>The container's directory as a path in <paramref name="text"/> names it ("/var/lib/minicontainer/
    /// containers/ID"): from the path's first character to the id.</summary>
    private static string? ContainerDir(string text, string id)
    {
        string tail = "/containers/" + id;
        int at = text.IndexOf(tail, StringComparison.Ordinal);
        if (at < 0) return null;
        int start = at;
        while (start > 0 && !(char.IsWhiteSpace(text[start - 1]) || text[start - 1] is '"' or '\'' or '=' or ',' or ':' or '(')) start--;
        return text[start] == '/' ? text[start..(at + tail.Length)] : null;
    }

    /// <summary>The same steps as JSON lines (--explain=json).</summary>
    public static string JsonLines(IEnumerable<ExplainStep> steps)
    {
        var o = new StringBuilder();
        foreach (var s in steps) o.Append(ExplainLog.Serialize(s)).Append('\n');
        return o.ToString();
    }

    /// <summary>"0.04 ms", "12.3 ms"; "—" for a step whose end was never seen.</summary>
    public static string Duration(long us) => us < 0 ? "—"
        : us < 10_000 ? (us / 1000.0).ToString("0.00", CultureInfo.InvariantCulture) + " ms"
        : (us / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static void Wrap(StringBuilder o, string first, string rest, string text)
    {
        string prefix = first;
        var line = new StringBuilder();
        foreach (string word in text.Split(' '))
        {
            if (line.Length > 0 && prefix.Length + line.Length + 1 + word.Length > Width)
            {
                o.Append(prefix).Append(line).Append('\n');
                line.Clear();
                prefix = rest;
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        o.Append(prefix).Append(line).Append('\n');
    }
}
