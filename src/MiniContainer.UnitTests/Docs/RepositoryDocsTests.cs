using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace MiniContainer.UnitTests.Docs;

/// <summary>
/// The docs are written for a reader who has only the clone: every `path:line` anchor in docs/*.md and README.md must
/// name a file of this repository and a line inside it, and be followed by a backticked snippet of the code on that
/// line (so that an anchor left behind by an edit fails here instead of pointing at a brace); every relative Markdown
/// link (inline or a reference definition) must resolve inside the repository, the lessons must be reachable from the
/// README, and no tracked file may point outside the repository (design notes that lived elsewhere, or this
/// build machine's own paths).
/// </summary>
public class RepositoryDocsTests
{
    private static readonly string Repo = FindRepo();

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MiniContainer.sln"))) return dir.FullName;
        throw new InvalidOperationException("MiniContainer.sln not found above " + AppContext.BaseDirectory);
    }

    private static IEnumerable<string> DocFiles() =>
        Directory.GetFiles(Path.Combine(Repo, "docs"), "*.md", SearchOption.AllDirectories).Append(Path.Combine(Repo, "README.md"));

    // `src/MiniContainer.Shim/InitStage.cs:36` `PivotRoot(spec.Rootfs.MergedDir)`: a repository path, a colon, a line
    // number, in backticks; then, after a space (or a line break), the code that line holds, in backticks.
    private static readonly Regex Anchor = new(
        @"`(?<path>(?:src|native-tests|scripts|rootfs-fixtures|docs)/[^`\s:]+):(?<line>\d+)`" +
        @"(?:(?:[ \t]+|[ \t]*\r?\n[ \t]*)`(?<snippet>[^`\r\n]+)`)?");

    // `:71`: a line of the file named just before. It carries no snippet and cannot be checked: write it in full.
    private static readonly Regex BareAnchor = new(@"`:\d+`");

    [Fact]
    public void Every_path_line_anchor_in_the_docs_quotes_the_code_on_its_line()
    {
        var problems = new List<string>();
        int anchors = 0;
        foreach (string doc in DocFiles())
        {
            string text = File.ReadAllText(doc);
            string name = Path.GetRelativePath(Repo, doc);
            foreach (Match m in Anchor.Matches(text))
            {
                anchors++;
                string where = $"{name}:{LineOf(text, m.Index)}: `{m.Groups["path"].Value}:{m.Groups["line"].Value}`";
                string file = Path.Combine(Repo, m.Groups["path"].Value);
                int line = int.Parse(m.Groups["line"].Value);
                if (!File.Exists(file)) { problems.Add($"{where}: no such file"); continue; }
                string[] lines = File.ReadAllLines(file);
                if (line < 1 || line > lines.Length) { problems.Add($"{where}: the file has {lines.Length} lines"); continue; }
                if (!m.Groups["snippet"].Success)
                {
                    problems.Add($"{where}: no snippet: follow the anchor with the code of that line in backticks, e.g. `{Suggest(lines[line - 1])}`");
                    continue;
                }
                string snippet = m.Groups["snippet"].Value;
                if (snippet.Trim().Length < 4 || !snippet.Any(char.IsLetter))
                    problems.Add($"{where} `{snippet}`: the snippet is too short to tell one line from another");
                else if (!lines[line - 1].Contains(snippet, StringComparison.Ordinal))
                {
                    var found = Enumerable.Range(1, lines.Length).Where(i => lines[i - 1].Contains(snippet, StringComparison.Ordinal)).ToList();
                    problems.Add($"{where} `{snippet}`: line {line} now holds `{lines[line - 1].Trim()}`; " +
                                 (found.Count == 0 ? "the snippet is on no line of that file"
                                                   : $"the snippet is on line{(found.Count > 1 ? "s" : "")} {string.Join(", ", found)}"));
                }
            }
            foreach (Match m in BareAnchor.Matches(text))
                problems.Add($"{name}:{LineOf(text, m.Index)}: {m.Value}: a bare line number cannot be checked; write `path:line` `snippet`");
        }
        Assert.True(anchors >= 40, $"only {anchors} anchors found: is docs/TOUR.md there?");
        Assert.True(problems.Count == 0, $"{problems.Count} doc anchor(s) do not point at the code they quote:\n" + string.Join("\n", problems));
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    /// <summary>A snippet to propose for an anchor that has none: the start of the line's code, short of any backtick.</summary>
    private static string Suggest(string line)
    {
        string code = line.Trim().Replace("`", "");
        return code.Length > 40 ? code[..40] : code;
    }

    // [text](target) and [text](target#anchor), and reference definitions "[label]: target" at the start of a line.
    private static readonly Regex Link = new(@"\]\((?<target>[^)#\s]+)(?:#[^)]*)?\)|^[ ]{0,3}\[[^\]\r\n]+\]:[ \t]+<?(?<target>[^>#\s]+)", RegexOptions.Multiline);

    /// <summary>The relative link targets of one Markdown file (web and mail links left out).</summary>
    private static IEnumerable<string> RelativeLinks(string doc) =>
        Link.Matches(File.ReadAllText(doc)).Select(m => m.Groups["target"].Value)
            .Where(t => !t.Contains("://") && !t.StartsWith("mailto:", StringComparison.Ordinal));

    [Fact]
    public void Every_relative_markdown_link_in_the_docs_resolves_inside_the_repository()
    {
        var problems = new List<string>();
        int links = 0;
        foreach (string doc in DocFiles())
            foreach (string target in RelativeLinks(doc))
            {
                links++;
                string full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(doc)!, target));
                string name = Path.GetRelativePath(Repo, doc);
                if (!full.StartsWith(Repo + Path.DirectorySeparatorChar, StringComparison.Ordinal)) problems.Add($"{name}: {target} leaves the repository");
                else if (!File.Exists(full) && !Directory.Exists(full)) problems.Add($"{name}: {target} does not exist");
            }
        Assert.True(links >= 30, $"only {links} relative links found in README.md and docs/**.md: is the pattern still right?");
        Assert.Empty(problems);
    }

    [Fact]
    public void The_lessons_are_reachable_from_the_README()
    {
        // docs/lessons/*.md are checked by the tests above like every doc (DocFiles walks docs/ recursively); here:
        // README.md links the lessons' index, and the index links every lesson.
        string index = Path.Combine(Repo, "docs", "lessons", "README.md");
        Assert.Contains(DocFiles(), f => f == index);
        Assert.Contains("docs/lessons/README.md", RelativeLinks(Path.Combine(Repo, "README.md")));
        var linked = RelativeLinks(index).ToHashSet();
        var lessons = Directory.GetFiles(Path.GetDirectoryName(index)!, "??-*.md").Select(Path.GetFileName).ToList();
        Assert.Equal(6, lessons.Count);
        Assert.All(lessons, l => Assert.Contains(l!, linked));
    }

    [Fact]
    public void No_tracked_file_references_a_path_outside_the_repository()
    {
        // Spelled in pieces so that this file does not match itself. The one sibling path allowed is where CI puts other
        // people's test suites (scripts/test.sh runs one when it is there, and does without it).
        var outside = new Regex(string.Join("|",
            Regex.Escape("../" + "shared") + "(?!/third-party\\b)",
            Regex.Escape("DESIGN" + ".md"),
            "/" + "work/(?:main|wt|shared|notes|\\.library|\\.mirror)\\b"));
        var problems = new List<string>();
        foreach (string relative in TrackedFiles())
        {
            string file = Path.Combine(Repo, relative);
            if (!File.Exists(file) || new FileInfo(file).Length > 4_000_000) continue;
            string text = File.ReadAllText(file);
            if (text.Contains('\0')) continue;   // binary
            foreach (Match m in outside.Matches(text)) problems.Add($"{relative}: {m.Value}");
        }
        Assert.Empty(problems);
    }

    /// <summary>git ls-files when this is a git checkout; otherwise every file but build output.</summary>
    private static IEnumerable<string> TrackedFiles()
    {
        if (Directory.Exists(Path.Combine(Repo, ".git")) || File.Exists(Path.Combine(Repo, ".git")))
        {
            var psi = new ProcessStartInfo("git", ["-C", Repo, "ls-files", "-z"]) { RedirectStandardOutput = true };
            try
            {
                using var git = Process.Start(psi)!;
                string output = git.StandardOutput.ReadToEnd();
                git.WaitForExit();
                if (git.ExitCode == 0) return output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (System.ComponentModel.Win32Exception) { }   // no git: fall through
        }
        string[] skipped = ["/bin/", "/obj/", "/artifacts/", "/.git/"];
        return Directory.GetFiles(Repo, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Repo, f))
            .Where(f => !skipped.Any(s => ("/" + f).Contains(s, StringComparison.Ordinal)));
    }
}
