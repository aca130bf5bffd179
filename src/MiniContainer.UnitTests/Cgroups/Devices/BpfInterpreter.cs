using System.Buffers.Binary;
using MiniContainer.Cgroups;

namespace MiniContainer.UnitTests.Cgroups.Devices;

/// <summary>
/// A tiny eBPF interpreter for exactly the instructions a device filter may use, so tests can run the generated
/// program on a struct bpf_cgroup_dev_ctx the way the kernel would. It decodes the encoded bytes (what the
/// kernel receives), refuses any other opcode, any read outside the 12-byte context or through anything but
/// the context pointer, jumps out of the program, backward jumps (the verifier's rule for loops), and reading
/// a register that was never written.
/// </summary>
internal static class BpfInterpreter
{
    private const ulong ContextBase = 0x7000_0000_0000;

    public static int Run(byte[] program, int type, int access, uint major, uint minor)
    {
        byte[] ctx = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(ctx, (uint)(access << 16 | type));
        BinaryPrimitives.WriteUInt32LittleEndian(ctx.AsSpan(4), major);
        BinaryPrimitives.WriteUInt32LittleEndian(ctx.AsSpan(8), minor);

        if (program.Length % 8 != 0 || program.Length == 0) throw new InvalidOperationException("not a whole number of instructions");
        int count = program.Length / 8;
        var reg = new ulong[11];
        var written = new bool[11];
        reg[1] = ContextBase; written[1] = true; written[10] = true;
        int pc = 0;
        for (int steps = 0; steps < 4096; steps++)
        {
            if (pc < 0 || pc >= count) throw new InvalidOperationException($"pc {pc} is outside the program ({count} instructions)");
            ReadOnlySpan<byte> ins = program.AsSpan(pc * 8, 8);
            byte code = ins[0];
            int dst = ins[1] & 0xf, src = ins[1] >> 4;
            short off = BinaryPrimitives.ReadInt16LittleEndian(ins[2..]);
            int imm = BinaryPrimitives.ReadInt32LittleEndian(ins[4..]);
            ulong Src() => written[src] ? reg[src] : throw new InvalidOperationException($"r{src} read before written at {pc}");
            ulong Dst() => written[dst] ? reg[dst] : throw new InvalidOperationException($"r{dst} read before written at {pc}");
            void Set(ulong v) { reg[dst] = v; written[dst] = true; }
            int Jump(bool taken)
            {
                if (off < 0) throw new InvalidOperationException($"backward jump at {pc}");
                return taken ? pc + 1 + off : pc + 1;
            }
            switch (code)
            {
                case BpfInstruction.LDX | BpfInstruction.MEM | BpfInstruction.W:
                    if (src != 1 || Src() != ContextBase) throw new InvalidOperationException($"load through r{src}, not the context, at {pc}");
                    if (off < 0 || off > 8 || off % 4 != 0) throw new InvalidOperationException($"context read at offset {off} at {pc}");
                    Set(BinaryPrimitives.ReadUInt32LittleEndian(ctx.AsSpan(off)));
                    pc++; break;
                case BpfInstruction.ALU | BpfInstruction.AND | BpfInstruction.K: Set((uint)Dst() & (uint)imm); pc++; break;
                case BpfInstruction.ALU | BpfInstruction.RSH | BpfInstruction.K: Set((uint)Dst() >> imm); pc++; break;
                case BpfInstruction.ALU | BpfInstruction.MOV | BpfInstruction.X: Set((uint)Src()); pc++; break;
                case BpfInstruction.ALU | BpfInstruction.MOV | BpfInstruction.K: Set((uint)imm); pc++; break;
                // 64-bit compares against the sign-extended immediate, as the kernel does.
                case BpfInstruction.JMP | BpfInstruction.JNE | BpfInstruction.K: pc = Jump(Dst() != (ulong)(long)imm); break;
                case BpfInstruction.JMP | BpfInstruction.JEQ | BpfInstruction.K: pc = Jump(Dst() == (ulong)(long)imm); break;
                case BpfInstruction.JMP | BpfInstruction.JNE | BpfInstruction.X: pc = Jump(Dst() != Src()); break;
                case BpfInstruction.JMP | BpfInstruction.EXIT:
                    if (!written[0]) throw new InvalidOperationException("exit without r0");
                    return (int)reg[0];
                default: throw new InvalidOperationException($"opcode 0x{code:x2} at {pc} is not one a device filter uses");
            }
        }
        throw new InvalidOperationException("the program did not finish");
    }
}
