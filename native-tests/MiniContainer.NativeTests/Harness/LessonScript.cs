using System.Text.RegularExpressions;

namespace MiniContainer.NativeTests.Harness;

/// <summary>How a lesson's command block must end: succeed, fail, or fail with one exit status.</summary>
public enum Outcome { Succeeds, Fails, ExitsWith }

/// <summary>
/// One ```sh block of a lesson: the commands, where they are (the fence's line in the file), how they must end and
/// the lines of the ```text block that follows it, each of which the output must contain.
/// </summary>
public sealed record LessonBlock(int Line, string Commands, Outcome Outcome, int ExitCode, IReadOnlyList<string> Expected)
{
    public override string ToString() => $"line {Line}: ```sh{Outcome switch { Outcome.Fails => " fails", Outcome.ExitsWith => $" exit={ExitCode}", _ => "" }}";
}

/// <summary>
/// Reads a lesson (docs/lessons/NN-*.md) into the blocks to run, by the conventions docs/lessons/README.md states:
/// ```sh blocks run (```sh fails must fail, ```sh exit=N must exit N), a ```text block right after one (only blank
/// lines between) is what it prints, and every other block is for reading only. A block that must fail needs its
/// ```text block, so that a command failing for some other reason is not taken for the failure the lesson teaches.
/// </summary>
public static class LessonScript
{
    private static readonly Regex Fence = new(@"^```(?<info>.*)$");
    private static readonly Regex ExitN = new(@"^exit=(?<n>\d+)$");

    public static List<LessonBlock> Parse(string markdown, string name)
    {
        string[] lines = markdown.Replace("\r", "").Split('\n');
        var blocks = new List<LessonBlock>();
        int lastShEnd = -1;   // index of the closing fence of the last ```sh block
        for (int i = 0; i < lines.Length; i++)
        {
            var open = Fence.Match(lines[i]);
            if (!open.Success) continue;
            string[] info = open.Groups["info"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && lines[i] != "```"; i++) body.Add(lines[i]);
            if (i >= lines.Length) throw new FormatException($"{name}:{start + 1}: a ``` block is never closed");
            string lang = info.Length > 0 ? info[0] : "";
            if (lang == "sh")
            {
                blocks.Add(ShBlock(name, start + 1, info[1..], string.Join('\n', body)));
                lastShEnd = i;
            }
            else if (lang == "text" && lastShEnd >= 0 && Enumerable.Range(lastShEnd + 1, start - lastShEnd - 1).All(k => lines[k].Trim().Length == 0))
            {
                var expected = body.Where(l => l.Trim().Length > 0).ToList();
                blocks[^1] = blocks[^1] with { Expected = expected };
                lastShEnd = -1;
            }
            else lastShEnd = -1;
        }
        foreach (var b in blocks)
            if (b.Outcome != Outcome.Succeeds && b.Expected.Count == 0)
                throw new FormatException($"{name}:{b.Line}: a block that must fail needs a ```text block after it saying how it fails");
        return blocks;
    }

    private static LessonBlock ShBlock(string name, int line, string[] attributes, string commands)
    {
        if (commands.Trim().Length == 0) throw new FormatException($"{name}:{line}: an empty ```sh block");
        return attributes switch
        {
            [] => new LessonBlock(line, commands, Outcome.Succeeds, 0, []),
            ["fails"] => new LessonBlock(line, commands, Outcome.Fails, 0, []),
            [var a] when ExitN.Match(a) is { Success: true } m => new LessonBlock(line, commands, Outcome.ExitsWith, int.Parse(m.Groups["n"].Value), []),
            _ => throw new FormatException($"{name}:{line}: ```sh {string.Join(' ', attributes)}: only \"fails\" or \"exit=N\" may follow sh"),
        };
    }

    /// <summary>
    /// The expected lines the output lacks. A line matches when its pieces between "…" appear in that order on one
    /// output line; runs of white space count as one space on both sides.
    /// </summary>
    public static List<string> Missing(IReadOnlyList<string> expected, string output)
    {
        var outputLines = output.Replace("\r", "").Split('\n').Select(Squeeze).ToList();
        return expected.Where(e => !outputLines.Any(l => Matches(Squeeze(e), l))).ToList();
    }

    private static bool Matches(string expected, string line)
    {
        int at = 0;
        foreach (string piece in expected.Split('…').Select(p => p.Trim()).Where(p => p.Length > 0))
        {
            int found = line.IndexOf(piece, at, StringComparison.Ordinal);
            if (found < 0) return false;
            at = found + piece.Length;
        }
        return true;
    }

    private static string Squeeze(string s) => Regex.Replace(s.Trim(), @"\s+", " ");
}
