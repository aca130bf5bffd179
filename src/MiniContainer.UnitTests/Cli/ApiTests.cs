using System.Net;
using System.Text;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Flags;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

public sealed class StreamFramesTests
{
    /// <summary>Returns at most one byte per read, to prove frames split across reads are put back together.</summary>
    sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 1)]);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
    }

    static byte[] Frames(params (byte Kind, string Text)[] frames)
        => frames.SelectMany(f => StreamFrames.Frame(f.Kind, Encoding.UTF8.GetBytes(f.Text))).ToArray();

    [Fact]
    public async Task Splits_stdout_and_stderr()
    {
        var data = Frames((1, "hello "), (2, "oops\n"), (1, "world\n"), (0, "echo"));
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        await StreamFrames.DemultiplexAsync(new TrickleStream(data), stdout, stderr);
        Assert.Equal("hello world\necho", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("oops\n", Encoding.UTF8.GetString(stderr.ToArray()));
    }

    [Fact]
    public async Task Large_frames_and_empty_frames()
    {
        string big = new('x', 100_000);
        var stdout = new MemoryStream();
        await StreamFrames.DemultiplexAsync(new MemoryStream(Frames((1, ""), (1, big))), stdout, new MemoryStream());
        Assert.Equal(big, Encoding.UTF8.GetString(stdout.ToArray()));
    }

    [Fact]
    public void Header_is_type_then_big_endian_size()
        => Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 0, 1, 0 }, StreamFrames.Frame(2, new byte[256])[..8]);

    [Fact]
    public async Task Truncated_frame_is_an_error()
    {
        var data = Frames((1, "hello"))[..10];
        await Assert.ThrowsAsync<IOException>(() => StreamFrames.DemultiplexAsync(new MemoryStream(data), new MemoryStream(), new MemoryStream()));
    }

    [Fact]
    public async Task System_error_frame_carries_the_daemon_s_message()
    {
        var e = await Assert.ThrowsAsync<IOException>(() =>
            StreamFrames.DemultiplexAsync(new MemoryStream(Frames((3, "boom"))), new MemoryStream(), new MemoryStream()));
        Assert.Equal("error from daemon in stream: boom", e.Message);
    }
}

public sealed class HijackClientTests
{
    [Fact]
    public async Task Reads_the_101_head_and_keeps_the_bytes_after_it()
    {
        byte[] response = Encoding.ASCII.GetBytes("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nfirst output");
        var (status, headers, leftover) = HijackClient.ReadHead(new MemoryStream(response));
        Assert.Equal(101, status);
        Assert.Equal("tcp", headers["upgrade"]);
        Assert.Equal("first output", Encoding.ASCII.GetString(leftover));

        var stream = new PrefixedStream(leftover, new MemoryStream(Encoding.ASCII.GetBytes(" and more")));
        Assert.Equal("first output and more", await new StreamReader(stream).ReadToEndAsync());
    }

    [Fact]
    public async Task Error_bodies_chunked_or_sized()
    {
        byte[] chunked = Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n1f\r\n{\"message\":\"No such container: \r\n4\r\nweb\"\r\n1\r\n}\r\n0\r\n\r\n");
        var source = new MemoryStream(chunked);
        var (status, headers, leftover) = HijackClient.ReadHead(source);
        Assert.Equal(404, status);
        string body = await HijackClient.ReadBodyAsync(source, headers, leftover, status, default);
        Assert.Equal("No such container: web", DockerClient.ErrorMessage(body, HttpStatusCode.NotFound));
    }

    [Fact]
    public void Error_messages_fall_back_to_text_then_status()
    {
        Assert.Equal("plain text", DockerClient.ErrorMessage("plain text\n", HttpStatusCode.InternalServerError));
        Assert.Equal("409 Conflict", DockerClient.ErrorMessage("", HttpStatusCode.Conflict));
    }
}

public sealed class JsonMessageStreamTests
{
    [Fact]
    public async Task Prints_status_and_stream_messages()
    {
        // Not a terminal: docker drops the progress bar and prints the status alone.
        string body = "{\"status\":\"Loading layer\",\"id\":\"abc\",\"progress\":\"[==>  ]\"}\r\n{\"stream\":\"Loaded image: busybox:latest\\n\"}{\"status\":\"sha256:1234\"}\n";
        var output = new StringWriter();
        await JsonMessageStream.DisplayAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), output);
        Assert.Equal("abc: Loading layer\nLoaded image: busybox:latest\nsha256:1234\n", output.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Error_messages_end_the_stream()
    {
        string body = "{\"status\":\"x\"}{\"errorDetail\":{\"message\":\"invalid tar header\"},\"error\":\"invalid tar header\"}";
        var e = await Assert.ThrowsAsync<JsonMessageException>(() => JsonMessageStream.DisplayAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), new StringWriter()));
        Assert.Equal("invalid tar header", e.Message);
    }
}

public sealed class DaemonHostTests
{
    [Fact]
    public void Parses_unix_urls_and_paths()
    {
        Assert.Equal("/tmp/x.sock", DaemonHost.Parse("unix:///tmp/x.sock").SocketPath);
        Assert.Equal("/tmp/x.sock", DaemonHost.Parse("/tmp/x.sock").SocketPath);
        Assert.Throws<MiniContainer.Cli.UsageException>(() => DaemonHost.Parse("tcp://1.2.3.4:2375"));
    }

    [Fact]
    public void Daemon_gets_H_only_for_a_non_default_socket()
    {
        Assert.Empty(DaemonLauncher.DaemonArguments(new DaemonHost(DaemonHost.DefaultSocketPath)));
        Assert.Equal(["-H", "unix:///tmp/x.sock"], DaemonLauncher.DaemonArguments(new DaemonHost("/tmp/x.sock")));
    }
}

public sealed class TimeArgumentTests
{
    [Fact]
    public void Go_durations()
    {
        Assert.True(GoDuration.TryParse("1h30m", out var d));
        Assert.Equal(TimeSpan.FromMinutes(90), d);
        Assert.True(GoDuration.TryParse("1.5s", out d));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), d);
        Assert.False(GoDuration.TryParse("10", out _));
        Assert.False(GoDuration.TryParse("2024-01-01", out _));
    }

    [Fact]
    public void Since_values_become_unix_timestamps()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var option = new System.CommandLine.Option<string?>("--since");
        Assert.Equal("1699999400.000000000", TimeArgument.ToUnix("10m", now, option));
        Assert.Equal("1699999999", TimeArgument.ToUnix("1699999999", now, option));
        Assert.Equal("1704067200.000000000", TimeArgument.ToUnix("2024-01-01T00:00:00Z", now, option));
    }
}
