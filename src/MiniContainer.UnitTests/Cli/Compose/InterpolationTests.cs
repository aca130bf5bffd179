using MiniContainer.Cli.Compose;
using Xunit;

namespace MiniContainer.UnitTests.Cli.Compose;

public sealed class InterpolationTests
{
    static readonly Dictionary<string, string> Vars = new() { ["SET"] = "value", ["EMPTY"] = "", ["PORT"] = "8080" };
    static string Apply(string text) => new Interpolation(n => Vars.GetValueOrDefault(n)).Apply(text);

    [Theory]
    [InlineData("$SET", "value")]
    [InlineData("${SET}", "value")]
    [InlineData("x${SET}y$SET.z", "xvaluey" + "value.z")]
    [InlineData("$UNSET", "")]
    [InlineData("${UNSET:-def}", "def")]
    [InlineData("${EMPTY:-def}", "def")]
    [InlineData("${EMPTY-def}", "")]
    [InlineData("${UNSET-def}", "def")]
    [InlineData("${SET:-def}", "value")]
    [InlineData("${UNSET:-${PORT}}", "8080")]
    [InlineData("${SET:+alt}", "alt")]
    [InlineData("${EMPTY:+alt}", "")]
    [InlineData("${EMPTY+alt}", "alt")]
    [InlineData("$$SET", "$SET")]
    [InlineData("$${SET}", "${SET}")]
    [InlineData("price: 5$", "price: 5$")]
    [InlineData("${SET:?must be set}", "value")]
    [InlineData("${EMPTY?must be set}", "")]
    public void Substitutes_as_compose_does(string text, string expected) => Assert.Equal(expected, Apply(text));

    [Theory]
    [InlineData("${UNSET:?the db password}", "required variable UNSET is missing a value: the db password")]
    [InlineData("${EMPTY:?empty}", "required variable EMPTY is missing a value: empty")]
    [InlineData("${UNSET?unset}", "required variable UNSET is missing a value: unset")]
    [InlineData("${SET", "invalid interpolation format for \"${SET\": missing closing brace")]
    [InlineData("${1X}", "invalid interpolation format for \"${1X}\": invalid variable name \"1X\"")]
    [InlineData("${SET#x}", "invalid interpolation format for \"${SET#x}\": unsupported operator in \"${SET#x}\"")]
    [InlineData("a $% b", "invalid interpolation format for \"a $% b\": a $ must be followed by a variable name, { or another $ (write $$ for a literal $)")]
    public void Reports_errors_in_composes_words(string text, string message)
        => Assert.Equal(message, Assert.Throws<FormatException>(() => Apply(text)).Message);

    [Fact]
    public void Remembers_unset_variables_once()
    {
        var i = new Interpolation(_ => null);
        i.Apply("$A ${B} $A ${C:-x}");
        Assert.Equal(["A", "B"], i.Unset);
    }

    [Fact]
    public void DotEnv_reads_quotes_comments_and_export()
    {
        var values = DotEnv.Parse("# comment\nexport A=1\nB = two words # note\nC='$literal # kept'\nD=\"line\\nnext\"\nE\n\nF=", ".env",
                                  n => n == "E" ? "from-shell" : null);
        Assert.Equal(["A=1", "B=two words", "C=$literal # kept", "D=line\nnext", "E=from-shell", "F="], values.Select(kv => kv.Key + "=" + kv.Value));
    }

    [Theory]
    [InlineData("A='open", ".env:1: unterminated quoted value")]
    [InlineData("\nBAD KEY=1", ".env:2: invalid variable name \"BAD KEY\"")]
    public void DotEnv_errors_name_the_line(string content, string message)
        => Assert.Equal(message, Assert.Throws<ComposeFileException>(() => DotEnv.Parse(content, ".env", _ => null)).Message);

    [Theory]
    [InlineData("echo hi", new[] { "echo", "hi" })]
    [InlineData("sh -c 'echo a  b; exit 3'", new[] { "sh", "-c", "echo a  b; exit 3" })]
    [InlineData("say \"a \\\"b\\\"\" c\\ d", new[] { "say", "a \"b\"", "c d" })]
    [InlineData("  ", new string[0])]
    public void Splits_command_strings_as_a_shell(string text, string[] words) => Assert.Equal(words, ShellWords.Split(text));
}
