namespace MiniContainer.Linux;

public static unsafe partial class Kernel
{
    private const int AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, NETLINK_ROUTE = 0;
    private const int SOL_SOCKET = 1, SO_RCVTIMEO = 20;

    /// <summary>socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) + bind: a channel to the kernel's routing/link
    /// subsystem (rtnetlink) of the network namespace the CALLING THREAD is in right now. The socket stays
    /// bound to that namespace for its whole life, whatever the thread does afterwards.</summary>
    public static int OpenRtnetlink()
    {
        int fd = Check(Libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), "socket(AF_NETLINK, NETLINK_ROUTE)");
        try
        {
            // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid; __u32 nl_groups; }
            // nl_pid 0: the kernel assigns us a port id.
            byte* addr = stackalloc byte[12];
            new Span<byte>(addr, 12).Clear();
            *(ushort*)addr = AF_NETLINK;
            Check(Libc.bind(fd, addr, 12), "bind(AF_NETLINK)");
            // A reply never comes only if something is badly wrong; 10 s beats hanging the daemon forever.
            long* timeout = stackalloc long[2] { 10, 0 };   // struct timeval { tv_sec; tv_usec }
            Check(Libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16), "setsockopt(SO_RCVTIMEO)");
            return fd;
        }
        catch { Close(fd); throw; }
    }

    /// <summary>send(2) one whole netlink request to the kernel.</summary>
    public static void NetlinkSend(int fd, ReadOnlySpan<byte> message, string what)
    {
        fixed (byte* p = message)
            while (true)
            {
                nint n = Libc.send(fd, p, (nuint)message.Length, 0);
                if (n >= 0) return;
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno != 4 /* EINTR */) throw new KernelException($"send(netlink, {what})", errno);
            }
    }

    /// <summary>recv(2) one datagram of netlink replies (one or more messages) into buffer; returns its length.</summary>
    public static int NetlinkReceive(int fd, Span<byte> buffer, string what)
    {
        fixed (byte* p = buffer)
            while (true)
            {
                nint n = Libc.recv(fd, p, (nuint)buffer.Length, 0);
                if (n >= 0) return (int)n;
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno != 4 /* EINTR */) throw new KernelException($"recv(netlink, {what})", errno);
            }
    }
}
