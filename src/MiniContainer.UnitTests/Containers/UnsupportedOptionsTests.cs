using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

public class UnsupportedOptionsTests
{
    private static JsonObject Body(string hostConfig, string extra = "") =>
        JsonNode.Parse("{\"Image\":\"busybox\",\"Cmd\":[\"true\"]" + extra + ",\"HostConfig\":{" + hostConfig + "}}")!.AsObject();

    [Fact]
    public void What_the_docker_cli_sends_for_a_plain_run_is_accepted()
    {
        // The zero values docker 28 sends for `docker run --rm busybox true` (abridged to the fields that vary in type).
        UnsupportedOptions.Refuse(Body("""
            "Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},
            "RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,
            "ConsoleSize":[40,120],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],
            "ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,
            "PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,
            "Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],
            "BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,
            "CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],
            "DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,
            "OomKillDisable":null,"PidsLimit":null,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,
            "MaskedPaths":null,"ReadonlyPaths":null
            """, """,  "Domainname":"","Healthcheck":null,"MacAddress":"","OnBuild":null"""));
    }

    [Theory]
    [InlineData("\"Sysctls\":{\"net.ipv4.ip_forward\":\"1\"}", "--sysctl (Sysctls)")]
    [InlineData("\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":10,\"Hard\":10}]", "--ulimit (Ulimits)")]
    [InlineData("\"IpcMode\":\"host\"", "--ipc (IpcMode)")]
    [InlineData("\"OomKillDisable\":true", "--oom-kill-disable")]
    [InlineData("\"KernelMemory\":67108864", "--kernel-memory")]
    [InlineData("\"SomethingNew\":1", "SomethingNew")]
    public void A_set_field_that_is_not_honoured_is_refused_naming_its_flag(string field, string named)
    {
        var e = Assert.Throws<BadRequestException>(() => UnsupportedOptions.Refuse(Body(field)));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void Honoured_defaults_of_restricted_fields_pass()
    {
        UnsupportedOptions.Refuse(Body("\"IpcMode\":\"shareable\",\"CgroupnsMode\":\"private\",\"MemorySwappiness\":-1"));
    }

    [Fact]
    public void Top_level_config_fields_are_checked_too()
    {
        var e = Assert.Throws<BadRequestException>(() => UnsupportedOptions.Refuse(Body("", ""","Domainname":"example.org" """)));
        Assert.Contains("--domainname", e.Message);
        // Honoured now (see HealthchecksTests): it passes here and is read by CreateRequest.
        UnsupportedOptions.Refuse(Body("", ""","Healthcheck":{"Test":["CMD","true"]}"""));
    }
}

public class SystemPathsTests
{
    [Fact]
    public void Defaults_are_dockers_plus_each_cpus_thermal_throttle_and_none_when_privileged_or_unconfined()
    {
        string cpus = Directory.CreateTempSubdirectory("mc-cpus-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(cpus, "cpu0", "thermal_throttle"));
            Directory.CreateDirectory(Path.Combine(cpus, "cpu1"));
            var (masked, readOnly) = SystemPaths.For(privileged: false, unconfined: false, cpuDir: cpus);
            Assert.Contains("/sys/firmware", masked);
            Assert.Contains("/proc/interrupts", masked);
            Assert.Contains("/sys/devices/virtual/powercap", masked);
            Assert.Contains(Path.Combine(cpus, "cpu0", "thermal_throttle"), masked);
            Assert.DoesNotContain(Path.Combine(cpus, "cpu1", "thermal_throttle"), masked);
            Assert.Equal(new[] { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" }, readOnly);
            Assert.Empty(SystemPaths.For(privileged: true, unconfined: false, cpuDir: cpus).Masked);
            Assert.Empty(SystemPaths.For(privileged: false, unconfined: true, cpuDir: cpus).ReadOnly);
        }
        finally { Directory.Delete(cpus, true); }
    }
}
