namespace MiniContainer.Cli.Api;

/// <summary>
/// A read-only view of a stream whose asynchronous reads are its blocking ones: each ReadAsync waits on the calling
/// thread and returns a finished task. For a reader with nothing else to do meanwhile (an attached `run` without -i
/// has only the output to wait for), so that code written with await runs on that one thread from start to end, and
/// the runtime starts no socket I/O completion on a pool thread for it (see DockerClient.ReadTextAsync for why that costs).
/// </summary>
internal sealed class BlockingReadStream(Stream inner) : MiniContainer.Storage.ReadOnlyStream
{
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult(inner.Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
}
