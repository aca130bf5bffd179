namespace MiniContainer.Linux;

/// <summary>The CLONE_NEW* flags: each gives the child a fresh copy of one kind of kernel-global state.</summary>
[Flags]
public enum Namespace : ulong
{
    None = 0,
    Mount = 0x00020000,   // CLONE_NEWNS: its own mount table
    Cgroup = 0x02000000,  // CLONE_NEWCGROUP: /proc/self/cgroup and cgroupfs rooted at its own cgroup
    Uts = 0x04000000,     // CLONE_NEWUTS: its own hostname
    Ipc = 0x08000000,     // CLONE_NEWIPC: its own SysV IPC and POSIX message queues
    User = 0x10000000,    // CLONE_NEWUSER: its own uid/gid numbering (root inside, nobody outside)
    Pid = 0x20000000,     // CLONE_NEWPID: its own process numbering; the child is PID 1
    Net = 0x40000000,     // CLONE_NEWNET: its own interfaces, routes, firewall
}

public static class NamespaceFiles
{
    /// <summary>The name under /proc/PID/ns/ for each namespace, in the order setns() must join them
    /// (user first, so we hold capabilities in the others; mount last but before pid's fork).</summary>
    public static readonly (Namespace Kind, string File)[] JoinOrder =
    {
        (Namespace.User, "user"), (Namespace.Ipc, "ipc"), (Namespace.Uts, "uts"), (Namespace.Net, "net"),
        (Namespace.Pid, "pid"), (Namespace.Cgroup, "cgroup"), (Namespace.Mount, "mnt"),
    };
}
