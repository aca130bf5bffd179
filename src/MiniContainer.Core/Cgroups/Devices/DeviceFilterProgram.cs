using System.Buffers.Binary;

namespace MiniContainer.Cgroups;

/// <summary>
/// One eBPF instruction (the kernel's struct bpf_insn, 8 bytes): opcode, destination and source registers,
/// a signed 16-bit offset (jumps: instructions to skip; loads: byte offset) and a signed 32-bit immediate.
/// </summary>
public readonly record struct BpfInstruction(byte Code, byte Dst, byte Src, short Offset, int Immediate)
{
    // Instruction classes, and the fields that complete an opcode (linux/bpf_common.h, linux/bpf.h).
    public const byte LDX = 0x01, ALU = 0x04, JMP = 0x05;           // ALU is the 32-bit arithmetic class
    public const byte MEM = 0x60, W = 0x00;                           // load mode and size (W = 32 bits)
    public const byte K = 0x00, X = 0x08;                             // operand: immediate or source register
    public const byte AND = 0x50, RSH = 0x70, MOV = 0xb0;             // ALU operations
    public const byte JEQ = 0x10, JNE = 0x50, EXIT = 0x90;            // JMP operations

    /// <summary>dst = *(u32 *)(src + offset)</summary>
    public static BpfInstruction LoadWord(byte dst, byte src, short offset) => new(LDX | MEM | W, dst, src, offset, 0);
    /// <summary>dst = (u32)(dst &amp; imm)</summary>
    public static BpfInstruction And32(byte dst, int imm) => new(ALU | AND | K, dst, 0, 0, imm);
    /// <summary>dst = (u32)dst &gt;&gt; imm</summary>
    public static BpfInstruction Rsh32(byte dst, int imm) => new(ALU | RSH | K, dst, 0, 0, imm);
    /// <summary>dst = (u32)src</summary>
    public static BpfInstruction Mov32(byte dst, byte src) => new(ALU | MOV | X, dst, src, 0, 0);
    /// <summary>dst = (u32)imm</summary>
    public static BpfInstruction Mov32(byte dst, int imm) => new(ALU | MOV | K, dst, 0, 0, imm);
    /// <summary>if (dst != imm) pc += offset</summary>
    public static BpfInstruction JumpIfNotEqual(byte dst, int imm, short offset) => new(JMP | JNE | K, dst, 0, offset, imm);
    /// <summary>if (dst != src) pc += offset</summary>
    public static BpfInstruction JumpIfNotEqualReg(byte dst, byte src, short offset) => new(JMP | JNE | X, dst, src, offset, 0);
    /// <summary>if (dst == imm) pc += offset</summary>
    public static BpfInstruction JumpIfEqual(byte dst, int imm, short offset) => new(JMP | JEQ | K, dst, 0, offset, imm);
    /// <summary>return r0</summary>
    public static BpfInstruction Exit() => new(JMP | EXIT, 0, 0, 0, 0);

    /// <summary>The 8 bytes the kernel reads (little-endian host: dst in the low nibble of byte 1).</summary>
    public void WriteTo(Span<byte> into)
    {
        into[0] = Code;
        into[1] = (byte)((Dst & 0xf) | (Src << 4));
        BinaryPrimitives.WriteInt16LittleEndian(into[2..], Offset);
        BinaryPrimitives.WriteInt32LittleEndian(into[4..], Immediate);
    }

    public override string ToString() => $"{Code:x2} dst=r{Dst} src=r{Src} off={Offset} imm={Immediate}";
}

/// <summary>
/// Compiles a <see cref="DeviceRuleSet"/> into a BPF_PROG_TYPE_CGROUP_DEVICE program: cgroup v2 has no devices.allow,
/// instead the kernel runs this program on every open/mknod of a device node by a process in the cgroup, and
/// allows the access when it returns 1. The program's input (r1) is a struct bpf_cgroup_dev_ctx:
/// <code>
///   u32 access_type;   // low 16 bits: BPF_DEVCG_DEV_BLOCK (1) or _CHAR (2); high 16 bits: BPF_DEVCG_ACC_* (mknod 1, read 2, write 4)
///   u32 major;
///   u32 minor;
/// </code>
/// Layout: load type into r2, access into r3, major into r4, minor into r5; then one block per exception that
/// falls through to the next block on any mismatch and returns the exception's verdict on a match; at the end,
/// return the default. The same shape as runc's and crun's device filters.
/// </summary>
public static class DeviceFilterProgram
{
    public const int BPF_DEVCG_DEV_BLOCK = 1, BPF_DEVCG_DEV_CHAR = 2;
    private const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

    public static IReadOnlyList<BpfInstruction> Compile(DeviceRuleSet set)
    {
        var program = new List<BpfInstruction>
        {
            BpfInstruction.LoadWord(R2, R1, 0), BpfInstruction.And32(R2, 0xffff),   // r2 = type
            BpfInstruction.LoadWord(R3, R1, 0), BpfInstruction.Rsh32(R3, 16),       // r3 = access asked for
            BpfInstruction.LoadWord(R4, R1, 4),                                      // r4 = major
            BpfInstruction.LoadWord(R5, R1, 8),                                      // r5 = minor
        };
        foreach (DeviceRule e in set.Exceptions) program.AddRange(Block(e, set.DefaultAllow));
        program.Add(BpfInstruction.Mov32(R0, set.DefaultAllow ? 1 : 0));
        program.Add(BpfInstruction.Exit());
        return program;
    }

    /// <summary>The instructions as the bytes BPF_PROG_LOAD takes.</summary>
    public static byte[] Encode(IReadOnlyList<BpfInstruction> program)
    {
        byte[] bytes = new byte[program.Count * 8];
        for (int i = 0; i < program.Count; i++) program[i].WriteTo(bytes.AsSpan(i * 8, 8));
        return bytes;
    }

    /// <summary>
    /// One exception. Every jump goes to the end of the block (the next exception). With deny by default an
    /// exception allows when it covers all the access asked for ((r3 &amp; access) == r3); with allow by default
    /// it denies when it covers any of it ((r3 &amp; access) != 0).
    /// </summary>
    private static List<BpfInstruction> Block(DeviceRule e, bool defaultAllow)
    {
        int type = e.Type switch
        {
            DeviceType.Char => BPF_DEVCG_DEV_CHAR,
            DeviceType.Block => BPF_DEVCG_DEV_BLOCK,
            _ => throw new ArgumentException($"an exception cannot be of type '{(char)e.Type}': {e}"),
        };
        // Jumps are filled in with their block-relative target (-1 = "next block") and fixed up below.
        var block = new List<BpfInstruction> { BpfInstruction.JumpIfNotEqual(R2, type, -1) };
        if (e.Access != DeviceAccess.All || defaultAllow)
        {
            block.Add(BpfInstruction.Mov32(R1, R3));
            block.Add(BpfInstruction.And32(R1, (int)e.Access));
            block.Add(defaultAllow ? BpfInstruction.JumpIfEqual(R1, 0, -1) : BpfInstruction.JumpIfNotEqualReg(R1, R3, -1));
        }
        if (e.Major != DeviceRule.Any) block.Add(BpfInstruction.JumpIfNotEqual(R4, checked((int)e.Major), -1));
        if (e.Minor != DeviceRule.Any) block.Add(BpfInstruction.JumpIfNotEqual(R5, checked((int)e.Minor), -1));
        block.Add(BpfInstruction.Mov32(R0, e.Allow ? 1 : 0));
        block.Add(BpfInstruction.Exit());
        for (int i = 0; i < block.Count; i++)
            if (block[i].Offset == -1 && (block[i].Code & 0x07) == BpfInstruction.JMP)
                block[i] = block[i] with { Offset = (short)(block.Count - i - 1) };
        return block;
    }
}
