using MiniContainer.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Cgroups.Devices;

public sealed class DevicesV1Tests : IDisposable
{
    private const string Id = "minicontainer/abc123";
    private readonly FakeCgroupFs _fs = new();

    public void Dispose() => _fs.Dispose();

    [Fact]
    public void Writes_deny_all_then_each_allowed_device_one_per_write()
    {
        var writes = DevicesV1.Writes(DeviceRuleSet.From(DockerDeviceRules.For(false, [DeviceRule.Parse("c 1:7 r")]))).ToList();
        Assert.Equal(("devices.deny", "a"), writes[0]);
        Assert.All(writes.Skip(1), w => Assert.Equal("devices.allow", w.File));
        Assert.Contains(("devices.allow", "c 136:* rwm"), writes);
        Assert.Contains(("devices.allow", "b *:* m"), writes);
        Assert.Contains(("devices.allow", "c 1:7 rwm"), writes);
    }

    [Fact]
    public void Privileged_is_one_write_of_allow_all() =>
        Assert.Equal([("devices.allow", "a")], DevicesV1.Writes(DeviceRuleSet.From(DockerDeviceRules.For(true, []))));

    [Fact]
    public void The_v1_cgroup_joins_the_devices_hierarchy_and_applies_the_rules_there()
    {
        _fs.File($"devices/{Id}/cgroup.procs", "").File($"devices/{Id}/devices.allow", "").File($"devices/{Id}/devices.deny", "")
           .V1Pids($"pids/{Id}");
        var cg = (CgroupV1)CgroupManager.Open(Id, CgroupFs.V1Layout(_fs.Root, "devices", "pids"));
        Assert.Equal(_fs.PathOf($"devices/{Id}"), cg.DirectoryOf("devices"));
        cg.Apply(new ResourceLimits { DeviceRules = DockerDeviceRules.For(false, []) });
        Assert.Equal("a", _fs.Read($"devices/{Id}/devices.deny"));
        Assert.Equal("c 10:200 rwm", _fs.Read($"devices/{Id}/devices.allow"));   // the fake keeps only the last write
    }

    [Fact]
    public void No_rules_leaves_the_devices_files_alone()
    {
        _fs.File($"devices/{Id}/devices.allow", "untouched").File($"devices/{Id}/devices.deny", "untouched");
        CgroupManager.Open(Id, CgroupFs.V1Layout(_fs.Root, "devices")).Apply(new ResourceLimits());
        Assert.Equal("untouched", _fs.Read($"devices/{Id}/devices.deny"));
    }

    [Fact]
    public void Rules_without_a_devices_hierarchy_are_an_error_not_a_silent_pass()
    {
        _fs.V1Pids($"pids/{Id}");
        var cg = CgroupManager.Open(Id, CgroupFs.V1Layout(_fs.Root, "pids"));
        var e = Assert.Throws<CgroupException>(() => cg.Apply(new ResourceLimits { DeviceRules = DockerDeviceRules.For(false, []) }));
        Assert.Contains("devices controller is not mounted", e.Message);
    }
}
