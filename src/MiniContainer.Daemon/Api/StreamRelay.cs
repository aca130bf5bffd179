using System.Buffers.Binary;
using System.Net.Sockets;
using MiniContainer.Runtime;

namespace MiniContainer.Api;

/// <summary>
/// Carries a hijacked API connection to and from a shim: output frames from the shim become Docker's
/// stream format (raw bytes for a TTY; else 8-byte headers [stream, 0, 0, 0, size32 BE] + payload),
/// and bytes the client sends become stdin frames.
/// </summary>
public static class StreamRelay
{
    public static byte[] DockerFrame(byte streamType, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[8 + payload.Length];
        frame[0] = streamType;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(8));
        return frame;
    }

    /// <param name="closeStdinOnEof">Docker's StdinOnce: when the client closes its input, the process's stdin is closed.</param>
    /// <param name="exitRecorded">For exec: completes once the exit code is recorded. The client sees the end of the
    /// output only after that, because the docker CLI asks for the exit code the moment its stream ends (an exit
    /// code not yet known reads as 0: a failed `docker exec` once exited 0 in CI).</param>
    public static async Task RunAsync(Stream client, NetworkStream shim, bool tty, bool forwardStdin, bool closeStdinOnEof, Task? exitRecorded = null)
    {
        using var done = new CancellationTokenSource();
        var input = forwardStdin ? PumpStdinAsync(client, shim, closeStdinOnEof, done.Token) : Task.CompletedTask;
        try
        {
            while (await ShimProtocol.ReadFrameAsync(shim) is { } frame)
            {
                if (frame.Type == ShimProtocol.Exited) break;
                byte stream = frame.Type == ShimProtocol.Stderr ? (byte)2 : (byte)1;
                await client.WriteAsync(tty ? frame.Payload : DockerFrame(stream, frame.Payload));
                await client.FlushAsync();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        finally
        {
            done.Cancel();
            shim.Dispose();
        }
        if (exitRecorded != null) await exitRecorded.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        if (client is HijackedStream h) h.ShutdownWrite();
        try { await input; } catch { }
    }

    private static async Task PumpStdinAsync(Stream client, NetworkStream shim, bool closeOnEof, CancellationToken ct)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            while (true)
            {
                int n = await client.ReadAsync(buffer, ct);
                if (n == 0) break;
                await ShimProtocol.WriteFrameAsync(shim, ShimProtocol.Stdin, buffer.AsMemory(0, n), ct);
            }
            if (closeOnEof) await ShimProtocol.WriteFrameAsync(shim, ShimProtocol.CloseStdin, ReadOnlyMemory<byte>.Empty, ct);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { }
    }
}
