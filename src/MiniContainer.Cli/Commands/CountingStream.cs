namespace MiniContainer.Cli.Commands;

/// <summary>Passes bytes through (reading or writing) and counts them, for cp's "Successfully copied 2.05kB".</summary>
internal sealed class CountingStream(Stream inner, Action<long>? onWrite = null) : MiniContainer.Storage.ForwardOnlyStream
{
    public long Count { get; private set; }

    public override int Read(byte[] buffer, int offset, int count) { int n = inner.Read(buffer, offset, count); Count += n; return n; }
    public override int Read(Span<byte> buffer) { int n = inner.Read(buffer); Count += n; return n; }
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) { int n = await inner.ReadAsync(buffer, ct); Count += n; return n; }
    public override void Write(byte[] buffer, int offset, int count) { inner.Write(buffer, offset, count); Count += count; onWrite?.Invoke(count); }
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) { await inner.WriteAsync(buffer, ct); Count += buffer.Length; onWrite?.Invoke(buffer.Length); }
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
}
