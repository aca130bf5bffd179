using Xunit;

namespace MiniContainer.NativeTests.Harness;

/// <summary>How the lesson runner reads a lesson (pure: no root, no kernel).</summary>
public sealed class LessonScriptTests
{
    private const string Lesson = """
        # A lesson

        ```console
        $ not run
        ```

        ```sh
        echo one
        echo two
        ```

        ```text
        one
        t…o
        ```

        Prose between a block and a text block.

        ```sh exit=137
        run memhog
        ```

        ```text
        allocated
        ```

        ```sh
        echo no expectation
        ```

        Prose, then a text block that belongs to nothing:

        ```text
        not an expectation
        ```

        ```sh fails
        false
        ```

        ```text
        how it fails
        ```
        """;

    [Fact]
    public void Sh_blocks_run_and_the_text_block_right_after_one_is_its_output()
    {
        var blocks = LessonScript.Parse(Lesson, "lesson.md");
        Assert.Equal(4, blocks.Count);
        Assert.Equal(("echo one\necho two", Outcome.Succeeds, 7), (blocks[0].Commands, blocks[0].Outcome, blocks[0].Line));
        Assert.Equal(["one", "t…o"], blocks[0].Expected);
        Assert.Equal((Outcome.ExitsWith, 137), (blocks[1].Outcome, blocks[1].ExitCode));
        Assert.Equal(["allocated"], blocks[1].Expected);
        Assert.Empty(blocks[2].Expected);
        Assert.Equal(Outcome.Fails, blocks[3].Outcome);
        Assert.Equal(["how it fails"], blocks[3].Expected);
    }

    [Theory]
    [InlineData("```sh fails\nfalse\n```\n", "needs a ```text block")]
    [InlineData("```sh sometimes\ntrue\n```\n", "only \"fails\" or \"exit=N\"")]
    [InlineData("```sh\ntrue\n", "never closed")]
    [InlineData("```sh\n\n```\n", "empty")]
    public void A_malformed_lesson_is_refused_with_its_line(string markdown, string message)
    {
        var e = Assert.Throws<FormatException>(() => LessonScript.Parse(markdown, "l.md"));
        Assert.Contains("l.md:1", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("Up … web", "abc   busybox  \"sleep 1000\"   2 s ago   Up 3 seconds   web", true)]
    [InlineData("pid … its own", "  pid                4026532252   4026531836    its own", true)]
    [InlineData("web … Up", "Up 3 seconds web", false)]            // pieces in order, on one line
    [InlineData("hello world", "hello\nworld", false)]
    [InlineData("PID USER COMMAND", "PID   USER     COMMAND", true)]  // runs of spaces count as one
    public void An_expected_line_matches_its_pieces_in_order_on_one_output_line(string expected, string output, bool matches) =>
        Assert.Equal(matches, LessonScript.Missing([expected], output).Count == 0);
}
