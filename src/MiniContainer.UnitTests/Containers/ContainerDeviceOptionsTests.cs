using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>HostConfig.Devices / DeviceCgroupRules / DeviceRequests / Privileged: read, checked, and turned into the spec's nodes and rules.</summary>
public sealed class ContainerDeviceOptionsTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly Lazy<MiniContainer.Images.Image> Shell = new(() => TestImages.WithDefaults("""{"Cmd":["sh"]}"""));

    private static ContainerRecord Build(string hostConfig) =>
        CreateRequest.Build(Id, "dev", (JsonObject)JsonNode.Parse($$"""{"Image":"busybox","HostConfig":{{hostConfig}}}""")!, Shell.Value);

    [Fact]
    public void Devices_and_rules_are_kept_for_inspect_with_dockers_defaults_filled_in()
    {
        var r = Build("""{"Devices":[{"PathOnHost":"/dev/zero","PathInContainer":"/dev/myzero","CgroupPermissions":"r"},{"PathOnHost":"/dev/null"}],"DeviceCgroupRules":["c 1:7 rwm"]}""");
        Assert.Equal(2, r.HostConfig.Devices.Count);
        Assert.Equal(("/dev/zero", "/dev/myzero", "r"), (r.HostConfig.Devices[0].PathOnHost, r.HostConfig.Devices[0].PathInContainer, r.HostConfig.Devices[0].CgroupPermissions));
        Assert.Equal(("/dev/null", "/dev/null", "rwm"), (r.HostConfig.Devices[1].PathOnHost, r.HostConfig.Devices[1].PathInContainer, r.HostConfig.Devices[1].CgroupPermissions));
        Assert.Equal(["c 1:7 rwm"], r.HostConfig.DeviceCgroupRules);
    }

    [Fact]
    public void At_start_the_nodes_and_rules_sit_inside_dockers_defaults()
    {
        var r = Build("""{"Devices":[{"PathOnHost":"/dev/zero","PathInContainer":"/dev/myzero","CgroupPermissions":"r"}],"DeviceCgroupRules":["c 1:7 rwm"]}""");
        var (nodes, rules) = ContainerDeviceOptions.ForStart(r.HostConfig);
        Assert.Equal("/dev/myzero", Assert.Single(nodes).Path);
        var text = rules.Select(x => x.ToString()).ToList();
        Assert.Equal("deny a *:* rwm", text[0]);
        Assert.True(text.IndexOf("allow c 1:5 r") > text.IndexOf("deny c 10:229 rwm"));   // after moby's defaults, before runc's
        Assert.True(text.IndexOf("allow c 1:7 rwm") < text.IndexOf("allow c *:* m"));
    }

    [Fact]
    public void Privileged_gets_every_host_device_and_allow_all()
    {
        var r = Build("""{"Privileged":true}""");
        Assert.True(r.HostConfig.Privileged);
        var (nodes, rules) = ContainerDeviceOptions.ForStart(r.HostConfig);
        Assert.Contains(nodes, n => n.Path == "/dev/null");
        Assert.Equal("allow a *:* rwm", rules[0].ToString());
    }

    [Theory]
    [InlineData("""{"Devices":[{"PathOnHost":"/dev/nope-mc","PathInContainer":"/dev/nope-mc","CgroupPermissions":"rwm"}]}""",
                "error gathering device information while adding custom device \"/dev/nope-mc\": no such file or directory")]
    [InlineData("""{"DeviceCgroupRules":["c 1:7"]}""", "invalid device cgroup rule format: 'c 1:7'")]
    [InlineData("""{"Devices":[{"PathOnHost":"/dev/zero","PathInContainer":"/dev/z","CgroupPermissions":"rwx"}]}""", "invalid device mode: rwx")]
    [InlineData("""{"Devices":[{"PathOnHost":"/dev/zero","PathInContainer":"z","CgroupPermissions":"r"}]}""", "z is not an absolute path")]
    [InlineData("""{"DeviceRequests":[{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}]}""",
                "--gpus (DeviceRequests) is not supported by MiniContainer; leave it out, or run this container with Docker")]
    public void Bad_values_are_refused_at_create(string hostConfig, string message) =>
        Assert.Equal(message, Assert.Throws<BadRequestException>(() => Build(hostConfig)).Message);

    [Fact]
    public void Empty_device_requests_are_fine() => Assert.Empty(Build("""{"DeviceRequests":[]}""").HostConfig.Devices);
}
