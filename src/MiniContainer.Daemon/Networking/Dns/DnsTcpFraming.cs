using System.Buffers.Binary;

namespace MiniContainer.Networking.Dns;

/// <summary>DNS over TCP: each message is preceded by its length as two big-endian bytes (RFC 1035 §4.2.2).</summary>
public static class DnsTcpFraming
{
    /// <summary>The next message, or null when the peer closed the connection cleanly between messages.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var prefix = new byte[2];
        int got = await stream.ReadAtLeastAsync(prefix, 2, throwOnEndOfStream: false, ct);
        if (got == 0) return null;
        if (got < 2) throw new EndOfStreamException("connection closed inside a DNS length prefix");
        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(message, ct);
        return message;
    }

    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        if (message.Length > ushort.MaxValue) throw new ArgumentException("a DNS message over TCP is at most 65535 bytes");
        var framed = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.Span.CopyTo(framed.AsSpan(2));
        await stream.WriteAsync(framed, ct); // one write: prefix and message leave in one segment
        await stream.FlushAsync(ct);
    }
}
