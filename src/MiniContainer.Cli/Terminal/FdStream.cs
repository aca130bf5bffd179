using System.Runtime.InteropServices;

namespace MiniContainer.Cli.Terminal;

/// <summary>
/// A standard stream as plain read(2)/write(2) on its fd. Not FileStream: on a regular file FileStream writes
/// with pwrite at an offset it tracks itself, so two commands appending to the same redirected file
/// (`a >> log; b >> log`, or a shell's 2>&amp;1) overwrite each other. Not Console: see <see cref="Stdio"/>.
/// </summary>
internal sealed unsafe class FdStream(int fd, bool canRead) : MiniContainer.Storage.ForwardOnlyStream
{
    const int EINTR = 4, EAGAIN = 11, EPIPE = 32;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = TerminalNative.read(fd, p, (nuint)buffer.Length);
                if (n >= 0) return (int)n;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                if (errno == EAGAIN) { Thread.Sleep(10); continue; }   // a non-blocking fd handed to us by the shell
                throw new IOException($"read(fd {fd}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
        }
    }

    /// <summary>Reads on a pool thread: a terminal read blocks until a key is pressed, and must not hold up anything else.</summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        => new(Task.Run(() => Read(buffer.Span), ct));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        => Task.Run(() => Read(buffer, offset, count), ct);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            byte* p = start;
            nuint left = (nuint)buffer.Length;
            while (left > 0)
            {
                nint n = TerminalNative.write(fd, p, left);
                if (n >= 0) { p += n; left -= (nuint)n; continue; }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                if (errno == EAGAIN) { Thread.Sleep(1); continue; }
                throw new IOException(errno == EPIPE ? "Broken pipe" : $"write(fd {fd}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;

    public override bool CanRead => canRead;
    public override bool CanWrite => !canRead;
}
