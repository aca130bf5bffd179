using System.Text;
using System.Text.Json;
using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

/// <summary>Docker's json-file log: one JSON object per line, readable by `docker logs` and by anything that reads Docker's logs.</summary>
public sealed class JsonFileLogTests
{
    private static readonly DateTimeOffset Time = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567);

    [Theory]
    [InlineData("stdout", "hello\n")]
    [InlineData("stderr", "she said \"hi\" \\ back\n")]
    [InlineData("stdout", "naïve 日本語 ✓ 🐳\n")]
    [InlineData("stdout", "no trailing newline")]
    [InlineData("stdout", "tab\tand control \u0001 chars\r\n")]
    [InlineData("stdout", "")]
    public void Encode_then_decode_gives_back_stream_text_and_time(string stream, string text)
    {
        byte[] line = JsonFileLog.Encode(stream, Encoding.UTF8.GetBytes(text), Time);
        Assert.Equal((byte)'\n', line[^1]);
        Assert.Equal(1, line.Count(b => b == (byte)'\n'));   // a newline in the text is escaped, never a line break

        var entry = JsonFileLog.Decode(Encoding.UTF8.GetString(line).TrimEnd('\n'));
        Assert.NotNull(entry);
        Assert.Equal(stream, entry.Value.Stream);
        Assert.Equal(text, entry.Value.Log);
        Assert.Equal(Time, entry.Value.Time);
    }

    [Fact]
    public void Encode_writes_dockers_field_names_and_a_nanosecond_utc_time()
    {
        byte[] line = JsonFileLog.Encode("stdout", "x\n"u8, new DateTimeOffset(2026, 11, 23, 13, 0, 0, TimeSpan.FromHours(1)));
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(["log", "stream", "time"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("x\n", doc.RootElement.GetProperty("log").GetString());
        Assert.Equal("2026-11-23T12:00:00.000000000Z", doc.RootElement.GetProperty("time").GetString());
    }

    [Fact]
    public void Decode_reads_a_line_written_by_dockerd()
    {
        var entry = JsonFileLog.Decode("{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-23T12:00:00.123456789Z\"}");
        Assert.NotNull(entry);
        Assert.Equal("hello\n", entry.Value.Log);
        // Nine fractional digits; .NET keeps seven (100 ns), so the time is within one tick.
        var expected = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567);
        Assert.InRange(entry.Value.Time, expected, expected.AddTicks(1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{\"log\":\"half a rec")]   // the end of a log being written
    [InlineData("not json")]
    public void Decode_of_something_that_is_not_a_record_is_null(string line) => Assert.Null(JsonFileLog.Decode(line));

    [Fact]
    public void SplitLines_keeps_newlines_and_returns_where_the_unfinished_tail_starts()
    {
        var lines = new List<(int Start, int Length)>();
        int leftover = JsonFileLog.SplitLines("a\nbb\nccc"u8, lines);
        Assert.Equal([(0, 2), (2, 3)], lines);
        Assert.Equal(5, leftover);
    }

    [Fact]
    public void SplitLines_without_newline_is_all_leftover_and_empty_lines_count()
    {
        var lines = new List<(int Start, int Length)>();
        Assert.Equal(0, JsonFileLog.SplitLines("no newline"u8, lines));
        Assert.Empty(lines);

        Assert.Equal(4, JsonFileLog.SplitLines("\n\nx\n"u8, lines));
        Assert.Equal([(0, 1), (1, 1), (2, 2)], lines);
    }
}
