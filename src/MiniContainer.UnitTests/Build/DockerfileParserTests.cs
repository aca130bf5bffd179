using MiniContainer.Build;
using Xunit;

namespace MiniContainer.UnitTests.Build;

public class DockerfileParserTests
{
    [Fact]
    public void Reads_instructions_comments_and_continuations_with_their_first_line()
    {
        var file = DockerfileParser.Parse("""
            # a comment
            from busybox AS base

            RUN echo one \
                two \
            # a comment inside the continuation is dropped
                three
            copy --from=base --chown=1:2 a b /dst/
            """);
        Assert.Equal(new[] { "FROM", "RUN", "COPY" }, file.Instructions.Select(i => i.Keyword));
        Assert.Equal("busybox AS base", file.Instructions[0].Args);
        Assert.Equal("echo one     two     three", file.Instructions[1].Args);
        Assert.Equal(4, file.Instructions[1].Line);
        Assert.Equal(8, file.Instructions[2].Line);
        Assert.Equal("base", file.Instructions[2].Flags["from"]);
        Assert.Equal("1:2", file.Instructions[2].Flags["chown"]);
        Assert.Equal("a b /dst/", file.Instructions[2].Args);
    }

    [Fact]
    public void Unknown_instruction_names_file_and_line_in_Dockers_words()
    {
        var e = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM busybox\n\nRUN true\n\n\n\ncoppy a b\n"));
        Assert.Equal("Dockerfile parse error line 7: unknown instruction: COPPY", e.Message);
        e = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM x\nBOGUS", "build.df"));
        Assert.Equal("build.df parse error line 2: unknown instruction: BOGUS", e.Message);
    }

    [Fact]
    public void Escape_directive_changes_the_continuation_character_and_syntax_is_ignored()
    {
        var file = DockerfileParser.Parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM scratch\nCOPY c:\\a `\n  c:\\b\n");
        Assert.Equal('`', file.Escape);
        Assert.Equal("c:\\a   c:\\b", file.Instructions[1].Args);
    }

    [Fact]
    public void Directives_after_the_first_instruction_or_blank_line_are_comments()
    {
        var file = DockerfileParser.Parse("FROM scratch\n# escape=`\nCOPY a \\\n b\n");
        Assert.Equal('\\', file.Escape);
        Assert.Equal("a  b", file.Instructions[1].Args);
        Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("# escape=x\nFROM scratch"));
    }

    [Fact]
    public void Json_form_is_recognised_and_a_broken_array_is_shell_form()
    {
        var file = DockerfileParser.Parse("FROM scratch\nCMD [\"echo\", \"hi\"]\nENTRYPOINT [echo, hi]\nRUN\n");
        Assert.Equal(new[] { "echo", "hi" }, file.Instructions[1].Json);
        Assert.Null(file.Instructions[2].Json);
        Assert.Equal("", file.Instructions[3].Args);
    }

    [Fact]
    public void Onbuild_carries_a_parsed_trigger_and_refuses_chaining()
    {
        var file = DockerfileParser.Parse("FROM scratch\nONBUILD copy . /app\n");
        Assert.Equal("COPY", file.Instructions[1].Trigger!.Keyword);
        Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM scratch\nONBUILD ONBUILD RUN x"));
        Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM scratch\nONBUILD FROM x"));
    }

    [Fact]
    public void Missing_arguments_are_an_error()
    {
        var e = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM scratch\nWORKDIR\n"));
        Assert.Equal("Dockerfile parse error line 2: WORKDIR requires at least one argument", e.Message);
    }

    [Fact]
    public void Escaped_escape_at_end_of_line_is_not_a_continuation()
    {
        var file = DockerfileParser.Parse("FROM scratch\nRUN echo \\\\\nRUN true\n");
        Assert.Equal(3, file.Instructions.Count);
    }
}

public class ShellWordsTests
{
    private static readonly Dictionary<string, string> Env = new() { ["A"] = "alpha", ["EMPTY"] = "", ["SP"] = "a b" };
    private static string X(string word) => ShellWords.Expand(word, n => Env.TryGetValue(n, out var v) ? v : null);

    [Theory]
    [InlineData("$A", "alpha")]
    [InlineData("${A}x", "alphax")]
    [InlineData("$A.$A", "alpha.alpha")]
    [InlineData("$UNSET", "")]
    [InlineData("${UNSET:-def}", "def")]
    [InlineData("${EMPTY:-def}", "def")]
    [InlineData("${EMPTY-def}", "")]
    [InlineData("${UNSET-def}", "def")]
    [InlineData("${A:+alt}", "alt")]
    [InlineData("${UNSET:+alt}", "")]
    [InlineData("${EMPTY+alt}", "alt")]
    [InlineData("${UNSET:-${A}}", "alpha")]
    [InlineData("\\$A", "$A")]
    [InlineData("'$A'", "$A")]
    [InlineData("\"$A b\"", "alpha b")]
    [InlineData("\"\\$A\"", "$A")]
    [InlineData("\"a\\b\"", "a\\b")]
    [InlineData("a\\ b", "a b")]
    [InlineData("$", "$")]
    [InlineData("a$-b", "a$-b")]
    public void Expands_like_Docker(string word, string expected) => Assert.Equal(expected, X(word));

    [Fact]
    public void Required_variable_message()
    {
        var e = Assert.Throws<DockerfileException>(() => X("${UNSET:?must be set}"));
        Assert.Equal("UNSET: must be set", e.Message);
        Assert.Throws<DockerfileException>(() => X("${A:=x}"));
        Assert.Throws<DockerfileException>(() => X("${A"));
    }

    [Fact]
    public void Splits_at_unquoted_blanks_keeping_quotes()
    {
        Assert.Equal(new[] { "a=\"x y\"", "b='1 2'", "c\\ d" }, ShellWords.Split("a=\"x y\"  b='1 2' c\\ d"));
        Assert.Equal(new[] { "x y", "1 2", "c d" }, ShellWords.ExpandAll("\"x y\" '1 2' c\\ d", _ => null));
        Assert.Throws<DockerfileException>(() => ShellWords.Split("\"open"));
    }

    [Fact]
    public void Backtick_escape()
    {
        Assert.Equal("$A", ShellWords.Expand("`$A", _ => "no", '`'));
        Assert.Equal("c:\\dir", ShellWords.Expand("c:\\dir", _ => null, '`'));
    }
}

public class BuildHelpersTests
{
    [Theory]
    [InlineData("/abs", "/w", "/abs")]
    [InlineData("rel", "/work", "/work/rel")]
    [InlineData("./", "/work", "/work/")]
    [InlineData("dir/", null, "/dir/")]
    [InlineData("../../x", "/a", "/x")]
    [InlineData(".", null, "/")]
    public void Copy_destination_is_relative_to_workdir_and_keeps_a_trailing_slash(string dest, string? workdir, string expected) =>
        Assert.Equal(expected, CopyStep.DestinationPath(dest, workdir));

    [Theory]
    [InlineData("30s", 30_000_000_000L)]
    [InlineData("1m30s", 90_000_000_000L)]
    [InlineData("500ms", 500_000_000L)]
    public void Healthcheck_durations_are_Go_durations_in_nanoseconds(string text, long ns) =>
        Assert.Equal(ns, Healthcheck.Duration("interval", text));

    [Fact]
    public void Healthcheck_shell_and_exec_forms()
    {
        var shell = Healthcheck.Parse(DockerfileParser.ParseInstruction("HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost", 1));
        Assert.Equal("[\"CMD-SHELL\",\"wget -q localhost\"]", shell["Test"]!.ToJsonString());
        Assert.Equal(5_000_000_000L, (long)shell["Interval"]!);
        var exec = Healthcheck.Parse(DockerfileParser.ParseInstruction("HEALTHCHECK CMD [\"true\"]", 1));
        Assert.Equal("[\"CMD\",\"true\"]", exec["Test"]!.ToJsonString());
        Assert.Equal("[\"NONE\"]", Healthcheck.Parse(DockerfileParser.ParseInstruction("HEALTHCHECK NONE", 1))["Test"]!.ToJsonString());
        Assert.Throws<BuildException>(() => Healthcheck.Parse(DockerfileParser.ParseInstruction("HEALTHCHECK RUN x", 1)));
    }

    [Fact]
    public void Chmod_must_be_octal()
    {
        Assert.Equal(0b111_101_101u, CopyStep.ParseChmod("0755"));
        Assert.Null(CopyStep.ParseChmod(null));
        Assert.Throws<BuildException>(() => CopyStep.ParseChmod("u+x"));
        Assert.Throws<BuildException>(() => CopyStep.ParseChmod("99999"));
    }
}
