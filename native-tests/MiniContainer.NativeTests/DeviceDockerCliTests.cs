using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>--device, --device-cgroup-rule and --privileged sent by the real docker CLI (HostConfig.Devices etc. as dockerd gets them).</summary>
public sealed class DeviceDockerCliTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose() => _docker.Dispose();

    [Fact]
    public void Docker_run_device_creates_and_allows_the_node()
    {
        CommandResult r = _docker.Run("run", "--rm", "--device", "/dev/zero:/dev/myzero:r", "mc-probe", "sh", "-c",
            "stat -c '%n %t:%T' /dev/myzero; secprobe open /dev/myzero dev c 7:0").Ok();
        Assert.Contains("/dev/myzero 1:5", r.Stdout);
        Assert.Contains("open /dev/myzero ok (4096 bytes)", r.Stdout);
        Assert.Contains("open c 7:0 EPERM", r.Stdout);
    }

    [Fact]
    public void Docker_run_device_cgroup_rule_and_privileged_open_what_the_defaults_deny()
    {
        Assert.Contains("open c 10:229 EPERM", _docker.Run("run", "--rm", "mc-probe", "secprobe", "dev", "c", "10:229").Ok().Stdout);
        Assert.DoesNotContain("open c 10:229 EPERM", _docker.Run("run", "--rm", "--device-cgroup-rule", "c 10:229 rwm", "mc-probe", "secprobe", "dev", "c", "10:229").Ok().Stdout);
        Assert.DoesNotContain("EPERM", _docker.Run("run", "--rm", "--privileged", "mc-probe", "secprobe", "dev", "c", "10:237", "dev", "b", "7:0").Ok().Stdout);
    }

    [Fact]
    public void Docker_run_with_a_missing_device_fails_like_dockerd_and_leaves_nothing()
    {
        string before = Support.PsAll(_d);
        CommandResult r = _docker.Run("run", "--rm", "--device", "/dev/nope-mc", "busybox", "true");
        // The docker CLI turns any error that says "no such file or directory" into 127 (its toStatusError), as it does
        // with dockerd's identical message.
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("error gathering device information while adding custom device \"/dev/nope-mc\": no such file or directory", r.Stderr);
        Assert.Equal(before, Support.PsAll(_d));
    }

    [Fact]
    public void Docker_run_gpus_is_refused()
    {
        CommandResult r = _docker.Run("run", "--rm", "--gpus", "all", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("--gpus", r.Stderr);
    }
}
