using MiniContainer.Cli.Flags;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

public sealed class DeviceFlagTests
{
    [Theory]
    [InlineData("/dev/zero", "/dev/zero", "/dev/zero", "rwm")]
    [InlineData("/dev/zero:/dev/myzero", "/dev/zero", "/dev/myzero", "rwm")]
    [InlineData("/dev/zero:r", "/dev/zero", "/dev/zero", "r")]
    [InlineData("/dev/zero:/dev/myzero:rw", "/dev/zero", "/dev/myzero", "rw")]
    [InlineData("/dev/snd", "/dev/snd", "/dev/snd", "rwm")]
    public void Parses_like_docker(string value, string onHost, string inContainer, string permissions) =>
        Assert.Equal(new DeviceFlag.Mapping(onHost, inContainer, permissions), DeviceFlag.Parse(value));

    [Theory]
    [InlineData("/dev/zero:/dev/z:rwx", "bad mode specified: rwx")]
    [InlineData("/dev/zero:/dev/z:rr", "bad mode specified: rr")]
    [InlineData("/a:/b:r:w", "bad format for path: /a:/b:r:w")]
    [InlineData(":/dev/z", "bad format for path: :/dev/z")]
    [InlineData("/dev/zero:myzero", "myzero is not an absolute path")]
    [InlineData("zero", "zero is not an absolute path")]
    public void Refuses_like_docker(string value, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => DeviceFlag.Parse(value)).Message);

    [Fact]
    public void Cgroup_rules_are_checked_with_dockers_pattern()
    {
        Assert.Equal("c 1:7 rwm", DeviceFlag.ValidateCgroupRule("c 1:7 rwm"));
        Assert.Equal("b *:* m", DeviceFlag.ValidateCgroupRule("b *:* m"));
        Assert.Equal("invalid device cgroup format 'c 1:7'", Assert.Throws<FormatException>(() => DeviceFlag.ValidateCgroupRule("c 1:7")).Message);
        Assert.Throws<FormatException>(() => DeviceFlag.ValidateCgroupRule("z 1:7 r"));
    }
}
