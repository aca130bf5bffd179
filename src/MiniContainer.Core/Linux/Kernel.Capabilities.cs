namespace MiniContainer.Linux;

/// <summary>The capability sets of this process beyond the bounding set (see Shim/Capabilities.cs for that one).</summary>
public static unsafe partial class Kernel
{
    public const int PR_SET_KEEPCAPS = 8, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2;
    private const long SYS_capset = 126;
    private const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    /// <summary>capset(2): this process's effective, permitted and inheritable sets, each a bit mask by capability
    /// number (64 bits: version 3 of the interface, two 32-bit words per set).</summary>
    public static void SetCapabilities(ulong effective, ulong permitted, ulong inheritable)
    {
        uint* header = stackalloc uint[2];
        header[0] = LINUX_CAPABILITY_VERSION_3;
        header[1] = 0; // this process
        uint* data = stackalloc uint[6];
        data[0] = (uint)effective; data[1] = (uint)permitted; data[2] = (uint)inheritable;
        data[3] = (uint)(effective >> 32); data[4] = (uint)(permitted >> 32); data[5] = (uint)(inheritable >> 32);
        Check((int)Libc.syscall2(SYS_capset, (long)header, (long)data), "capset()");
    }

    /// <summary>prctl(PR_SET_KEEPCAPS): keep the permitted set across the setuid() away from root (the effective set
    /// is still cleared; capset restores it).</summary>
    public static void KeepCapabilitiesAcrossSetuid() => Prctl(PR_SET_KEEPCAPS, 1, "PR_SET_KEEPCAPS");

    /// <summary>prctl(PR_CAP_AMBIENT_RAISE): an ambient capability survives execve of a program without file
    /// capabilities, also for a non-root user. The kernel wants it in both the permitted and the inheritable set.</summary>
    public static void RaiseAmbientCapability(int cap) =>
        Check(Libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (nuint)cap, 0, 0), $"prctl(PR_CAP_AMBIENT_RAISE {cap})");
}
