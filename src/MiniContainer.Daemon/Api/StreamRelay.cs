using System.Buffers.Binary;
using System.Net.Sockets;
using MiniContainer.Containers;
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
    /// <param name="detachKeys">For a TTY's input: the sequence that ends this stream while the process keeps running
    /// (its stdin stays open). Null: input is data only.</param>
    /// <returns>True when the client detached with the key sequence.</returns>
    public static async Task<bool> RunAsync(Stream client, NetworkStream shim, bool tty, bool forwardStdin, bool closeStdinOnEof,
        Task? exitRecorded = null, DetachKeys? detachKeys = null)
    {
        using var done = new CancellationTokenSource();
        using var detached = new CancellationTokenSource();
        var input = forwardStdin ? PumpStdinAsync(client, shim, closeStdinOnEof, detachKeys?.NewMatcher(), detached, done.Token) : Task.CompletedTask;
        try
        {
            while (await ShimProtocol.ReadFrameAsync(shim, detached.Token) is { } frame)
            {
                if (frame.Type == ShimProtocol.Exited) break;
                byte stream = frame.Type == ShimProtocol.Stderr ? (byte)2 : (byte)1;
                await client.WriteAsync(tty ? frame.Payload : DockerFrame(stream, frame.Payload), detached.Token);
                await client.FlushAsync(detached.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { }
        finally
        {
            done.Cancel();
            shim.Dispose();
        }
        // Detached: the connection just closes (the process runs on, its exit is not this stream's business).
        if (detached.IsCancellationRequested) return true;
        if (exitRecorded != null) await exitRecorded.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        if (client is HijackedStream h) h.ShutdownWrite();
        try { await input; } catch { }
        return false;
    }

    private static async Task PumpStdinAsync(Stream client, NetworkStream shim, bool closeOnEof, DetachKeys.Matcher? detach,
        CancellationTokenSource detached, CancellationToken ct)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            while (true)
            {
                int n = await client.ReadAsync(buffer, ct);
                if (n == 0) break;
                ReadOnlyMemory<byte> data = buffer.AsMemory(0, n);
                bool detachNow = false;
                if (detach != null) { (var passOn, detachNow) = detach.Feed(data.Span); data = passOn; }
                if (data.Length > 0) await ShimProtocol.WriteFrameAsync(shim, ShimProtocol.Stdin, data, ct);
                if (detachNow) { detached.Cancel(); return; }
            }
            if (closeOnEof) await ShimProtocol.WriteFrameAsync(shim, ShimProtocol.CloseStdin, ReadOnlyMemory<byte>.Empty, ct);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { }
    }
}
