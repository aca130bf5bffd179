using MiniContainer.Build;
using MiniContainer.Cli.Build;
using Xunit;

namespace MiniContainer.UnitTests.Build;

/// <summary>The examples of Docker's .dockerignore documentation, and the edges of Go's filepath.Match.</summary>
public class IgnorePatternsTests
{
    [Theory]
    [InlineData("somedir/temporary.txt", true)]
    [InlineData("somedir/temp", true)]
    [InlineData("somedir/temp/inside", true)]
    [InlineData("somedir/subdir/temporary.txt", true)]
    [InlineData("tempa", true)]
    [InlineData("tempb", true)]
    [InlineData("temp", false)]
    [InlineData("temporary.txt", false)]
    [InlineData("a/b/c/temp.txt", false)]
    public void Documented_example(string path, bool ignored)
    {
        var patterns = IgnorePatterns.Parse("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
        Assert.Equal(ignored, patterns.IsIgnored(path));
    }

    [Fact]
    public void Double_star_matches_any_number_of_directories()
    {
        var p = IgnorePatterns.Parse("**/*.go\n");
        Assert.True(p.IsIgnored("main.go"));
        Assert.True(p.IsIgnored("a/b/c/main.go"));
        Assert.False(p.IsIgnored("main.goo"));
        Assert.True(IgnorePatterns.Parse("a/**/z").IsIgnored("a/z"));
        Assert.True(IgnorePatterns.Parse("a/**/z").IsIgnored("a/b/c/z"));
        Assert.True(IgnorePatterns.Parse("a/**").IsIgnored("a/b/c"));
    }

    [Fact]
    public void Exceptions_and_last_match_wins()
    {
        var p = IgnorePatterns.Parse("*.md\n!README*.md\nREADME-secret.md\n");
        Assert.True(p.IsIgnored("CHANGES.md"));
        Assert.False(p.IsIgnored("README.md"));
        Assert.True(p.IsIgnored("README-secret.md"));
        var q = IgnorePatterns.Parse("*.md\nREADME-secret.md\n!README*.md\n");
        Assert.False(q.IsIgnored("README-secret.md"));
    }

    [Fact]
    public void Leading_slash_and_dot_slash_are_cleaned_and_star_never_crosses_a_slash()
    {
        Assert.True(IgnorePatterns.Parse("/secret\n").IsIgnored("secret"));
        Assert.True(IgnorePatterns.Parse("./build//out/\n").IsIgnored("build/out/x.o"));
        Assert.False(IgnorePatterns.Parse("*.txt").IsIgnored("dir/a.txt"));
        Assert.True(IgnorePatterns.Parse("[a-c]?.log\n").IsIgnored("bx.log"));
        Assert.False(IgnorePatterns.Parse("[!a-c]?.log\n").IsIgnored("bx.log"));
        Assert.True(IgnorePatterns.Parse("a\\*b").IsIgnored("a*b"));
        Assert.False(IgnorePatterns.Parse("a\\*b").IsIgnored("axb"));
    }

    [Theory]
    [InlineData("[abc")]
    [InlineData("abc\\")]
    [InlineData("a]")]
    [InlineData("[]a]")]
    public void Broken_patterns_are_a_clear_error(string pattern)
    {
        var e = Assert.Throws<IgnorePatternException>(() => IgnorePatterns.Parse("ok\n" + pattern + "\n"));
        Assert.Contains("syntax error in pattern", e.Message);
        Assert.Contains(".dockerignore line 2", e.Message);
    }

    [Fact]
    public void Context_leaves_out_ignored_files_but_always_sends_the_Dockerfile_and_dockerignore()
    {
        string dir = Directory.CreateTempSubdirectory("mc-ctx-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Dockerfile"), "FROM scratch");
            File.WriteAllText(Path.Combine(dir, ".dockerignore"), "Dockerfile\n.dockerignore\nlogs\n*.tmp\n!keep.tmp\nsecrets/**\n");
            Directory.CreateDirectory(Path.Combine(dir, "logs"));
            File.WriteAllText(Path.Combine(dir, "logs/a.log"), "");
            File.WriteAllText(Path.Combine(dir, "x.tmp"), "");
            File.WriteAllText(Path.Combine(dir, "keep.tmp"), "");
            Directory.CreateDirectory(Path.Combine(dir, "src/secrets"));
            File.WriteAllText(Path.Combine(dir, "src/app.c"), "");
            var entries = new BuildContext(dir, "Dockerfile").Entries().ToList();
            Assert.Equal(new[] { ".dockerignore", "Dockerfile", "keep.tmp", "src", "src/app.c", "src/secrets" }, entries);
        }
        finally { Directory.Delete(dir, true); }
    }
}

public class HistoryRowTests
{
    [Fact]
    public void Created_by_is_cut_at_45_characters_and_ids_are_shortened_unless_no_trunc()
    {
        var row = new System.Text.Json.Nodes.JsonObject
        {
            ["Id"] = "sha256:" + new string('a', 64), ["Created"] = 0L, ["Size"] = 1500L, ["Comment"] = "",
            ["CreatedBy"] = "/bin/sh -c apt-get update && apt-get install -y something-long",
        };
        var now = DateTimeOffset.FromUnixTimeSeconds(3600);
        var cells = MiniContainer.Cli.Commands.HistoryCommands.HistoryRow(row, truncate: true, human: true, now);
        Assert.Equal("aaaaaaaaaaaa", cells[0]);
        Assert.Equal(45, cells[2].Length);
        Assert.EndsWith("…", cells[2]);
        Assert.Equal("1.5kB", cells[3]);
        var full = MiniContainer.Cli.Commands.HistoryCommands.HistoryRow(row, truncate: false, human: false, now);
        Assert.Equal("sha256:" + new string('a', 64), full[0]);
        Assert.Equal("1500", full[3]);
        Assert.Equal("/bin/sh -c apt-get update && apt-get install -y something-long", full[2]);
    }
}
