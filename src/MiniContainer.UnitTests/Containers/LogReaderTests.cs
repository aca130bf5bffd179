using System.Buffers.Binary;
using System.Text;
using MiniContainer.Containers;
using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>
/// `docker logs`: a json-file log as the shim writes it, replayed into a stream the way the API sends it —
/// 8-byte frame headers per record without a TTY (so the CLI can split stdout from stderr), raw bytes with one.
/// </summary>
public sealed class LogReaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"mc-ut-logs-{Guid.NewGuid():N}");
    public void Dispose() { try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } }

    private static readonly DateTimeOffset T0 = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    // What `sh -c 'echo one; echo oops >&2; echo two; echo three'` leaves in the log, one second apart.
    private static readonly (string Stream, string Text)[] Records =
        [("stdout", "one\n"), ("stderr", "oops\n"), ("stdout", "two\n"), ("stdout", "three\n")];

    private Container WithLog(bool tty, IEnumerable<(string Stream, string Text)>? records = null)
    {
        Directory.CreateDirectory(_dir);
        string logPath = Path.Combine(_dir, "container-json.log");
        using (var log = File.Create(logPath))
        {
            int i = 0;
            foreach (var (stream, text) in records ?? Records)
                log.Write(JsonFileLog.Encode(stream, Encoding.UTF8.GetBytes(text), T0.AddSeconds(i++).AddTicks(1234567)));
        }
        var record = new ContainerRecord
        {
            Id = new string('a', 64), Name = "/logger", LogPath = logPath,
            State = new ContainerState { Status = "exited" },
            Config = new ContainerConfig { Tty = tty },
        };
        return new Container(record, _dir, _dir);
    }

    private static LogReader.Options Opts(bool stdout = true, bool stderr = true, int? tail = null, bool timestamps = false,
                                          DateTimeOffset? since = null, DateTimeOffset? until = null, bool follow = false) =>
        new(stdout, stderr, follow, tail, timestamps, since, until);

    private static async Task<byte[]> ReadAsync(Container c, LogReader.Options o)
    {
        var output = new MemoryStream();
        await LogReader.WriteAsync(c, o, output, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return output.ToArray();
    }

    /// <summary>Splits Docker's multiplexed stream, checking each header: [stream, 0, 0, 0, size (big-endian uint32)].</summary>
    private static List<(byte Stream, string Text)> Frames(byte[] data)
    {
        var frames = new List<(byte, string)>();
        int at = 0;
        while (at < data.Length)
        {
            Assert.True(data.Length - at >= 8, "a frame header is cut short");
            Assert.Equal(new byte[] { 0, 0, 0 }, data[(at + 1)..(at + 4)]);
            int size = (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at + 4));
            Assert.True(at + 8 + size <= data.Length, "a frame's payload is cut short");
            frames.Add((data[at], Encoding.UTF8.GetString(data, at + 8, size)));
            at += 8 + size;
        }
        return frames;
    }

    [Fact]
    public async Task Without_a_tty_each_record_is_a_frame_tagged_stdout_1_or_stderr_2()
    {
        var frames = Frames(await ReadAsync(WithLog(tty: false), Opts()));
        Assert.Equal([((byte)1, "one\n"), ((byte)2, "oops\n"), ((byte)1, "two\n"), ((byte)1, "three\n")], frames);
    }

    [Fact]
    public async Task With_a_tty_the_output_is_raw()
    {
        byte[] data = await ReadAsync(WithLog(tty: true), Opts());
        Assert.Equal("one\noops\ntwo\nthree\n", Encoding.UTF8.GetString(data));
    }

    [Fact]
    public async Task Only_the_asked_for_streams_are_sent()
    {
        Assert.Equal([((byte)2, "oops\n")], Frames(await ReadAsync(WithLog(tty: false), Opts(stdout: false))));
        Assert.Equal(["one\n", "two\n", "three\n"], Frames(await ReadAsync(WithLog(tty: false), Opts(stderr: false))).Select(f => f.Text));
    }

    [Theory]
    [InlineData(2, new[] { "two\n", "three\n" })]
    [InlineData(1, new[] { "three\n" })]
    [InlineData(0, new string[0])]
    [InlineData(100, new[] { "one\n", "oops\n", "two\n", "three\n" })]
    public async Task Tail_keeps_the_last_n_records(int tail, string[] expected)
    {
        var frames = Frames(await ReadAsync(WithLog(tty: false), Opts(tail: tail)));
        Assert.Equal(expected, frames.Select(f => f.Text));
    }

    [Fact]
    public async Task Timestamps_prefix_each_record_with_rfc3339_nano_utc()
    {
        var frames = Frames(await ReadAsync(WithLog(tty: false), Opts(timestamps: true)));
        Assert.Equal("2024-01-02T03:04:05.123456700Z one\n", frames[0].Text);
        Assert.Equal("2024-01-02T03:04:06.123456700Z oops\n", frames[1].Text);
    }

    [Fact]
    public async Task Since_and_until_bound_the_records_by_time()
    {
        var c = WithLog(tty: false);
        var since = Frames(await ReadAsync(c, Opts(since: T0.AddSeconds(2))));
        Assert.Equal(["two\n", "three\n"], since.Select(f => f.Text));
        var until = Frames(await ReadAsync(c, Opts(until: T0.AddSeconds(1.5))));
        Assert.Equal(["one\n", "oops\n"], until.Select(f => f.Text));
    }

    [Fact]
    public async Task A_record_without_newline_and_unicode_come_back_byte_for_byte()
    {
        var c = WithLog(tty: false, [("stdout", "prompt> "), ("stdout", "naïve “quotes” \"x\" ✓\n")]);
        var frames = Frames(await ReadAsync(c, Opts()));
        Assert.Equal(["prompt> ", "naïve “quotes” \"x\" ✓\n"], frames.Select(f => f.Text));
        Assert.Equal(Encoding.UTF8.GetByteCount("naïve “quotes” \"x\" ✓\n"), (int)BinaryPrimitives.ReadUInt32BigEndian((await ReadAsync(c, Opts(tail: 1))).AsSpan(4)));
    }

    [Fact]
    public async Task Since_a_records_own_timestamp_includes_that_record()
    {
        // Resuming where `docker logs -t` left off: "two" was logged at 2024-01-02T03:04:07.123456700Z, which the
        // CLI sends as since=1704164647.123456700. Docker's since is inclusive.
        var since = LogReader.ParseTime($"{T0.AddSeconds(2).ToUnixTimeSeconds()}.123456700");
        var frames = Frames(await ReadAsync(WithLog(tty: false), Opts(since: since)));
        Assert.Equal(["two\n", "three\n"], frames.Select(f => f.Text));
    }

    [Fact]
    public async Task Follow_on_a_stopped_container_replays_and_returns()
    {
        var frames = Frames(await ReadAsync(WithLog(tty: false), Opts(follow: true)));
        Assert.Equal(4, frames.Count);
    }

    // ------------------------------------------------------------ since / until parameters

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    public void No_time_means_no_bound(string? text) => Assert.Null(LogReader.ParseTime(text));

    [Fact]
    public void Unix_seconds_with_or_without_a_fraction()
    {
        Assert.Equal(new DateTimeOffset(2023, 11, 14, 22, 13, 20, TimeSpan.Zero), LogReader.ParseTime("1700000000"));
        Assert.Equal(new DateTimeOffset(2023, 11, 14, 22, 13, 20, 500, TimeSpan.Zero), LogReader.ParseTime("1700000000.5"));
    }

    [Fact]
    public void Unix_seconds_with_nanoseconds_keep_their_precision()
    {
        // `docker logs --since 2024-01-02T03:04:05.123456700Z` (a time copied from `docker logs -t`) reaches the API
        // as "1704164645.123456700": seconds and nanoseconds, which dockerd parses as two integers. Through a double
        // the time comes out a tick late, and the record logged at exactly that time is left out.
        var expected = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);
        Assert.Equal(expected, LogReader.ParseTime("1704164645.123456700"));
    }

    [Fact]
    public void Rfc3339_text()
    {
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), LogReader.ParseTime("2024-01-02T03:04:05Z"));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 1, 4, 5, TimeSpan.Zero), LogReader.ParseTime("2024-01-02T03:04:05+02:00"));
    }
}
