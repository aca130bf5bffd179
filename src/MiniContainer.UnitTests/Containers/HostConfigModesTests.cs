using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>
/// --pid, --uts, --cgroupns, --isolation, --runtime, --volume-driver, --group-add and --log-driver/--log-opt: echoed in
/// HostConfig as sent (what docker-py's integration suite checks), and bad values refused with dockerd's text and status.
/// </summary>
public sealed class HostConfigModesTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly Lazy<MiniContainer.Images.Image> Busybox = new(() => TestImages.WithDefaults("""{"Cmd":["sh"]}"""));

    private static ContainerRecord Build(string hostConfig, string extra = "") =>
        CreateRequest.Build(Id, "c", (JsonObject)JsonNode.Parse("{\"Image\":\"busybox\"" + extra + ",\"HostConfig\":{" + hostConfig + "}}")!, Busybox.Value);

    private static ApiException Refused(string hostConfig, string extra = "") =>
        Assert.ThrowsAny<ApiException>(() => Build(hostConfig, extra));

    [Fact]
    public void Modes_are_echoed_as_sent()
    {
        var h = Build("""
            "PidMode":"host","UTSMode":"host","CgroupnsMode":"host","Isolation":"default","Runtime":"runc",
            "VolumeDriver":"foo","GroupAdd":["1000","audio"],"LogConfig":{"Type":"json-file","Config":{"max-file":"100"}}
            """).HostConfig;
        Assert.Equal(("host", "host", "host", "default", "runc", "foo"), (h.PidMode, h.UTSMode, h.CgroupnsMode, h.Isolation, h.Runtime, h.VolumeDriver));
        Assert.Equal(["1000", "audio"], h.GroupAdd);
        Assert.Equal("json-file", h.LogConfig.Type);
        Assert.Equal(new Dictionary<string, string> { ["max-file"] = "100" }, h.LogConfig.Config);
    }

    [Fact]
    public void Defaults_are_dockerds()
    {
        var h = Build("").HostConfig;
        Assert.Equal(("", "", "private", "", "runc", ""), (h.PidMode, h.UTSMode, h.CgroupnsMode, h.Isolation, h.Runtime, h.VolumeDriver));
        Assert.Null(h.GroupAdd);
        Assert.Equal("json-file", h.LogConfig.Type);
        Assert.Empty(h.LogConfig.Config);
    }

    [Fact]
    public void An_empty_log_type_is_json_file_with_the_options_kept_and_numbers_in_group_add_are_strings()
    {
        var h = Build("""
            "LogConfig":{"Type":"","Config":{"max-file":"3"}},"GroupAdd":[1000,1001]
            """).HostConfig;
        Assert.Equal(("json-file", "3"), (h.LogConfig.Type, h.LogConfig.Config["max-file"]));
        Assert.Equal(["1000", "1001"], h.GroupAdd);
    }

    [Fact]
    public void Docker_pys_top_level_runtime_names_the_runtime_too()
    {
        Assert.Equal("runc", Build("", ",\"Runtime\":\"runc\"").HostConfig.Runtime);
        Assert.Equal("unknown or invalid runtime name: kata", Refused("", ",\"Runtime\":\"kata\"").Message);
    }

    [Fact]
    public void Uts_host_takes_the_hosts_hostname()
        => Assert.Equal(System.Net.Dns.GetHostName(), Build("\"UTSMode\":\"host\"").Config.Hostname);

    [Theory]
    [InlineData("\"PidMode\":\"container:\"", "invalid PID mode: container:")]
    [InlineData("\"PidMode\":\"private\"", "invalid PID mode: private")]
    [InlineData("\"UTSMode\":\"container:x\"", "invalid UTS mode: container:x")]
    [InlineData("\"CgroupnsMode\":\"shared\"", "invalid cgroup namespace mode: shared")]
    [InlineData("\"Isolation\":\"hyperv\"", "invalid isolation 'hyperv' on linux")]
    [InlineData("\"Runtime\":\"nvidia\"", "unknown or invalid runtime name: nvidia")]
    [InlineData("\"LogConfig\":{\"Type\":\"asdf\",\"Config\":{}}", "logger: no log driver named 'asdf' is registered")]
    [InlineData("\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"foo\":\"bar\"}}", "unknown log opt 'foo' for json-file log driver")]
    [InlineData("\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-file\":\"0\"}}", "max-file cannot be less than 1")]
    [InlineData("\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-file\":\"x\"}}", "strconv.Atoi: parsing \"x\": invalid syntax")]
    [InlineData("\"GroupAdd\":[\"a:b\"]", "invalid group name \"a:b\" for --group-add")]
    public void Bad_values_get_dockerds_400(string hostConfig, string message)
    {
        var e = Refused(hostConfig);
        Assert.Equal(400, e.Status);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void A_hostname_with_uts_host_is_dockerds_conflict()
    {
        var e = Refused("\"UTSMode\":\"host\"", ",\"Hostname\":\"web\"");
        Assert.Equal((400, "conflicting options: hostname and the UTS mode"), (e.Status, e.Message));
    }

    [Theory]
    [InlineData("max-size")]
    [InlineData("compress")]
    [InlineData("tag")]
    public void Json_file_options_that_need_rotation_or_attributes_are_refused_by_name(string option)
    {
        var e = Refused("\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"" + option + "\":\"1\"}}");
        Assert.Equal(400, e.Status);
        Assert.Contains($"--log-opt {option} is not supported by MiniContainer", e.Message);
    }

    [Fact]
    public void The_none_driver_keeps_nothing_and_logs_is_dockerds_501()
    {
        var r = Build("\"LogConfig\":{\"Type\":\"none\"}");
        r.LogPath = "/x/y-json.log";
        Assert.Null(LogDrivers.LogFileFor(r));
        var e = Assert.Throws<ApiException>(() => LogDrivers.CheckReadable(r));
        Assert.Equal((501, "configured logging driver does not support reading"), (e.Status, e.Message));
        Assert.Contains("none log driver", Refused("\"LogConfig\":{\"Type\":\"none\",\"Config\":{\"max-file\":\"2\"}}").Message);
    }

    [Fact]
    public void A_volume_driver_other_than_local_matters_only_when_the_container_creates_a_volume()
    {
        var h = new HostConfig { VolumeDriver = "foo" };
        HostConfigModes.CheckVolumeDriver(h, createsVolumes: false);
        HostConfigModes.CheckVolumeDriver(new HostConfig { VolumeDriver = "local" }, createsVolumes: true);
        var e = Assert.Throws<ApiException>(() => HostConfigModes.CheckVolumeDriver(h, createsVolumes: true));
        Assert.Equal((500, "error looking up volume plugin foo: plugin \"foo\" not found"), (e.Status, e.Message));
    }

    [Fact]
    public void Group_add_resolves_names_in_the_containers_group_file_and_takes_numbers_as_they_are()
    {
        const string group = "root:x:0:\naudio:x:29:\nstaff:x:50:app\n";
        var user = UserLookup.Resolve("0", "root:x:0:0:root:/root:/bin/sh\n", group);
        Assert.Equal(new uint[] { 0, 29, 1000 }, UserLookup.AddGroups(user, ["audio", "1000", "0"], group).Groups);
        var e = Assert.Throws<ArgumentException>(() => UserLookup.AddGroups(user, ["video"], group));
        Assert.Equal("unable to find group video: no matching entries in group file", e.Message);
    }
}

/// <summary>Bind propagation: read from -v's mode and --mount's BindOptions, shown in Mounts[].Propagation, and checked
/// at start against the source's mount as dockerd checks it.</summary>
public sealed class MountPropagationTests
{
    private const string MountInfoText = """
        22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
        30 22 0:40 / /srv/shared rw,relatime shared:7 - tmpfs tmpfs rw
        31 22 0:41 / /srv/slave rw,relatime master:7 - tmpfs tmpfs rw
        """;

    [Theory]
    [InlineData("", "rprivate")]
    [InlineData("ro", "rprivate")]
    [InlineData("rshared", "rshared")]
    [InlineData("ro,rslave", "rslave")]
    [InlineData("z,private", "private")]
    public void The_propagation_of_a_bind_mode(string mode, string propagation)
        => Assert.Equal(propagation, MountPropagation.FromBindMode(mode));

    [Fact]
    public void Binds_and_mounts_carry_their_propagation_into_inspect()
    {
        var image = TestImages.WithDefaults("""{"Cmd":["sh"]}""");
        var body = (JsonObject)JsonNode.Parse("""
            {"Image":"busybox","HostConfig":{"Binds":["/srv/a:/a:ro,rshared","/srv/b:/b"],
             "Mounts":[{"Type":"bind","Source":"/","Target":"/c","BindOptions":{"Propagation":"rslave"}}]}}
            """)!;
        var mounts = CreateRequest.Build(new string('a', 64), "c", body, image).Mounts;
        Assert.Equal(["rshared", "rprivate", "rslave"], mounts.Select(m => m.Propagation));
        var bad = (JsonObject)JsonNode.Parse("""{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/c","BindOptions":{"Propagation":"up"}}]}}""")!;
        Assert.Equal("invalid mount config for type \"bind\": invalid propagation mode: up",
            Assert.Throws<BadRequestException>(() => CreateRequest.Build(new string('a', 64), "c", bad, image)).Message);
    }

    [Fact]
    public void The_source_must_be_on_a_shared_mount_for_shared_and_a_shared_or_slave_one_for_slave()
    {
        Assert.Equal("rshared", MountPropagation.CheckSource("/srv/shared/x", "rshared", MountInfoText));
        Assert.Equal("rslave", MountPropagation.CheckSource("/srv/slave/x", "rslave", MountInfoText));
        Assert.Equal("slave", MountPropagation.CheckSource("/srv/shared", "slave", MountInfoText));
        var e = Assert.Throws<ApiException>(() => MountPropagation.CheckSource("/tmp/x", "rshared", MountInfoText));
        Assert.Equal((500, "path /tmp/x is mounted on / but it is not a shared mount"), (e.Status, e.Message));
        Assert.Equal("path /srv/slave/x is mounted on /srv/slave but it is not a shared mount",
            Assert.Throws<ApiException>(() => MountPropagation.CheckSource("/srv/slave/x", "shared", MountInfoText)).Message);
        Assert.Equal("path /tmp is mounted on / but it is not a shared or slave mount",
            Assert.Throws<ApiException>(() => MountPropagation.CheckSource("/tmp", "rslave", MountInfoText)).Message);
    }
}
