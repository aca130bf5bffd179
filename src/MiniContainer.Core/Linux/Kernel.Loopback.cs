using MiniContainer.Explaining;

namespace MiniContainer.Linux;

public static unsafe partial class Kernel
{
    private const ulong SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    private const short IFF_UP = 1;

    /// <summary>ioctl(SIOCSIFFLAGS, IFF_UP) on "lo": bring the loopback interface of this network namespace up.
    /// (Bridges and veths use rtnetlink; loopback needs only this one flag.)</summary>
    public static void BringLoopbackUp()
    {
        long t = Explain.Begin();
        int s = Check(Libc.socket(2 /* AF_INET */, 2 | 0x80000 /* SOCK_DGRAM|SOCK_CLOEXEC */, 0), "socket(AF_INET, SOCK_DGRAM)");
        try
        {
            byte* ifreq = stackalloc byte[40];   // struct ifreq: char name[16]; union { short flags; ... }
            new Span<byte>(ifreq, 40).Clear();
            ifreq[0] = (byte)'l'; ifreq[1] = (byte)'o';
            Ioctl(s, SIOCGIFFLAGS, ifreq, "SIOCGIFFLAGS lo");
            *(short*)(ifreq + 16) |= IFF_UP;
            Ioctl(s, SIOCSIFFLAGS, ifreq, "SIOCSIFFLAGS lo up");
        }
        finally { Close(s); }
        if (t != 0) Explain.Record(t, ExplainTextMore.LoopbackUp());
    }
}
