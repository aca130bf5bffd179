using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace MiniContainer.Linux;

public static unsafe partial class Kernel
{
    private const ulong SIOCOUTQ = 0x5411;
    private const int AF_UNIX = 1, SOCK_STREAM = 1, MSG_NOSIGNAL = 0x4000, SHUT_RDWR = 2;   // SOCK_CLOEXEC: Kernel.Netlink.cs, EINTR: Kernel.Splice.cs

    /// <summary>ioctl(SIOCOUTQ) on a unix stream socket: how many of the bytes we sent the peer has not read yet.</summary>
    public static int UnreadByPeer(int fd)
    {
        int queued = 0;
        Ioctl(fd, SIOCOUTQ, &queued, "SIOCOUTQ");
        return queued;
    }

    /// <summary>socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC), bind(path) and listen(backlog): a unix socket that takes
    /// connections at path. The file bind makes gets the process's umask; the caller sets its mode.</summary>
    public static int ListenUnix(string path, int backlog)
    {
        byte[] name = Encoding.UTF8.GetBytes(path);
        if (name.Length >= 108) throw new KernelException($"bind({path}): the path is {name.Length} bytes, a unix socket's may have 107", 36 /* ENAMETOOLONG */);
        var address = new Libc.SockaddrUn { Family = AF_UNIX };
        name.CopyTo(new Span<byte>(address.Path, 108));
        int fd = Check(Libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket(AF_UNIX)");
        try
        {
            Check(Libc.bind(fd, &address, (uint)sizeof(Libc.SockaddrUn)), $"bind({path})");
            Check(Libc.listen(fd, backlog), $"listen({path})");
            return fd;
        }
        catch
        {
            Close(fd);
            throw;
        }
    }

    /// <summary>accept4(SOCK_CLOEXEC), retrying on EINTR: the next connection on a listening socket, waiting for one.</summary>
    public static int Accept(int listener)
    {
        while (true)
        {
            int fd = Libc.accept4(listener, null, null, SOCK_CLOEXEC);
            if (fd == -1 && Marshal.GetLastPInvokeError() == EINTR) continue;
            return Check(fd, $"accept4(fd {listener})");
        }
    }

    /// <summary>recv(2) from a connected socket, retrying on EINTR: 0 once the peer has closed its end.</summary>
    public static int Receive(SafeFileHandle socket, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
            while (true)
            {
                nint n = Libc.recv(socket, p, buffer.Length, 0);
                if (n == -1 && Marshal.GetLastPInvokeError() == EINTR) continue;
                return (int)Check((long)n, "recv");
            }
    }

    /// <summary>send(2, MSG_NOSIGNAL) of the whole buffer: a peer that has gone gives EPIPE, never SIGPIPE.</summary>
    public static void SendAll(SafeFileHandle socket, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = Libc.send(socket, p + done, data.Length - done, MSG_NOSIGNAL);
                if (n == -1 && Marshal.GetLastPInvokeError() == EINTR) continue;
                done += (int)Check((long)n, "send");
            }
        }
    }

    /// <summary>shutdown(SHUT_RDWR), ignoring errors: the peer reads the end, and a read of ours that waits returns 0.</summary>
    public static void ShutdownBoth(SafeFileHandle socket) => Libc.shutdown(socket, SHUT_RDWR);
}
