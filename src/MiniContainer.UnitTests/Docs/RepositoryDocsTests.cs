using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace MiniContainer.UnitTests.Docs;

/// <summary>
/// The docs are written for a reader who has only the clone: every `path:line` anchor in docs/*.md must name a file
/// of this repository and a line inside it, every relative Markdown link must resolve, and no tracked file may
/// point outside the repository (design notes that lived elsewhere, or this build machine's own paths).
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

    // `src/MiniContainer.Shim/InitStage.cs:34`: a repository path, a colon, a line number, in backticks.
    private static readonly Regex Anchor = new(@"`(?<path>(?:src|native-tests|scripts|rootfs-fixtures|docs)/[^`\s:]+):(?<line>\d+)`");

    [Fact]
    public void Every_path_line_anchor_in_the_docs_points_at_an_existing_line()
    {
        var problems = new List<string>();
        int anchors = 0;
        foreach (string doc in DocFiles())
            foreach (Match m in Anchor.Matches(File.ReadAllText(doc)))
            {
                anchors++;
                string file = Path.Combine(Repo, m.Groups["path"].Value);
                int line = int.Parse(m.Groups["line"].Value);
                if (!File.Exists(file)) problems.Add($"{Path.GetFileName(doc)}: {m.Value}: no such file");
                else if (line < 1 || line > File.ReadAllLines(file).Length) problems.Add($"{Path.GetFileName(doc)}: {m.Value}: the file has {File.ReadAllLines(file).Length} lines");
            }
        Assert.True(anchors >= 40, $"only {anchors} anchors found: is docs/TOUR.md there?");
        Assert.Empty(problems);
    }

    [Fact]
    public void Every_relative_markdown_link_in_the_docs_resolves_inside_the_repository()
    {
        var link = new Regex(@"\]\((?<target>[^)#\s]+)(?:#[^)]*)?\)");
        var problems = new List<string>();
        foreach (string doc in DocFiles())
            foreach (Match m in link.Matches(File.ReadAllText(doc)))
            {
                string target = m.Groups["target"].Value;
                if (target.Contains("://") || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                string full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(doc)!, target));
                if (!full.StartsWith(Repo + Path.DirectorySeparatorChar, StringComparison.Ordinal)) problems.Add($"{doc}: {target} leaves the repository");
                else if (!File.Exists(full) && !Directory.Exists(full)) problems.Add($"{doc}: {target} does not exist");
            }
        Assert.Empty(problems);
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
