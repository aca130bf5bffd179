using System.Buffers.Binary;

namespace MiniContainer.Cli.Api;

/// <summary>
/// Docker's multiplexed stream, used by attach, exec and logs when the container has no TTY: each frame is an
/// 8-byte header [stream, 0, 0, 0, size as big-endian uint32] followed by size bytes of payload.
/// Stream 0 is stdin (echoed), 1 stdout, 2 stderr, 3 an error from the daemon itself.
/// With a TTY there are no frames: the bytes are the terminal's output as is.
/// </summary>
internal static class StreamFrames
{
    public const int HeaderSize = 8;
    public const byte Stdin = 0, Stdout = 1, Stderr = 2, SystemError = 3;

    /// <summary>Copies frames from <paramref name="source"/> until it ends, stdout/stdin frames to <paramref name="stdout"/>, stderr to <paramref name="stderr"/>.</summary>
    /// <exception cref="IOException">the daemon sent a system-error frame, or the stream broke in the middle of a frame.</exception>
    public static async Task DemultiplexAsync(Stream source, Stream stdout, Stream stderr, CancellationToken ct = default)
    {
        byte[] header = new byte[HeaderSize];
        byte[] buffer = new byte[32 * 1024];
        while (true)
        {
            int got = await source.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, ct);
            if (got == 0) return;
            if (got < HeaderSize) throw new IOException("unexpected end of stream in a frame header");

            byte kind = header[0];
            long size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
            Stream? target = kind switch { Stdin or Stdout => stdout, Stderr => stderr, _ => null };

            if (kind == SystemError)
            {
                byte[] message = new byte[size];
                await source.ReadExactlyAsync(message, ct);
                throw new IOException("error from daemon in stream: " + System.Text.Encoding.UTF8.GetString(message));
            }
            if (target is null) throw new IOException($"unrecognized stream type {kind} in the multiplexed output");

            while (size > 0)
            {
                int n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(size, buffer.Length)), ct);
                if (n == 0) throw new IOException("unexpected end of stream in a frame");
                await target.WriteAsync(buffer.AsMemory(0, n), ct);
                size -= n;
            }
            await target.FlushAsync(ct);
        }
    }

    /// <summary>Builds one frame (the daemon side of the format; tests use it to feed the demultiplexer).</summary>
    public static byte[] Frame(byte kind, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[HeaderSize + payload.Length];
        frame[0] = kind;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }
}
