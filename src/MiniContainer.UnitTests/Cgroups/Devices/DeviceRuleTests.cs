using MiniContainer.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Cgroups.Devices;

public sealed class DeviceRuleTests
{
    [Theory]
    [InlineData("c 1:3 rwm", DeviceType.Char, 1L, 3L, DeviceAccess.All)]
    [InlineData("b 8:* r", DeviceType.Block, 8L, DeviceRule.Any, DeviceAccess.Read)]
    [InlineData("c *:* m", DeviceType.Char, DeviceRule.Any, DeviceRule.Any, DeviceAccess.Mknod)]
    [InlineData("a *:* rwm", DeviceType.All, DeviceRule.Any, DeviceRule.Any, DeviceAccess.All)]
    [InlineData("c 136:* wr", DeviceType.Char, 136L, DeviceRule.Any, DeviceAccess.Read | DeviceAccess.Write)]
    public void Parses_dockers_rule_syntax(string text, DeviceType type, long major, long minor, DeviceAccess access)
    {
        DeviceRule rule = DeviceRule.Parse(text);
        Assert.Equal(new DeviceRule(true, type, major, minor, access), rule);
    }

    [Theory]
    [InlineData("c 1:3")]
    [InlineData("x 1:3 rwm")]
    [InlineData("c 1 rwm")]
    [InlineData("c 1:3 rwx")]
    [InlineData("c 1:3 rwmr")]
    [InlineData(" c 1:3 rwm")]
    [InlineData("c -1:3 rwm")]
    [InlineData("")]
    public void Refuses_what_docker_refuses_with_its_message(string text)
    {
        var e = Assert.Throws<FormatException>(() => DeviceRule.Parse(text));
        Assert.Equal($"invalid device cgroup rule format: '{text}'", e.Message);
    }

    [Fact]
    public void Refuses_numbers_no_device_can_have()
    {
        var e = Assert.Throws<FormatException>(() => DeviceRule.Parse("c 4294967296:1 r"));
        Assert.Equal("invalid major value in device cgroup rule format: 'c 4294967296:1 r'", e.Message);
        Assert.Throws<FormatException>(() => DeviceRule.Parse("c 1:99999999999999999999 r"));
    }

    [Theory]
    [InlineData("c 1:3 rwm")]
    [InlineData("b *:* m")]
    [InlineData("a *:* rwm")]
    [InlineData("c 10:200 rw")]
    public void Cgroup_text_is_what_devices_allow_takes_and_round_trips(string text)
    {
        Assert.Equal(text, DeviceRule.Parse(text).CgroupText);
        Assert.Equal(DeviceRule.Parse(text, allow: false), DeviceRule.ParseSpecLine("deny " + text));
        Assert.Equal(DeviceRule.Parse(text), DeviceRule.ParseSpecLine(DeviceRule.Parse(text).ToString()));
    }

    [Fact]
    public void A_spec_line_must_say_allow_or_deny() =>
        Assert.Throws<FormatException>(() => DeviceRule.ParseSpecLine("c 1:3 rwm"));
}
