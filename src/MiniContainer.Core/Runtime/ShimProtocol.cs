using System.Buffers.Binary;

namespace MiniContainer.Runtime;

/// <summary>
/// The little protocol on a shim's control socket (ExecRoot/containers/&lt;id&gt;/shim.sock).
/// Every message is a frame: 1 byte type, 4 bytes big-endian length, payload.
///
/// client → shim: 'A' attach (payload: the streams wanted, e.g. "stdout stderr", or "" to only hear the exit)
///                'I' stdin bytes, 'C' close stdin, 'R' resize (payload "rows cols"), 'S' start (release the process)
/// shim → client: 'K' attached (the reply to 'A': from now on this client gets every byte of output)
///                'O' stdout bytes, 'E' stderr bytes, 'X' exited (payload: ExitRecord JSON)
/// The shim acts on one client's frames in order and closes its end once that client has closed its own, so a client
/// that shuts its side after a frame and waits for the close knows the frame was acted on (the daemon's resize does).
/// </summary>
public static class ShimProtocol
{
    public const byte Attach = (byte)'A', Stdin = (byte)'I', CloseStdin = (byte)'C', Resize = (byte)'R', Start = (byte)'S';
    public const byte Attached = (byte)'K', Stdout = (byte)'O', Stderr = (byte)'E', Exited = (byte)'X';
    public const int MaxPayload = 1 << 20;

    private const int HeaderSize = 5;

    /// <summary>Head and payload together, so that a frame goes out in one write (both writers use it). Two writes
    /// (head, then payload) were a bug: a peer that reads the head of a payload-less 'K' and hangs up made the second,
    /// empty write fail with EPIPE, and the shim dropped that client before reading the frame it had already sent
    /// (a resize lost after the daemon's 200).</summary>
    private static void Compose(Span<byte> frame, byte type, ReadOnlySpan<byte> payload)
    {
        frame[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(frame[1..HeaderSize], payload.Length);
        payload.CopyTo(frame[HeaderSize..]);
    }

    public static void WriteFrame(Stream s, byte type, ReadOnlySpan<byte> payload)
    {
        int length = HeaderSize + payload.Length;
        byte[] frame = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Compose(frame.AsSpan(0, length), type, payload);
            s.Write(frame, 0, length);
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(frame); }
        s.Flush();
    }

    public static async Task WriteFrameAsync(Stream s, byte type, ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        byte[] frame = new byte[HeaderSize + payload.Length];
        Compose(frame, type, payload.Span);
        await s.WriteAsync(frame, ct);
        await s.FlushAsync(ct);
    }

    /// <summary>Reads one frame; null at a clean end of stream.</summary>
    public static (byte Type, byte[] Payload)? ReadFrame(Stream s)
    {
        byte[] header = new byte[5];
        if (!ReadExactly(s, header)) return null;
        int len = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (len < 0 || len > MaxPayload) throw new InvalidDataException($"shim frame too large: {len}");
        byte[] payload = new byte[len];
        if (!ReadExactly(s, payload)) return null;
        return (header[0], payload);
    }

    public static async Task<(byte Type, byte[] Payload)?> ReadFrameAsync(Stream s, CancellationToken ct = default)
    {
        byte[] header = new byte[5];
        if (!await ReadExactlyAsync(s, header, ct)) return null;
        int len = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (len < 0 || len > MaxPayload) throw new InvalidDataException($"shim frame too large: {len}");
        byte[] payload = new byte[len];
        if (!await ReadExactlyAsync(s, payload, ct)) return null;
        return (header[0], payload);
    }

    private static bool ReadExactly(Stream s, byte[] buf)
    {
        int got = 0;
        while (got < buf.Length)
        {
            int n = s.Read(buf, got, buf.Length - got);
            if (n == 0) return false;
            got += n;
        }
        return true;
    }

    private static async Task<bool> ReadExactlyAsync(Stream s, byte[] buf, CancellationToken ct)
    {
        int got = 0;
        while (got < buf.Length)
        {
            int n = await s.ReadAsync(buf.AsMemory(got), ct);
            if (n == 0) return false;
            got += n;
        }
        return true;
    }
}
