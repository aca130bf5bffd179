using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Progress;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

/// <summary>Pull/push/load progress drawn as the docker CLI draws it: redrawn lines on a terminal, plain lines otherwise.</summary>
public sealed class ProgressRendererTests
{
    private static JsonObject Status(string status, string? id = null, long? current = null, long? total = null)
    {
        var m = new JsonObject { ["status"] = status };
        if (id != null) m["id"] = id;
        if (id != null) m["progressDetail"] = current is null ? new JsonObject() : new JsonObject { ["current"] = current, ["total"] = total };
        return m;
    }

    private static readonly JsonObject[] Pull =
    [
        new JsonObject { ["status"] = "Pulling from library/busybox", ["id"] = "latest" },
        Status("Pulling fs layer", "aaa"),
        Status("Pulling fs layer", "bbb"),
        Status("Downloading", "aaa", 500_000, 1_000_000),
        Status("Download complete", "aaa"),
        Status("Pull complete", "bbb"),
        Status("Digest: sha256:abc"),
    ];

    [Fact]
    public void Off_a_terminal_progress_updates_are_skipped_and_the_rest_are_lines()
    {
        var output = new StringWriter();
        var renderer = new ProgressRenderer(output, isTerminal: false);
        foreach (var m in Pull) renderer.Render(m);
        Assert.Equal("""
            latest: Pulling from library/busybox
            aaa: Pulling fs layer
            bbb: Pulling fs layer
            aaa: Download complete
            bbb: Pull complete
            Digest: sha256:abc

            """, output.ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void On_a_terminal_each_layer_keeps_its_line_and_is_redrawn_in_place()
    {
        var output = new StringWriter();
        var renderer = new ProgressRenderer(output, isTerminal: true, width: 120);
        foreach (var m in Pull) renderer.Render(m);
        string text = output.ToString();
        // aaa is the first of two tracked lines: an update moves up 2, clears, redraws, moves down 2.
        Assert.Contains("\x1b[2A\x1b[2K\raaa: Downloading [=========================>                         ]    500kB/1MB\r\x1b[2B", text);
        Assert.Contains("\x1b[1A\x1b[2K\rbbb: Pull complete \r\x1b[1B", text);
        Assert.EndsWith("Digest: sha256:abc\n", text);
    }

    [Fact]
    public void An_error_message_ends_the_stream_with_its_text()
    {
        var renderer = new ProgressRenderer(new StringWriter(), isTerminal: false);
        var e = Assert.Throws<ProgressErrorException>(() => renderer.Render(new JsonObject
        {
            ["errorDetail"] = new JsonObject { ["message"] = "filesystem layer verification failed" }, ["error"] = "filesystem layer verification failed",
        }));
        Assert.Equal("filesystem layer verification failed", e.Message);
    }

    [Fact]
    public async Task Load_output_streams_print_as_text()
    {
        var stream = new MemoryStream("{\"stream\":\"Loaded image: busybox:latest\\n\"}\r\n"u8.ToArray());
        var output = new StringWriter();
        await JsonMessageStream.DisplayAsync(stream, output, isTerminal: false);
        Assert.Equal("Loaded image: busybox:latest\n", output.ToString());
    }

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(512, "512B")]
    [InlineData(1_500, "1.5kB")]
    [InlineData(1_234_567, "1.235MB")]
    [InlineData(200_000_000, "200MB")]
    public void Sizes_read_as_dockers(long bytes, string text) => Assert.Equal(text, ProgressBar.HumanSize(bytes));

    [Fact]
    public void A_narrow_terminal_gets_only_the_numbers()
    {
        Assert.Equal("   500kB/1MB", ProgressBar.Render(500_000, 1_000_000, width: 80));
        Assert.StartsWith("[==================================================>] ", ProgressBar.Render(1_000_000, 1_000_000));
    }
}
