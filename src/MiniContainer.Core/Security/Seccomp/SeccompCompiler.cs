using System.Globalization;

namespace MiniContainer.Security.Seccomp;

/// <summary>
/// Compiles a profile in Docker's format into the classic BPF program the kernel runs on every system call
/// (seccomp(SECCOMP_SET_MODE_FILTER)), for one container: rules whose includes/excludes name capabilities are
/// kept or dropped by the container's effective capability set, as dockerd does.
///
/// The program, for x86_64:
///   1. arch check: seccomp_data.arch must be AUDIT_ARCH_X86_64. Anything else — i386 code (int $0x80 or a
///      32-bit process) — is killed: this filter knows only x86_64 numbers, and letting another numbering
///      through unfiltered would be a way around it. x32 calls (the same arch, nr with bit 30 set) likewise.
///   2. a binary search over system call numbers: the number line is cut into ranges that share a verdict
///      (runs of allowed calls, runs of default), and a tree of `jge` picks the range in about log2(ranges)
///      steps — a dozen instructions per call rather than a walk down a list of 350 names.
///   3. per system call with argument rules, a small block that compares the 64-bit arguments (two 32-bit
///      halves each) and returns the first matching rule's action, else the call's plain action or the default.
/// </summary>
public static class SeccompCompiler
{
    public const uint AuditArchX86_64 = 0xC000003E;   // EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
    public const uint X32SyscallBit = 0x40000000;     // __X32_SYSCALL_BIT

    // SECCOMP_RET_* (linux/seccomp.h).
    public const uint RetKillProcess = 0x80000000, RetKillThread = 0, RetTrap = 0x00030000, RetErrno = 0x00050000,
        RetTrace = 0x7ff00000, RetLog = 0x7ffc0000, RetAllow = 0x7fff0000;

    // Offsets in struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }.
    public const uint OffsetNr = 0, OffsetArch = 4, OffsetArgs = 16;

    private const int EPERM = 1;

    /// <summary>The GOARCH name of this architecture, which includes.arches/excludes.arches use.</summary>
    public const string NativeArch = "amd64";

    /// <param name="profile">the profile (Docker's default, or the user's)</param>
    /// <param name="capabilities">the container's effective capabilities, named like "CAP_SYS_ADMIN"</param>
    /// <param name="kernel">the running kernel's version, for minKernel</param>
    public static byte[] Compile(SeccompProfile profile, IReadOnlySet<string> capabilities, Version kernel) =>
        BpfInstruction.Encode(CompileProgram(profile, capabilities, kernel));

    public static List<BpfInstruction> CompileProgram(SeccompProfile profile, IReadOnlySet<string> capabilities, Version kernel)
    {
        Validate(profile);
        uint defaultAction = Action(profile.DefaultAction, profile.DefaultErrnoRet, "defaultAction");

        // Each system call number → its rules that apply to this container, in profile order.
        var calls = new SortedDictionary<uint, List<CompiledRule>>();
        foreach (var rule in profile.Syscalls ?? new())
        {
            uint action = Action(rule.Action, rule.ErrnoRet, $"action of {string.Join(",", RuleNames(rule))}");
            var args = (rule.Args ?? new()).Select(ToCondition).ToList();
            if (!Applies(rule, capabilities, kernel)) continue;
            // Two conditions on the same argument cannot both hold for EQ: Docker's profiles mean "either" by
            // that, and runc turns each into a rule of its own. Otherwise all conditions of a rule must hold.
            var alternatives = args.GroupBy(a => a.Index).Any(g => g.Count() > 1)
                ? args.Select(a => new List<Condition> { a }).ToList()
                : new List<List<Condition>> { args };
            foreach (string name in RuleNames(rule))
            {
                // A name this architecture lacks (arm_fadvise64_64, socketcall, …) is skipped, as libseccomp does.
                if (!SyscallTableX86_64.Numbers.TryGetValue(name, out int nr)) continue;
                if (!calls.TryGetValue((uint)nr, out var list)) calls[(uint)nr] = list = new();
                foreach (var conditions in alternatives) list.Add(new CompiledRule(action, conditions));
            }
        }
        return Emit(calls, defaultAction);
    }

    private sealed record Condition(uint Index, ulong Value, ulong ValueTwo, string Op);
    private sealed record CompiledRule(uint Action, List<Condition> Conditions);

    private static IEnumerable<string> RuleNames(SeccompRule rule) =>
        rule.Names is { Count: > 0 } names ? names : rule.Name is { Length: > 0 } name ? new[] { name } : Array.Empty<string>();

    private static void Validate(SeccompProfile profile)
    {
        if (profile.Architectures is { Count: > 0 } && profile.ArchMap is { Count: > 0 })
            throw new SeccompProfileException("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
        if (profile.Flags is { Count: > 0 })
            throw new SeccompProfileException($"seccomp profile flags are not supported by MiniContainer: {string.Join(", ", profile.Flags)}");
        if (!string.IsNullOrEmpty(profile.ListenerPath))
            throw new SeccompProfileException("seccomp profile listenerPath (SCMP_ACT_NOTIFY) is not supported by MiniContainer");
        foreach (var rule in profile.Syscalls ?? new())
        {
            if (rule.Names is { Count: > 0 } && !string.IsNullOrEmpty(rule.Name))
                throw new SeccompProfileException("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
            if (!RuleNames(rule).Any())
                throw new SeccompProfileException("a rule in the seccomp profile names no system call ('names' is empty)");
            foreach (string name in RuleNames(rule))
                if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                    throw new SeccompProfileException($"invalid system call name in the seccomp profile: \"{name}\"");
            foreach (var filter in new[] { rule.Includes, rule.Excludes })
                if (filter?.MinKernel is { Length: > 0 } minKernel) ParseKernelVersion(minKernel);
        }
        foreach (string arch in (profile.Architectures ?? new()).Concat((profile.ArchMap ?? new()).SelectMany(m => new[] { m.Architecture }.Concat(m.SubArchitectures ?? new()))))
            if (!arch.StartsWith("SCMP_ARCH_", StringComparison.Ordinal))
                throw new SeccompProfileException($"invalid architecture in the seccomp profile: \"{arch}\"");
    }

    /// <summary>Whether a rule applies to this container: all its includes hold and none of its excludes.</summary>
    private static bool Applies(SeccompRule rule, IReadOnlySet<string> capabilities, Version kernel)
    {
        var inc = rule.Includes;
        if (inc != null)
        {
            if (inc.Arches is { Count: > 0 } arches && !arches.Contains(NativeArch)) return false;
            if (inc.Caps is { Count: > 0 } caps && !caps.All(capabilities.Contains)) return false;
            if (inc.MinKernel is { Length: > 0 } min && kernel < ParseKernelVersion(min)) return false;
        }
        var exc = rule.Excludes;
        if (exc != null)
        {
            if (exc.Arches is { Count: > 0 } arches && arches.Contains(NativeArch)) return false;
            if (exc.Caps is { Count: > 0 } caps && caps.Any(capabilities.Contains)) return false;
            if (exc.MinKernel is { Length: > 0 } min && kernel >= ParseKernelVersion(min)) return false;
        }
        return true;
    }

    /// <summary>"4.8" or "5.10.3" (only major.minor count, as in dockerd).</summary>
    public static Version ParseKernelVersion(string text)
    {
        string[] parts = text.Split('.');
        if (parts.Length < 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
                             || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minor))
            throw new SeccompProfileException($"invalid kernel version: {text}");
        return new Version(major, minor);
    }

    /// <summary>The version of the kernel this process runs on (read once), e.g. 6.1 for "6.1.0-18-amd64".</summary>
    public static Version RunningKernel => s_runningKernel.Value;

    private static readonly Lazy<Version> s_runningKernel = new(() => KernelVersionOf(File.ReadAllText("/proc/sys/kernel/osrelease")));

    /// <summary>The running kernel's version from a release string like "6.1.0-18-amd64".</summary>
    public static Version KernelVersionOf(string release)
    {
        string[] parts = release.Trim().Split('.', '-');
        int major = parts.Length > 0 && int.TryParse(parts[0], out int a) ? a : 0;
        int minor = parts.Length > 1 && int.TryParse(parts[1], out int b) ? b : 0;
        return new Version(major, minor);
    }

    private static uint Action(string name, uint? errnoRet, string what)
    {
        if (errnoRet is > 0xffff) throw new SeccompProfileException($"errnoRet {errnoRet} of the {what} is too large");
        if (errnoRet != null && name is not ("SCMP_ACT_ERRNO" or "SCMP_ACT_TRACE"))
            throw new SeccompProfileException($"errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not with {name} (the {what})");
        uint data = errnoRet ?? EPERM;
        return name switch
        {
            "SCMP_ACT_ALLOW" => RetAllow,
            "SCMP_ACT_ERRNO" => RetErrno | data,
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => RetKillThread,
            "SCMP_ACT_KILL_PROCESS" => RetKillProcess,
            "SCMP_ACT_TRAP" => RetTrap,
            "SCMP_ACT_TRACE" => RetTrace | data,
            "SCMP_ACT_LOG" => RetLog,
            "SCMP_ACT_NOTIFY" => throw new SeccompProfileException("SCMP_ACT_NOTIFY is not supported by MiniContainer"),
            "" => throw new SeccompProfileException($"the {what} is missing"),
            _ => throw new SeccompProfileException($"unknown seccomp action \"{name}\" (the {what})"),
        };
    }

    private static Condition ToCondition(SeccompArg arg)
    {
        if (arg.Index > 5) throw new SeccompProfileException($"invalid argument index {arg.Index} in the seccomp profile: system calls have 6 arguments (0-5)");
        if (arg.Op is not ("SCMP_CMP_EQ" or "SCMP_CMP_NE" or "SCMP_CMP_LT" or "SCMP_CMP_LE" or "SCMP_CMP_GT" or "SCMP_CMP_GE" or "SCMP_CMP_MASKED_EQ"))
            throw new SeccompProfileException($"unknown seccomp comparison operator \"{arg.Op}\"");
        return new Condition(arg.Index, arg.Value, arg.ValueTwo, arg.Op);
    }

    // ------------------------------------------------------------------------------------------ code generation

    private static List<BpfInstruction> Emit(SortedDictionary<uint, List<CompiledRule>> calls, uint defaultAction)
    {
        var asm = new BpfAssembler();

        // 1. Only x86_64's own numbering is filtered; i386 and x32 calls are killed (see the class comment).
        int wrongArch = asm.NewLabel(), native = asm.NewLabel();
        asm.LoadWord(OffsetArch);
        asm.Jump(BpfInstruction.JeqK, AuditArchX86_64, BpfAssembler.Next, wrongArch);
        asm.LoadWord(OffsetNr);
        asm.Jump(BpfInstruction.JgeK, X32SyscallBit, BpfAssembler.Next, native);
        asm.Place(wrongArch);
        asm.Return(RetKillProcess);
        asm.Place(native);

        // 2. Verdicts per system call: a plain action, or a block of argument checks.
        var verdicts = new List<(uint Nr, Verdict Verdict)>();
        var blocks = new List<(int Label, List<CompiledRule> Rules, uint Fallback)>();
        foreach (var (nr, rules) in calls)
        {
            uint plain = rules.FirstOrDefault(r => r.Conditions.Count == 0)?.Action ?? defaultAction;
            var conditional = rules.Where(r => r.Conditions.Count > 0).ToList();
            if (conditional.Count == 0) { verdicts.Add((nr, new Verdict(plain, -1))); continue; }
            int label = asm.NewLabel();
            blocks.Add((label, conditional, plain));
            verdicts.Add((nr, new Verdict(0, label)));
        }

        // Cut the number line into ranges with one verdict each: [start, next start).
        var ranges = new List<(uint Start, Verdict Verdict)> { (0, new Verdict(defaultAction, -1)) };
        void AddRange(uint start, Verdict v)
        {
            if (ranges[^1].Start == start) ranges[^1] = (start, v);
            else if (ranges[^1].Verdict != v) ranges.Add((start, v));
        }
        for (int i = 0; i < verdicts.Count; i++)
        {
            var (nr, v) = verdicts[i];
            AddRange(nr, v);
            bool nextIsAdjacent = i + 1 < verdicts.Count && verdicts[i + 1].Nr == nr + 1;
            if (!nextIsAdjacent) AddRange(nr + 1, new Verdict(defaultAction, -1));
        }
        EmitTree(asm, ranges, 0, ranges.Count - 1);

        // 3. The argument blocks.
        foreach (var (label, rules, fallback) in blocks)
        {
            asm.Place(label);
            foreach (var rule in rules)
            {
                int nextRule = asm.NewLabel();
                foreach (var c in rule.Conditions) EmitCondition(asm, c, nextRule);
                asm.Return(rule.Action);
                asm.Place(nextRule);
            }
            asm.Return(fallback);
        }
        return asm.Build();
    }

    /// <summary>What a range of system call numbers gets: a plain action, or (Block ≥ 0) a jump to an argument block.</summary>
    private readonly record struct Verdict(uint Action, int Block);

    /// <summary>A balanced tree of `jge` over ranges lo..hi; leaves return their action or jump to their block.</summary>
    private static void EmitTree(BpfAssembler asm, List<(uint Start, Verdict Verdict)> ranges, int lo, int hi)
    {
        if (lo == hi)
        {
            var v = ranges[lo].Verdict;
            if (v.Block >= 0) asm.JumpAlways(v.Block);
            else asm.Return(v.Action);
            return;
        }
        int mid = (lo + hi + 1) / 2;
        int right = asm.NewLabel();
        if (TreeSize(lo, mid - 1) <= 255)
            asm.Jump(BpfInstruction.JgeK, ranges[mid].Start, right, BpfAssembler.Next);
        else
        {
            // The left subtree is too long for an 8-bit jump: jge skips one instruction, a JA (32-bit reach) goes right.
            int left = asm.NewLabel();
            asm.Jump(BpfInstruction.JgeK, ranges[mid].Start, BpfAssembler.Next, left);
            asm.JumpAlways(right);
            asm.Place(left);
        }
        EmitTree(asm, ranges, lo, mid - 1);
        asm.Place(right);
        EmitTree(asm, ranges, mid, hi);
    }

    /// <summary>How many instructions EmitTree produces for ranges lo..hi.</summary>
    private static int TreeSize(int lo, int hi)
    {
        if (lo == hi) return 1;
        int mid = (lo + hi + 1) / 2;
        int left = TreeSize(lo, mid - 1);
        return 1 + (left <= 255 ? 0 : 1) + left + TreeSize(mid, hi);
    }

    /// <summary>
    /// Falls through when the condition holds, jumps to fail otherwise. Arguments are 64 bits; classic BPF
    /// compares 32 at a time, so each test looks at the high half first and the low half only on a tie.
    /// </summary>
    private static void EmitCondition(BpfAssembler asm, Condition c, int fail)
    {
        uint hiOffset = OffsetArgs + 8 * c.Index + 4, loOffset = OffsetArgs + 8 * c.Index;
        uint hi = (uint)(c.Value >> 32), lo = (uint)c.Value;
        const int next = BpfAssembler.Next;
        int pass = asm.NewLabel();
        switch (c.Op)
        {
            case "SCMP_CMP_EQ":
                asm.LoadWord(hiOffset); asm.Jump(BpfInstruction.JeqK, hi, next, fail);
                asm.LoadWord(loOffset); asm.Jump(BpfInstruction.JeqK, lo, next, fail);
                break;
            case "SCMP_CMP_NE":
                asm.LoadWord(hiOffset); asm.Jump(BpfInstruction.JeqK, hi, next, pass);
                asm.LoadWord(loOffset); asm.Jump(BpfInstruction.JeqK, lo, fail, next);
                break;
            case "SCMP_CMP_GT":
            case "SCMP_CMP_GE":
                asm.LoadWord(hiOffset); asm.Jump(BpfInstruction.JgtK, hi, pass, next);
                asm.Jump(BpfInstruction.JeqK, hi, next, fail);
                asm.LoadWord(loOffset); asm.Jump(c.Op == "SCMP_CMP_GT" ? BpfInstruction.JgtK : BpfInstruction.JgeK, lo, next, fail);
                break;
            case "SCMP_CMP_LT":   // not (arg >= value)
            case "SCMP_CMP_LE":   // not (arg > value)
                asm.LoadWord(hiOffset); asm.Jump(BpfInstruction.JgtK, hi, fail, next);
                asm.Jump(BpfInstruction.JeqK, hi, next, pass);
                asm.LoadWord(loOffset); asm.Jump(c.Op == "SCMP_CMP_LT" ? BpfInstruction.JgeK : BpfInstruction.JgtK, lo, fail, next);
                break;
            case "SCMP_CMP_MASKED_EQ":   // (arg & value) == valueTwo
                asm.LoadWord(hiOffset); asm.And(hi); asm.Jump(BpfInstruction.JeqK, (uint)(c.ValueTwo >> 32), next, fail);
                asm.LoadWord(loOffset); asm.And(lo); asm.Jump(BpfInstruction.JeqK, (uint)c.ValueTwo, next, fail);
                break;
        }
        asm.Place(pass);
    }
}
