using MiniContainer.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Cgroups.Devices;

/// <summary>The generated BPF program, run by a small interpreter on the input the kernel gives it, decides as the rule set does.</summary>
public sealed class DeviceFilterProgramTests
{
    private const int Block = DeviceFilterProgram.BPF_DEVCG_DEV_BLOCK, Char = DeviceFilterProgram.BPF_DEVCG_DEV_CHAR;
    private const int M = 1, R = 2, W = 4;

    private static byte[] Program(DeviceRuleSet set) => DeviceFilterProgram.Encode(DeviceFilterProgram.Compile(set));

    private static readonly byte[] Docker = Program(DeviceRuleSet.From(DockerDeviceRules.For(false, [])));

    [Theory]
    [InlineData(Char, R | W, 1u, 3u, 1)]      // /dev/null
    [InlineData(Char, R, 1u, 9u, 1)]          // /dev/urandom
    [InlineData(Char, R | W, 136u, 3u, 1)]    // a pty
    [InlineData(Char, R | W, 5u, 2u, 1)]      // ptmx
    [InlineData(Char, R, 7u, 0u, 0)]          // vcs
    [InlineData(Char, M, 7u, 0u, 1)]          // ... which may be mknod'ed
    [InlineData(Char, R | W, 10u, 229u, 0)]   // fuse
    [InlineData(Char, R | W, 10u, 237u, 0)]   // loop-control
    [InlineData(Block, R, 8u, 0u, 0)]         // sda
    [InlineData(Block, M, 8u, 0u, 1)]
    [InlineData(Block, R, 1u, 3u, 0)]         // a block device with null's numbers is not null
    [InlineData(Char, R | M, 1u, 3u, 1)]
    public void Dockers_defaults(int type, int access, uint major, uint minor, int verdict) =>
        Assert.Equal(verdict, BpfInterpreter.Run(Docker, type, access, major, minor));

    public static TheoryData<string> RuleLists => new()
    {
        "docker",
        "docker+c 1:7 rwm+b 8:* r+c 10:229 rw",
        "privileged",
        "deny a *:* rwm+allow c 1:3 r+allow c 1:3 w+allow b *:1 rw+deny c 1:3 w",
        "allow a *:* rwm+deny c 1:3 w+deny b 8:* rwm+deny c *:5 m",
        "",
    };

    [Theory]
    [MemberData(nameof(RuleLists))]
    public void The_program_decides_exactly_as_the_rule_set_for_every_input(string list)
    {
        List<DeviceRule> rules = list switch
        {
            "docker" => DockerDeviceRules.For(false, []),
            "privileged" => DockerDeviceRules.For(true, []),
            "" => [],
            _ when list.StartsWith("docker+") => DockerDeviceRules.For(false, list["docker+".Length..].Split('+').Select(r => DeviceRule.Parse(r))),
            _ => list.Split('+').Select(DeviceRule.ParseSpecLine).ToList(),
        };
        var set = DeviceRuleSet.From(rules);
        byte[] program = Program(set);
        uint[] numbers = [0, 1, 3, 5, 7, 8, 9, 136, 200, 229];
        foreach (int type in new[] { Block, Char })
            foreach (int access in Enumerable.Range(1, 7))
                foreach (uint major in numbers)
                    foreach (uint minor in numbers)
                    {
                        bool expected = set.Permits(type == Block ? DeviceType.Block : DeviceType.Char, major, minor, (DeviceAccess)access);
                        int got = BpfInterpreter.Run(program, type, access, major, minor);
                        Assert.True((expected ? 1 : 0) == got, $"{list}: type {type} access {access} {major}:{minor}: program says {got}, rules say {expected}");
                    }
    }

    [Fact]
    public void Allow_all_is_a_program_of_two_instructions_after_the_loads()
    {
        var program = DeviceFilterProgram.Compile(DeviceRuleSet.From(DockerDeviceRules.For(true, [])));
        Assert.Equal(8, program.Count);
        Assert.Equal(BpfInstruction.Mov32(0, 1), program[^2]);
        Assert.Equal(BpfInstruction.Exit(), program[^1]);
    }

    [Fact]
    public void Instructions_are_encoded_as_struct_bpf_insn()
    {
        byte[] bytes = DeviceFilterProgram.Encode([BpfInstruction.LoadWord(2, 1, 4), BpfInstruction.JumpIfNotEqual(4, 229, 3), BpfInstruction.Exit()]);
        Assert.Equal(new byte[] { 0x61, 0x12, 4, 0, 0, 0, 0, 0,  0x55, 0x04, 3, 0, 229, 0, 0, 0,  0x95, 0, 0, 0, 0, 0, 0, 0 }, bytes);
    }
}
