using System.Text;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Commands;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

/// <summary>A CLI command with nothing else to wait for reads its answers on its own thread, blocking: a stream's
/// asynchronous reads are never used for it, so the runtime starts no pool thread (see DockerClient.ReadTextAsync).</summary>
public sealed class BlockingReadsTests
{
    /// <summary>A stream that serves its bytes to blocking reads only: an asynchronous read fails the test.</summary>
    sealed class SyncOnlyStream(byte[] data, int chunk = int.MaxValue) : MiniContainer.Storage.ReadOnlyStream
    {
        int _at;
        public int AsyncReads;
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, chunk), data.Length - _at);
            Array.Copy(data, _at, buffer, offset, n);
            _at += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            AsyncReads++;
            throw new InvalidOperationException("an asynchronous read");
        }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    }

    static HttpResponseMessage Answer(Stream body) => new(System.Net.HttpStatusCode.OK) { Content = new StreamContent(body) };

    [Fact]
    public async Task A_chunked_body_read_with_a_blocking_read_uses_only_blocking_reads_below()
    {
        var wire = new SyncOnlyStream(Encoding.ASCII.GetBytes("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), chunk: 3);
        using var reader = new StreamReader(new ChunkedReadStream(wire));
        Assert.Equal("hello world", reader.ReadToEnd());
        Assert.Equal(0, wire.AsyncReads);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_blocking_view_answers_an_await_with_a_finished_read()
    {
        var view = new BlockingReadStream(new SyncOnlyStream("abc"u8.ToArray()));
        var read = view.ReadAsync(new byte[8]);
        Assert.True(read.IsCompleted);
        Assert.Equal(3, await read);
    }

    [Fact]
    public async Task A_body_is_read_blocking_without_a_token_and_asynchronously_with_one()
    {
        var wire = new SyncOnlyStream("{\"StatusCode\":3}"u8.ToArray(), chunk: 4);
        var text = DockerClient.ReadTextAsync(Answer(wire).Content, CancellationToken.None);
        Assert.True(text.IsCompleted);   // it was read before ReadTextAsync returned
        Assert.Equal("{\"StatusCode\":3}", await text);

        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => DockerClient.ReadTextAsync(Answer(new SyncOnlyStream("x"u8.ToArray())).Content, cancel.Token));
    }

    [Fact]
    public async Task A_pending_wait_reads_nothing_until_asked_then_gives_the_status_and_the_error()
    {
        var wire = new SyncOnlyStream("{\"StatusCode\":137,\"Error\":{\"Message\":\"boom\"}}"u8.ToArray());
        var wait = new PendingWait(Task.FromResult(Answer(wire)));
        Assert.Equal(0, wire.AsyncReads);
        var result = await wait.ResultAsync();
        Assert.Equal(new WaitResult(137, "boom"), result);
        Assert.Equal(0, wire.AsyncReads);
    }
}
