using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

/// <summary>Zero-copy relaying: splice(2) moves pages between a socket and a pipe inside the kernel, so a proxy
/// can pass a stream from one socket to another without copying it through user memory.</summary>
public static unsafe partial class Kernel
{
    const int F_SETPIPE_SZ = 1031;
    const uint SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2;
    const int EAGAIN = 11, EINTR = 4;

    /// <summary>pipe2(2) with O_NONBLOCK|O_CLOEXEC: a kernel buffer for splice that never blocks; (read end, write end).</summary>
    public static (int Read, int Write) NonBlockingPipe()
    {
        int* fds = stackalloc int[2];
        Check(Libc.pipe2(fds, O_CLOEXEC | O_NONBLOCK), "pipe2(O_NONBLOCK)");
        return (fds[0], fds[1]);
    }

    /// <summary>fcntl(F_SETPIPE_SZ): grow (or shrink) a pipe's buffer; returns the size the kernel chose, or -1 if refused.</summary>
    public static int TrySetPipeSize(int fd, int bytes) => Libc.fcntl(fd, F_SETPIPE_SZ, bytes);

    /// <summary>
    /// splice(2) with SPLICE_F_MOVE|SPLICE_F_NONBLOCK: moves up to `count` bytes from fdIn to fdOut (one of them a pipe)
    /// without copying them to user space. Returns the bytes moved, 0 at the end of fdIn's stream, or -1 when it would
    /// have to wait (EAGAIN: nothing to read yet, or no room to write). Other errors (ECONNRESET, EPIPE…) throw.
    /// No trace step: this runs once per chunk of a stream.
    /// </summary>
    public static long Splice(int fdIn, int fdOut, long count)
    {
        while (true)
        {
            nint n = Libc.splice(fdIn, null, fdOut, null, (nuint)count, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n >= 0) return n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EAGAIN) return -1;
            if (errno != EINTR) throw new KernelException($"splice({fdIn} → {fdOut})", errno);
        }
    }
}
