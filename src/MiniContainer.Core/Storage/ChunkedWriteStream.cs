using System.Globalization;
using System.Text;

namespace MiniContainer.Storage;

/// <summary>
/// HTTP/1.1's chunked body, the writing side: each write is one chunk ("SIZE-in-hex CRLF data CRLF"), flushed;
/// <see cref="EndAsync"/> writes the last, empty chunk. The daemon's streamed responses and the CLI's request bodies
/// of unknown length (a build context being tarred) both go out through it. The stream under it stays open.
/// </summary>
public sealed class ChunkedWriteStream(Stream inner) : ForwardOnlyStream
{
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        if (buffer.Length == 0) return;   // a zero-size chunk would end the body
        await inner.WriteAsync(Encoding.ASCII.GetBytes(buffer.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), ct);
        await inner.WriteAsync(buffer, ct);
        await inner.WriteAsync("\r\n"u8.ToArray(), ct);
        await inner.FlushAsync(ct);
    }
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, default).GetAwaiter().GetResult();
    public Task EndAsync() => inner.WriteAsync("0\r\n\r\n"u8.ToArray()).AsTask();
    public override void Flush() { }
    public override bool CanRead => false; public override bool CanWrite => true;
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
