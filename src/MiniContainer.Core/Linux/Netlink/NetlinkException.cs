namespace MiniContainer.Linux.Netlink;

/// <summary>The kernel refused an rtnetlink request: names the operation and the link,
/// e.g. "create bridge mc-1a2b3c4d5e6f: EEXIST (File exists)".</summary>
public sealed class NetlinkException(string operation, int errno)
    : Exception($"{operation}: {KernelException.ErrnoName(errno)} ({System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)})")
{
    public int Errno { get; } = errno;
    public string Operation { get; } = operation;
}
