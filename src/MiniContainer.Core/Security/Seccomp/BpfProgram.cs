using System.Buffers.Binary;

namespace MiniContainer.Security.Seccomp;

/// <summary>
/// One classic BPF instruction, laid out as the kernel's struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }.
/// A seccomp filter is a program of these, run on struct seccomp_data for every system call.
/// </summary>
public readonly record struct BpfInstruction(ushort Code, byte Jt, byte Jf, uint K)
{
    public const int Size = 8;

    // Opcodes used by seccomp filters (linux/bpf_common.h).
    public const ushort LdAbsW = 0x20;    // BPF_LD | BPF_W | BPF_ABS: A = 32-bit word of seccomp_data at offset K
    public const ushort AndK = 0x54;      // BPF_ALU | BPF_AND | BPF_K: A &= K
    public const ushort Ja = 0x05;        // BPF_JMP | BPF_JA: jump forward K instructions
    public const ushort JeqK = 0x15;      // BPF_JMP | BPF_JEQ | BPF_K: A == K ? jt : jf
    public const ushort JgtK = 0x25;      // BPF_JMP | BPF_JGT | BPF_K: A > K (unsigned)
    public const ushort JgeK = 0x35;      // BPF_JMP | BPF_JGE | BPF_K: A >= K (unsigned)
    public const ushort RetK = 0x06;      // BPF_RET | BPF_K: the filter's verdict is K

    public static byte[] Encode(IReadOnlyList<BpfInstruction> program)
    {
        var bytes = new byte[program.Count * Size];
        for (int i = 0; i < program.Count; i++)
        {
            var span = bytes.AsSpan(i * Size, Size);
            BinaryPrimitives.WriteUInt16LittleEndian(span, program[i].Code);
            span[2] = program[i].Jt;
            span[3] = program[i].Jf;
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], program[i].K);
        }
        return bytes;
    }

    public static BpfInstruction[] Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % Size != 0) throw new ArgumentException("a BPF program is a whole number of 8-byte instructions");
        var program = new BpfInstruction[bytes.Length / Size];
        for (int i = 0; i < program.Length; i++)
        {
            var span = bytes.Slice(i * Size, Size);
            program[i] = new BpfInstruction(BinaryPrimitives.ReadUInt16LittleEndian(span), span[2], span[3],
                BinaryPrimitives.ReadUInt32LittleEndian(span[4..]));
        }
        return program;
    }
}

/// <summary>
/// Builds a BPF program with symbolic jump targets. Conditional jumps reach at most 255 instructions
/// ahead; the code generator keeps them short (far targets go through a BPF_JA, whose reach is 32 bits).
/// </summary>
public sealed class BpfAssembler
{
    private readonly List<(BpfInstruction Insn, int JtLabel, int JfLabel, int KLabel)> _code = new();
    private readonly List<int> _labels = new();   // label → instruction index (-1 until placed)

    /// <summary>Where a jump goes when it should just fall through to the next instruction.</summary>
    public const int Next = -1;

    public int Count => _code.Count;

    public int NewLabel() { _labels.Add(-1); return _labels.Count - 1; }

    public void Place(int label)
    {
        if (_labels[label] != -1) throw new InvalidOperationException("label placed twice");
        _labels[label] = _code.Count;
    }

    public void LoadWord(uint offset) => Emit(new BpfInstruction(BpfInstruction.LdAbsW, 0, 0, offset));
    public void And(uint k) => Emit(new BpfInstruction(BpfInstruction.AndK, 0, 0, k));
    public void Return(uint action) => Emit(new BpfInstruction(BpfInstruction.RetK, 0, 0, action));
    public void JumpAlways(int label) => _code.Add((new BpfInstruction(BpfInstruction.Ja, 0, 0, 0), Next, Next, label));

    /// <summary>A conditional jump: to jt when the comparison of A with k holds, else to jf (either may be Next).</summary>
    public void Jump(ushort op, uint k, int jt, int jf) => _code.Add((new BpfInstruction(op, 0, 0, k), jt, jf, Next));

    private void Emit(BpfInstruction insn) => _code.Add((insn, Next, Next, Next));

    public List<BpfInstruction> Build()
    {
        var program = new List<BpfInstruction>(_code.Count);
        for (int i = 0; i < _code.Count; i++)
        {
            var (insn, jt, jf, kLabel) = _code[i];
            if (kLabel != Next) insn = insn with { K = (uint)Distance(i, kLabel, uint.MaxValue) };
            if (jt != Next || jf != Next) insn = insn with { Jt = (byte)Distance(i, jt, 255), Jf = (byte)Distance(i, jf, 255) };
            program.Add(insn);
        }
        return program;
    }

    private long Distance(int from, int label, long max)
    {
        if (label == Next) return 0;
        int target = _labels[label];
        if (target < 0) throw new InvalidOperationException("jump to a label never placed");
        long d = target - (from + 1);
        if (d < 0 || d > max) throw new InvalidOperationException($"BPF jump from {from} to {target} out of reach");
        return d;
    }
}
