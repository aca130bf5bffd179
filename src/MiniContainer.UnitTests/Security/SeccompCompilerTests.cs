using MiniContainer.Runtime;
using MiniContainer.Security.Seccomp;
using Xunit;

namespace MiniContainer.UnitTests.Security;

/// <summary>
/// The seccomp compiler, checked by running the BPF program it makes: a small classic-BPF interpreter (below)
/// plays the kernel, feeding struct seccomp_data (arch, nr, args) and reading the verdict.
/// </summary>
public sealed class SeccompCompilerTests
{
    private const uint Allow = SeccompCompiler.RetAllow, Eperm = SeccompCompiler.RetErrno | 1, Enosys = SeccompCompiler.RetErrno | 38;
    private static readonly Version Kernel = new(6, 1);

    private static int Nr(string name) => SyscallTableX86_64.Numbers[name];

    /// <summary>Docker's default set of capabilities, plus what is added, named as profiles name them.</summary>
    private static HashSet<string> Caps(params string[] add) =>
        CapabilitySet.Effective(add, null).Select(c => "CAP_" + CapabilitySet.Names[c]).ToHashSet();

    private static byte[] DefaultFilter(params string[] capAdd) => SeccompCompiler.Compile(SeccompProfile.Default, Caps(capAdd), Kernel);

    private static uint Run(byte[] filter, string call, params ulong[] args) =>
        Bpf.Run(filter, SeccompCompiler.AuditArchX86_64, (uint)Nr(call), args);

    // ------------------------------------------------------------ Docker's default profile

    [Theory]
    [InlineData("read")]
    [InlineData("write")]
    [InlineData("execve")]
    [InlineData("exit_group")]
    [InlineData("mkdir")]
    [InlineData("futex")]
    [InlineData("arch_prctl")]        // includes.arches amd64
    [InlineData("chroot")]            // CAP_SYS_CHROOT is a default capability
    [InlineData("statmount")]         // newer than the 6.1 headers the table was generated from
    [InlineData("rseq")]
    public void The_default_profile_allows_ordinary_calls(string call) =>
        Assert.Equal(Allow, Run(DefaultFilter(), call));

    [Theory]
    [InlineData("keyctl")]
    [InlineData("add_key")]
    [InlineData("request_key")]
    [InlineData("mount")]
    [InlineData("umount2")]
    [InlineData("unshare")]
    [InlineData("setns")]
    [InlineData("reboot")]
    [InlineData("init_module")]
    [InlineData("kexec_load")]
    [InlineData("ptrace")]            // allowed only from kernel 4.8… see below
    [InlineData("bpf")]
    [InlineData("io_uring_setup")]
    [InlineData("userfaultfd")]
    [InlineData("open_by_handle_at")] // needs CAP_DAC_READ_SEARCH
    [InlineData("swapon")]
    public void The_default_profile_refuses_with_EPERM(string call)
    {
        var filter = SeccompCompiler.Compile(SeccompProfile.Default, Caps(), new Version(4, 4));
        Assert.Equal(Eperm, Bpf.Run(filter, SeccompCompiler.AuditArchX86_64, (uint)Nr(call), []));
    }

    [Fact]
    public void A_rule_with_minKernel_applies_from_that_kernel_on()
    {
        Assert.Equal(Allow, Run(DefaultFilter(), "ptrace"));
        Assert.Equal(Eperm, Bpf.Run(SeccompCompiler.Compile(SeccompProfile.Default, Caps(), new Version(4, 7)),
            SeccompCompiler.AuditArchX86_64, (uint)Nr("ptrace"), []));
    }

    [Fact]
    public void Clone3_is_answered_with_ENOSYS_so_libc_falls_back_to_clone()
    {
        Assert.Equal(Enosys, Run(DefaultFilter(), "clone3"));
        Assert.Equal(Allow, Run(DefaultFilter("SYS_ADMIN"), "clone3"));
    }

    [Fact]
    public void Clone_is_allowed_without_namespace_flags_only()
    {
        var filter = DefaultFilter();
        const ulong SIGCHLD = 17, CLONE_VM = 0x100, CLONE_THREAD = 0x10000, CLONE_NEWUSER = 0x10000000, CLONE_NEWNS = 0x20000;
        Assert.Equal(Allow, Run(filter, "clone", SIGCHLD));
        Assert.Equal(Allow, Run(filter, "clone", CLONE_VM | CLONE_THREAD | SIGCHLD));
        Assert.Equal(Eperm, Run(filter, "clone", CLONE_NEWUSER | SIGCHLD));
        Assert.Equal(Eperm, Run(filter, "clone", CLONE_NEWNS));
        Assert.Equal(Allow, Run(DefaultFilter("SYS_ADMIN"), "clone", CLONE_NEWUSER | SIGCHLD));
    }

    [Theory]
    [InlineData("mount")]
    [InlineData("umount2")]
    [InlineData("unshare")]
    [InlineData("setns")]
    [InlineData("sethostname")]
    [InlineData("fsopen")]
    public void CAP_SYS_ADMIN_brings_the_namespace_and_mount_calls(string call)
    {
        Assert.Equal(Eperm, Run(DefaultFilter(), call));
        Assert.Equal(Allow, Run(DefaultFilter("SYS_ADMIN"), call));
    }

    [Theory]
    [InlineData("SYS_PTRACE", "process_vm_readv")]
    [InlineData("SYS_PTRACE", "kcmp")]
    [InlineData("SYS_MODULE", "init_module")]
    [InlineData("SYS_BOOT", "reboot")]
    [InlineData("SYS_TIME", "settimeofday")]
    [InlineData("SYS_RAWIO", "iopl")]
    [InlineData("DAC_READ_SEARCH", "open_by_handle_at")]
    [InlineData("SYS_PACCT", "acct")]
    [InlineData("SYS_NICE", "mbind")]
    [InlineData("BPF", "bpf")]
    [InlineData("PERFMON", "perf_event_open")]
    public void Each_capability_brings_its_calls(string cap, string call)
    {
        Assert.Equal(Allow, Run(DefaultFilter(cap), call));
        // (process_vm_readv is also allowed to everyone from kernel 4.8 on, by a rule of its own.)
        if (call != "process_vm_readv") Assert.Equal(Eperm, Run(DefaultFilter(), call));
    }

    [Fact]
    public void Keyctl_stays_refused_whatever_the_capabilities()
    {
        var all = SeccompCompiler.Compile(SeccompProfile.Default, Caps("ALL"), Kernel);
        Assert.Equal(Eperm, Run(all, "keyctl"));
        Assert.Equal(Eperm, Run(all, "add_key"));
        Assert.Equal(Eperm, Run(all, "request_key"));
    }

    [Theory]
    [InlineData(0x0UL, true)]               // PER_LINUX
    [InlineData(0x8UL, true)]               // PER_LINUX32
    [InlineData(0x20000UL, true)]           // UNAME26
    [InlineData(0x20008UL, true)]
    [InlineData(0xffffffffUL, true)]        // query
    [InlineData(0x0040000UL, false)]        // ADDR_NO_RANDOMIZE: switching off ASLR is refused
    [InlineData(0x1_0000_0000UL, false)]    // the high half counts too
    public void Personality_is_allowed_for_Dockers_values_only(ulong persona, bool allowed) =>
        Assert.Equal(allowed ? Allow : Eperm, Run(DefaultFilter(), "personality", persona));

    [Theory]
    [InlineData(1UL, true)]     // AF_UNIX
    [InlineData(2UL, true)]     // AF_INET
    [InlineData(37UL, true)]
    [InlineData(38UL, false)]   // AF_ALG: Docker's rules allow < 38, == 39 (AF_NFC), > 40
    [InlineData(39UL, true)]
    [InlineData(40UL, false)]   // AF_VSOCK
    [InlineData(41UL, true)]    // AF_KCM
    public void Socket_families_follow_Dockers_rules(ulong family, bool allowed) =>
        Assert.Equal(allowed ? Allow : Eperm, Run(DefaultFilter(), "socket", family, 1, 0));

    [Fact]
    public void Other_architectures_and_x32_calls_are_killed()
    {
        var filter = DefaultFilter();
        const uint AuditArchI386 = 0x40000003;
        Assert.Equal(SeccompCompiler.RetKillProcess, Bpf.Run(filter, AuditArchI386, 3 /* read on i386 */, []));
        Assert.Equal(SeccompCompiler.RetKillProcess, Bpf.Run(filter, SeccompCompiler.AuditArchX86_64, 0x40000000 | 0u, []));
    }

    [Fact]
    public void Unknown_numbers_get_the_default_action()
    {
        var filter = DefaultFilter();
        Assert.Equal(Eperm, Bpf.Run(filter, SeccompCompiler.AuditArchX86_64, 1000, []));
        Assert.Equal(Eperm, Bpf.Run(filter, SeccompCompiler.AuditArchX86_64, 0x3fffffff, []));
    }

    [Fact]
    public void Every_named_call_gets_exactly_the_verdict_the_rules_give()
    {
        // A brute-force check of the search tree: every number from 0 to 600 against a direct reading of the profile.
        var allowed = SeccompProfile.Default.Syscalls!
            .Where(r => r.Action == "SCMP_ACT_ALLOW" && r.Args == null && r.Includes == null && r.Excludes == null)
            .SelectMany(r => r.Names!).Where(SyscallTableX86_64.Numbers.ContainsKey).Select(Nr).ToHashSet();
        var filter = DefaultFilter();
        foreach (int nr in Enumerable.Range(0, 600))
        {
            uint verdict = Bpf.Run(filter, SeccompCompiler.AuditArchX86_64, (uint)nr, []);
            if (allowed.Contains(nr)) Assert.True(verdict == Allow, $"nr {nr} should be allowed");
            else if (verdict == Allow)
                // The rules with conditions that all-zero arguments or Docker's default capabilities meet.
                Assert.Contains(nr, new[] { Nr("arch_prctl"), Nr("modify_ldt"), Nr("chroot"), Nr("ptrace"), Nr("process_vm_readv"),
                    Nr("process_vm_writev"), Nr("socket"), Nr("personality"), Nr("clone") });
        }
    }

    [Fact]
    public void The_program_is_short_and_a_call_costs_few_instructions()
    {
        var filter = DefaultFilter();
        Assert.True(filter.Length / BpfInstruction.Size < 400, $"{filter.Length / BpfInstruction.Size} instructions");
        Bpf.Run(filter, SeccompCompiler.AuditArchX86_64, (uint)Nr("read"), [], out int steps);
        Assert.True(steps <= 20, $"read took {steps} instructions");
        Bpf.Run(filter, SeccompCompiler.AuditArchX86_64, (uint)Nr("socket"), [2], out steps);
        Assert.True(steps <= 30, $"socket took {steps} instructions");
    }

    // ------------------------------------------------------------ custom profiles

    private static uint RunProfile(string json, string call, params ulong[] args) =>
        Run(SeccompCompiler.Compile(SeccompProfile.Parse(json), Caps(), Kernel), call, args);

    [Fact]
    public void A_custom_profile_can_deny_one_call_with_its_own_errno()
    {
        const string json = """{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}""";
        Assert.Equal(SeccompCompiler.RetErrno | 13, RunProfile(json, "mkdir"));
        Assert.Equal(SeccompCompiler.RetErrno | 13, RunProfile(json, "mkdirat"));
        Assert.Equal(Allow, RunProfile(json, "keyctl"));
    }

    [Theory]
    [InlineData("SCMP_CMP_NE", 5, 0, 4, true)]
    [InlineData("SCMP_CMP_NE", 5, 0, 5, false)]
    [InlineData("SCMP_CMP_LT", 5, 0, 4, true)]
    [InlineData("SCMP_CMP_LT", 5, 0, 5, false)]
    [InlineData("SCMP_CMP_LE", 5, 0, 5, true)]
    [InlineData("SCMP_CMP_LE", 5, 0, 6, false)]
    [InlineData("SCMP_CMP_GT", 5, 0, 6, true)]
    [InlineData("SCMP_CMP_GT", 5, 0, 5, false)]
    [InlineData("SCMP_CMP_GE", 5, 0, 5, true)]
    [InlineData("SCMP_CMP_GE", 5, 0, 4, false)]
    [InlineData("SCMP_CMP_GT", 0x1_0000_0000, 0, 0x1_0000_0001, true)]
    [InlineData("SCMP_CMP_GT", 0x1_0000_0000, 0, 0xffff_ffff, false)]
    [InlineData("SCMP_CMP_LT", 0x1_0000_0000, 0, 0xffff_ffff, true)]
    [InlineData("SCMP_CMP_LT", 0x2_0000_0000, 0, 0x1_ffff_ffff, true)]
    [InlineData("SCMP_CMP_LT", 0x2_0000_0000, 0, 0x2_0000_0000, false)]
    [InlineData("SCMP_CMP_MASKED_EQ", 0xf0, 0x30, 0x3f, true)]
    [InlineData("SCMP_CMP_MASKED_EQ", 0xf0, 0x30, 0x4f, false)]
    public void Each_comparison_compares_all_64_bits(string op, ulong value, ulong valueTwo, ulong arg, bool matches)
    {
        string json = $$"""{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":{{value}},"valueTwo":{{valueTwo}},"op":"{{op}}"}]}]}""";
        Assert.Equal(matches ? Allow : Eperm, RunProfile(json, "ioctl", 3, arg));
    }

    [Fact]
    public void Conditions_on_different_arguments_must_all_hold()
    {
        const string json = """
            {"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW",
             "args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"},{"index":1,"value":1,"op":"SCMP_CMP_EQ"}]}]}
            """;
        Assert.Equal(Allow, RunProfile(json, "socket", 2, 1));
        Assert.Equal(Eperm, RunProfile(json, "socket", 2, 2));
        Assert.Equal(Eperm, RunProfile(json, "socket", 1, 1));
    }

    [Fact]
    public void Conditions_on_the_same_argument_mean_either()
    {
        const string json = """
            {"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW",
             "args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":10,"op":"SCMP_CMP_EQ"}]}]}
            """;
        Assert.Equal(Allow, RunProfile(json, "socket", 1));
        Assert.Equal(Allow, RunProfile(json, "socket", 10));
        Assert.Equal(Eperm, RunProfile(json, "socket", 2));
    }

    [Fact]
    public void The_old_single_name_form_and_architectures_list_are_read()
    {
        const string json = """{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"name":"chmod","action":"SCMP_ACT_KILL_PROCESS"}]}""";
        Assert.Equal(SeccompCompiler.RetKillProcess, RunProfile(json, "chmod"));
        Assert.Equal(Allow, RunProfile(json, "chown"));
    }

    [Fact]
    public void Field_names_are_matched_regardless_of_case_as_in_Go()
    {
        const string json = """{"DefaultAction":"SCMP_ACT_ALLOW","Syscalls":[{"Names":["chmod"],"Action":"SCMP_ACT_ERRNO","ErrnoRet":30}]}""";
        Assert.Equal(SeccompCompiler.RetErrno | 30, RunProfile(json, "chmod"));
    }

    [Fact]
    public void A_profile_with_many_argument_rules_still_assembles()
    {
        // Enough argument blocks that tree jumps must go through BPF_JA.
        var rules = SyscallTableX86_64.Numbers.Keys.Take(300).Select(n =>
            $$"""{"names":["{{n}}"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":7,"op":"SCMP_CMP_EQ"}]}""");
        string json = $$"""{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{{string.Join(",", rules)}}]}""";
        var filter = SeccompCompiler.Compile(SeccompProfile.Parse(json), Caps(), Kernel);
        foreach (string name in SyscallTableX86_64.Numbers.Keys.Take(300))
        {
            Assert.Equal(Allow, Run(filter, name, 7));
            Assert.Equal(Eperm, Run(filter, name, 8));
        }
    }

    // ------------------------------------------------------------ errors

    [Theory]
    [InlineData("{", "Decoding seccomp profile failed")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]}]}""", "Decoding seccomp profile failed")]
    [InlineData("""{"defaultAction":"SCMP_ACT_FOO"}""", "unknown seccomp action \"SCMP_ACT_FOO\"")]
    [InlineData("""{"syscalls":[]}""", "defaultAction is missing")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}""", "use either 'architectures' or 'archMap'")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ALLOW"}]}""", "use either 'name' or 'names'")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]}""", "names no system call")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}""", "invalid argument index 6")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]}""", "unknown seccomp comparison operator")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]}""", "errnoRet is only valid with SCMP_ACT_ERRNO")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]}""", "SCMP_ACT_NOTIFY is not supported")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG"]}""", "flags are not supported")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"four"}}]}""", "invalid kernel version: four")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","architectures":["x86_64"]}""", "invalid architecture")]
    [InlineData("null", "the profile is empty")]
    public void Bad_profiles_are_refused_with_a_clear_message(string json, string expected)
    {
        var e = Assert.Throws<SeccompProfileException>(() => SeccompCompiler.Compile(SeccompProfile.Parse(json), Caps(), Kernel));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Kernel_versions_are_read_from_release_strings()
    {
        Assert.Equal(new Version(6, 1), SeccompCompiler.KernelVersionOf("6.1.0-18-amd64"));
        Assert.Equal(new Version(6, 18), SeccompCompiler.KernelVersionOf("6.18.44-fc-v1252\n"));
    }
}

/// <summary>
/// A classic BPF interpreter for seccomp programs: the instructions a seccomp filter may use, run on a
/// struct seccomp_data built from (arch, nr, args), as the kernel does.
/// </summary>
internal static class Bpf
{
    public static uint Run(byte[] filter, uint arch, uint nr, ulong[] args) => Run(filter, arch, nr, args, out _);

    public static uint Run(byte[] filter, uint arch, uint nr, ulong[] args, out int steps)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), nr);
        BitConverter.TryWriteBytes(data.AsSpan(4), arch);
        for (int i = 0; i < args.Length; i++) BitConverter.TryWriteBytes(data.AsSpan(16 + 8 * i), args[i]);
        var program = BpfInstruction.Decode(filter);
        uint a = 0;
        steps = 0;
        for (int pc = 0; pc < program.Length; pc++)
        {
            steps++;
            var insn = program[pc];
            switch (insn.Code)
            {
                case BpfInstruction.LdAbsW:
                    Assert.True(insn.K % 4 == 0 && insn.K < 64, $"bad load offset {insn.K}");
                    a = BitConverter.ToUInt32(data, (int)insn.K);
                    break;
                case BpfInstruction.AndK: a &= insn.K; break;
                case BpfInstruction.Ja: pc += (int)insn.K; break;
                case BpfInstruction.JeqK: pc += a == insn.K ? insn.Jt : insn.Jf; break;
                case BpfInstruction.JgtK: pc += a > insn.K ? insn.Jt : insn.Jf; break;
                case BpfInstruction.JgeK: pc += a >= insn.K ? insn.Jt : insn.Jf; break;
                case BpfInstruction.RetK: return insn.K;
                default: throw new InvalidOperationException($"unexpected BPF opcode 0x{insn.Code:x}");
            }
        }
        throw new InvalidOperationException("the program ran off its end (the kernel refuses such a filter)");
    }
}
