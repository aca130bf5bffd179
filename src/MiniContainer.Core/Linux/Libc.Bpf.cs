using System.Runtime.InteropServices;

namespace MiniContainer.Linux;

internal static unsafe partial class Libc
{
    // bpf(2) has no glibc wrapper: it is called through syscall(2) with its x86_64 number.
    internal const long SYS_bpf = 321;
    internal const int BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8;

    /// <summary>The part of union bpf_attr that BPF_PROG_LOAD reads (up to expected_attach_type: 72 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct BpfProgLoadAttr
    {
        public uint ProgType;
        public uint InsnCount;
        public ulong Insns;        // struct bpf_insn *
        public ulong License;      // const char *
        public uint LogLevel;
        public uint LogSize;
        public ulong LogBuf;       // char *
        public uint KernVersion;
        public uint ProgFlags;
        public fixed byte ProgName[16];
        public uint ProgIfindex;
        public uint ExpectedAttachType;
    }

    /// <summary>The part of union bpf_attr that BPF_PROG_ATTACH reads.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct BpfProgAttachAttr
    {
        public uint TargetFd;
        public uint AttachBpfFd;
        public uint AttachType;
        public uint AttachFlags;
        public uint ReplaceBpfFd;
    }
}
