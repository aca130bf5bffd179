using System.Runtime.InteropServices;
using System.Text;
using MiniContainer.Explaining;

namespace MiniContainer.Linux;

/// <summary>
/// eBPF: small programs the kernel verifies and then runs at a hook. MiniContainer uses one kind only, the cgroup
/// v2 device filter (BPF_PROG_TYPE_CGROUP_DEVICE), which is how cgroup v2 says which device nodes a cgroup may open.
/// </summary>
public static unsafe partial class Kernel
{
    public const uint BPF_PROG_TYPE_CGROUP_DEVICE = 15;
    public const uint BPF_CGROUP_DEVICE = 6;
    /// <summary>Attach flag: more programs may be attached here and below; the kernel runs all of them and every one must allow.</summary>
    public const uint BPF_F_ALLOW_MULTI = 2;

    /// <summary>
    /// bpf(BPF_PROG_LOAD): hands a program (encoded struct bpf_insn array) to the verifier and returns its fd. The
    /// program lives while an fd or an attachment refers to it. When the verifier refuses it, the call is made again
    /// with a log so the error names the verifier's reason.
    /// </summary>
    public static int LoadBpfProgram(uint programType, ReadOnlySpan<byte> instructions, string license, string name)
    {
        long t = Explain.Begin();
        long rc = LoadBpf(programType, instructions, license, name, null, 0);
        if (rc >= 0)
        {
            if (t != 0) Explain.Record(t, ExplainTextMore.BpfLoad(name, instructions.Length / 8));
            return (int)rc;
        }
        int errno = Marshal.GetLastPInvokeError();
        const int LogSize = 64 * 1024;
        byte[] log = new byte[LogSize];
        fixed (byte* logBuf = log) LoadBpf(programType, instructions, license, name, logBuf, LogSize);
        string text = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
        throw new KernelException($"bpf(BPF_PROG_LOAD, {name}){(text.Length > 0 ? $" [verifier: {text.ReplaceLineEndings("; ")}]" : "")}", errno);
    }

    private static long LoadBpf(uint programType, ReadOnlySpan<byte> instructions, string license, string name, byte* log, uint logSize)
    {
        byte* lic = NativeString.Alloc(license);
        try
        {
            fixed (byte* insns = instructions)
            {
                var attr = new Libc.BpfProgLoadAttr
                {
                    ProgType = programType, InsnCount = (uint)(instructions.Length / 8), Insns = (ulong)insns, License = (ulong)lic,
                    LogLevel = log is null ? 0u : 1u, LogSize = logSize, LogBuf = (ulong)log,
                };
                byte[] n = Encoding.ASCII.GetBytes(name);
                for (int i = 0; i < n.Length && i < 15; i++) attr.ProgName[i] = n[i];
                return Libc.syscall5(Libc.SYS_bpf, Libc.BPF_PROG_LOAD, (long)&attr, sizeof(Libc.BpfProgLoadAttr), 0, 0);
            }
        }
        finally { NativeMemory.Free(lic); }
    }

    /// <summary>bpf(BPF_PROG_ATTACH): runs the program at attachType for the cgroup open at cgroupFd (and the cgroups below it).</summary>
    public static void AttachBpfProgram(int cgroupFd, int programFd, uint attachType, uint flags)
    {
        long t = Explain.Begin();
        var attr = new Libc.BpfProgAttachAttr { TargetFd = (uint)cgroupFd, AttachBpfFd = (uint)programFd, AttachType = attachType, AttachFlags = flags };
        Check(Libc.syscall5(Libc.SYS_bpf, Libc.BPF_PROG_ATTACH, (long)&attr, sizeof(Libc.BpfProgAttachAttr), 0, 0), "bpf(BPF_PROG_ATTACH)");
        if (t != 0) Explain.Record(t, ExplainTextMore.BpfAttach(new FileInfo($"/proc/self/fd/{cgroupFd}").LinkTarget ?? $"fd {cgroupFd}", flags));
    }
}
