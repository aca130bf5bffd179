using MiniContainer.Linux;

namespace MiniContainer.Cgroups;

/// <summary>
/// cgroup v2 has no devices.allow: device access is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to
/// the cgroup. We compile the effective rule set into one (DeviceFilterProgram), load it, and attach it to the
/// container's cgroup with BPF_F_ALLOW_MULTI: a program attached further down (a nested runtime in a privileged
/// container) runs as well, and every program must allow, so nothing below can widen what ours allows. The
/// attachment holds the program; our fds are closed right away, and rmdir of the cgroup frees it.
/// </summary>
public static class DevicesV2
{
    /// <summary>
    /// The license the program declares. The kernel only checks it when a program calls GPL-only helpers, which a
    /// device filter does not (it calls none); it must still be a readable string.
    /// </summary>
    public const string License = "GPL";

    /// <summary>Shows up as the program's name in `bpftool prog` (at most 15 characters).</summary>
    public const string ProgramName = "mc_devices";

    public static void Apply(string dir, ResourceLimits limits)
    {
        if (limits.DeviceRules is not { } rules) return;
        byte[] program = DeviceFilterProgram.Encode(DeviceFilterProgram.Compile(DeviceRuleSet.From(rules)));
        int programFd = Kernel.LoadBpfProgram(Kernel.BPF_PROG_TYPE_CGROUP_DEVICE, program, License, ProgramName);
        try
        {
            int cgroupFd = Kernel.Open(dir, Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_CLOEXEC);
            try { Kernel.AttachBpfProgram(cgroupFd, programFd, Kernel.BPF_CGROUP_DEVICE, Kernel.BPF_F_ALLOW_MULTI); }
            finally { Kernel.Close(cgroupFd); }
        }
        finally { Kernel.Close(programFd); }
    }
}
