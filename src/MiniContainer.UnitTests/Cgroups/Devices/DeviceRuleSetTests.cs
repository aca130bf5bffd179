using MiniContainer.Cgroups;
using Xunit;
using static MiniContainer.Cgroups.DeviceAccess;

namespace MiniContainer.UnitTests.Cgroups.Devices;

public sealed class DeviceRuleSetTests
{
    private static readonly DeviceRuleSet Docker = DeviceRuleSet.From(DockerDeviceRules.For(privileged: false, []));

    [Theory]
    [InlineData(1, 3)]   // null
    [InlineData(1, 5)]   // zero
    [InlineData(1, 7)]   // full
    [InlineData(1, 8)]   // random
    [InlineData(1, 9)]   // urandom
    [InlineData(5, 0)]   // tty
    [InlineData(5, 1)]   // console
    [InlineData(5, 2)]   // ptmx
    [InlineData(136, 0)] // pts/0
    [InlineData(136, 7)]
    [InlineData(10, 200)] // tun
    public void Dockers_defaults_let_the_standard_nodes_be_read_and_written(int major, int minor) =>
        Assert.True(Docker.Permits(DeviceType.Char, major, minor, Read | Write));

    [Theory]
    [InlineData('c', 7, 0)]    // vcs: the host console's contents
    [InlineData('c', 4, 1)]    // tty1
    [InlineData('c', 10, 229)] // fuse
    [InlineData('c', 10, 237)] // loop-control
    [InlineData('c', 1, 1)]    // mem
    [InlineData('c', 1, 2)]    // kmem
    [InlineData('c', 1, 4)]    // port
    [InlineData('b', 7, 0)]    // loop0
    [InlineData('b', 8, 0)]    // sda
    [InlineData('b', 259, 0)]  // nvme0n1
    [InlineData('b', 253, 0)]  // vda / dm-0
    public void Dockers_defaults_refuse_every_other_device_but_let_it_be_mknoded(char type, int major, int minor)
    {
        var t = type == 'b' ? DeviceType.Block : DeviceType.Char;
        Assert.False(Docker.Permits(t, major, minor, Read));
        Assert.False(Docker.Permits(t, major, minor, Write));
        Assert.True(Docker.Permits(t, major, minor, Mknod));   // runc's "c *:* m" and "b *:* m"
    }

    [Fact]
    public void Dockers_defaults_as_the_kernel_would_list_them()
    {
        Assert.False(Docker.DefaultAllow);
        Assert.Equal(
            ["c 1:5 rwm", "c 1:3 rwm", "c 1:9 rwm", "c 1:8 rwm", "c 5:0 rwm", "c 5:1 rwm", "c *:* m", "b *:* m", "c 1:7 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm"],
            Docker.Exceptions.Select(e => e.CgroupText));
        Assert.All(Docker.Exceptions, e => Assert.True(e.Allow));
    }

    [Fact]
    public void A_device_rule_of_the_container_opens_its_device_even_fuse_which_the_defaults_deny()
    {
        var set = DeviceRuleSet.From(DockerDeviceRules.For(false, [DeviceRule.Parse("c 10:229 rwm"), DeviceRule.Parse("c 1:1 r")]));
        Assert.True(set.Permits(DeviceType.Char, 10, 229, Read | Write));
        Assert.True(set.Permits(DeviceType.Char, 1, 1, Read));
        Assert.False(set.Permits(DeviceType.Char, 1, 1, Read | Write));   // one exception must cover all of it
        Assert.False(set.Permits(DeviceType.Char, 1, 1, Write));
    }

    [Fact]
    public void Privileged_allows_everything()
    {
        var set = DeviceRuleSet.From(DockerDeviceRules.For(privileged: true, [DeviceRule.Parse("c 1:3 r")]));
        Assert.True(set.DefaultAllow);
        Assert.Empty(set.Exceptions);   // allowing what the default allows adds nothing
        Assert.True(set.Permits(DeviceType.Block, 8, 0, Read | Write | Mknod));
    }

    [Fact]
    public void Same_device_rules_merge_and_a_deny_removes_access_from_that_exception_only()
    {
        var set = DeviceRuleSet.From([DeviceRule.DenyAll, DeviceRule.Parse("c 1:3 r"), DeviceRule.Parse("c 1:3 w"), DeviceRule.Parse("c 1:* rwm"),
                                      DeviceRule.Parse("c 1:3 r", allow: false), DeviceRule.Parse("c 1:5 rwm", allow: false)]);
        Assert.Equal(["c 1:3 w", "c 1:* rwm"], set.Exceptions.Select(e => e.CgroupText));
        // No hole is punched into the wider "c 1:*": the kernel's v1 controller behaves the same.
        Assert.True(set.Permits(DeviceType.Char, 1, 5, Read));
        Assert.True(set.Permits(DeviceType.Char, 1, 3, Read));
        Assert.False(set.Permits(DeviceType.Block, 1, 3, Read));
    }

    [Fact]
    public void An_all_rule_resets_the_default_and_clears_exceptions()
    {
        var set = DeviceRuleSet.From([DeviceRule.DenyAll, DeviceRule.Parse("c 1:3 rwm"), DeviceRule.Parse("a 1:3 r"),
                                      DeviceRule.Parse("b 8:0 w", allow: false)]);
        Assert.True(set.DefaultAllow);   // "a 1:3 r" is "a": the kernel ignores the rest
        Assert.Equal(["b 8:0 w"], set.Exceptions.Select(e => e.CgroupText));
        Assert.False(set.Permits(DeviceType.Block, 8, 0, Read | Write));   // allow-all: any overlap with a deny denies
        Assert.True(set.Permits(DeviceType.Block, 8, 0, Read));
        Assert.True(set.Permits(DeviceType.Char, 4, 1, Read | Write));
    }

    [Fact]
    public void No_rules_is_the_fresh_cgroup_that_allows_all() =>
        Assert.True(DeviceRuleSet.From([]).Permits(DeviceType.Block, 8, 0, Read));
}
