namespace MiniContainer.Linux;

public static unsafe partial class Kernel
{
    private const ulong SIOCOUTQ = 0x5411;

    /// <summary>ioctl(SIOCOUTQ) on a unix stream socket: how many of the bytes we sent the peer has not read yet.</summary>
    public static int UnreadByPeer(int fd)
    {
        int queued = 0;
        Ioctl(fd, SIOCOUTQ, &queued, "SIOCOUTQ");
        return queued;
    }
}
