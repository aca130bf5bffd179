using MiniContainer.Linux;
using MiniContainer.Shim.Oci;
using Xunit;

namespace MiniContainer.UnitTests.Oci;

/// <summary>minicontainer-runc's reading of config.json: what it translates, what it refuses (no root needed: the bundle
/// is a temp dir with an empty rootfs).</summary>
public sealed class OciBundleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-oci-unit").FullName;

    public OciBundleTests() => Directory.CreateDirectory(Path.Combine(_dir, "rootfs"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private OciBundle Load(string linux = """{"namespaces": [{"type": "mount"}, {"type": "pid"}]}""", string process = "", string extra = "")
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), $$"""
            {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
             "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 1, "gid": 2, "additionalGids": [3]} {{process}} },
             "linux": {{linux}} {{extra}} }
            """);
        return OciBundle.Load(_dir);
    }

    [Fact]
    public void Namespaces_user_groups_and_resources_are_translated()
    {
        var b = Load("""
            {"namespaces": [{"type": "mount"}, {"type": "pid"}, {"type": "network", "path": "/proc/self/ns/net"}],
             "resources": {"memory": {"limit": 1000000}, "cpu": {"quota": 5000, "period": 10000}, "pids": {"limit": 7},
                           "devices": [{"allow": false, "access": "rwm"}]}}
            """);
        Assert.Equal(Namespace.Mount | Namespace.Pid, b.NewNamespaces);
        Assert.Equal([(Namespace.Net, "/proc/self/ns/net")], b.JoinNamespaces);
        Assert.Equal("1:2", b.Process.User);
        Assert.Equal([3u], b.Process.ExactGroups);
        Assert.Null(b.Process.Capabilities);   // none given: the runtime's own, as with runc
        Assert.Equal(1000000, b.Limits.MemoryBytes);
        Assert.Equal(5000, b.Limits.CpuQuotaMicros);
        Assert.Equal(10000, b.Limits.CpuPeriodMicros);
        Assert.Equal(7, b.Limits.PidsLimit);
        var rules = b.EffectiveDeviceRules()!.Select(r => r.ToString()).ToList();
        Assert.Equal("deny a *:* rwm", rules[0]);
        Assert.Contains("allow c 1:3 rwm", rules);      // /dev/null, a default device
        Assert.Contains("allow c 136:* rwm", rules);    // the ptys
        Assert.Equal($"{OciBundle.DefaultCgroupParent}/c1", b.CgroupName("c1"));
    }

    [Theory]
    [InlineData("""{"namespaces": [{"type": "pid"}]}""", "", "the runtime's own mount namespace")]
    [InlineData("""{"namespaces": [{"type": "mount"}, {"type": "user", "path": "/proc/1/ns/user"}]}""", "", "joining an existing user namespace")]
    [InlineData("""{"namespaces": [{"type": "mount"}, {"type": "time"}]}""", "", "time namespace")]
    [InlineData("""{"namespaces": [{"type": "mount"}], "resources": {"blockIO": {"weight": 10}}}""", "", "linux.resources.blockIO")]
    [InlineData("""{"namespaces": [{"type": "mount"}], "resources": {"memory": {"kernel": 1}}}""", "", "memory.kernel")]
    [InlineData("""{"namespaces": [{"type": "mount"}], "sysctl": {"kernel.panic": "1"}}""", "", "kernel.panic")]
    [InlineData("""{"namespaces": [{"type": "mount"}], "sysctl": {"net.ipv4.ip_forward": "1"}}""", "", "net.ipv4.ip_forward")]
    [InlineData("""{"namespaces": [{"type": "mount"}]}""", """, "apparmorProfile": "x" """, "apparmorProfile")]
    [InlineData("""{"namespaces": [{"type": "mount"}]}""", """, "capabilities": {"bounding": ["CAP_NOPE"]}""", "CAP_NOPE")]
    [InlineData("""{"namespaces": [{"type": "mount"}]}""", """, "rlimits": [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]""", "RLIMIT_NOPE")]
    public void What_is_not_honoured_is_refused(string linux, string process, string expected)
    {
        var e = Assert.Throws<OciConfigException>(() => Load(linux, process));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("1.0.2", true)]
    [InlineData("1.1.0-rc.1+dev", true)]
    [InlineData("invalid", false)]      // runtime-tools' misc_props: a runtime MUST fail on it
    [InlineData("1.0", false)]
    [InlineData("01.0.0", false)]
    [InlineData("2.0.0", false)]
    [InlineData("", false)]
    public void OciVersion_must_be_a_semver_1_x(string version, bool valid)
    {
        if (valid) OciBundle.CheckVersion(version);
        else Assert.Throws<OciConfigException>(() => OciBundle.CheckVersion(version));
    }

    [Fact]
    public void A_capability_the_runtime_does_not_hold_is_refused_in_create()
    {
        var caps = new MiniContainer.Runtime.CapabilitySets { Bounding = [24], Effective = [0, 24], Permitted = [0, 24] };
        OciBundle.CheckGrantable(caps, ulong.MaxValue);
        var e = Assert.Throws<OciConfigException>(() => OciBundle.CheckGrantable(caps, ~(1UL << 24)));
        Assert.Contains("CAP_SYS_RESOURCE cannot be granted", e.Message);
        OciBundle.CheckGrantable(new MiniContainer.Runtime.CapabilitySets { Bounding = [24] }, ~(1UL << 24));   // the bounding set only shrinks
    }

    [Fact]
    public void A_systemd_cgroups_path_is_refused_and_a_plain_one_is_relative_to_each_hierarchy()
    {
        var e = Assert.Throws<OciConfigException>(() => Load("""{"namespaces": [{"type": "mount"}], "cgroupsPath": "system.slice:mc:x"}""").CgroupName("c1"));
        Assert.Contains("systemd", e.Message);
        Assert.Equal("mc-test/c1", Load("""{"namespaces": [{"type": "mount"}], "cgroupsPath": "/mc-test/c1"}""").CgroupName("c1"));
    }

    [Fact]
    public void A_property_the_spec_does_not_define_is_ignored_with_a_warning_and_ambient_needs_inheritable()
    {
        var b = Load(process: """, "capabilities": {"bounding": ["CAP_KILL"], "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]}""",
            extra: """, "myExtension": {"a": 1}""");
        Assert.Contains(b.Warnings, w => w.Contains("config.json.myExtension"));
        Assert.Contains(b.Warnings, w => w.Contains("CAP_KILL not raised"));
        Assert.Empty(b.Process.Capabilities!.Ambient);
        Assert.Equal([5], b.Process.Capabilities.Bounding);
    }

    [Fact]
    public void Mount_options_split_into_flags_bind_propagation_and_data()
    {
        var o = OciMountOptions.Parse(new OciMount { Destination = "/x", Type = "tmpfs", Options = ["nosuid", "ro", "rw", "mode=755", "size=1k", "rshared"] });
        Assert.Equal(MountFlags.NoSuid, o.Flags);
        Assert.False(o.Bind);
        Assert.Equal(MountFlags.Shared | MountFlags.Recursive, o.Propagation);
        Assert.Equal("mode=755,size=1k", o.Data);

        var bind = OciMountOptions.Parse(new OciMount { Destination = "/y", Options = ["rbind", "ro"] });
        Assert.True(bind.Bind && bind.Recursive);
        Assert.Equal(MountFlags.ReadOnly, bind.Flags);

        Assert.Throws<OciConfigException>(() => OciMountOptions.Parse(new OciMount { Destination = "/z", Options = ["tmpcopyup"] }));
    }

    [Fact]
    public void Proc_stat_fields_are_counted_after_the_command_name()
    {
        var s = ProcStat.Parse("42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 0 0")!.Value;
        Assert.Equal('S', s.State);
        Assert.Equal(123456UL, s.StartTime);
    }

    [Theory]
    [InlineData("9", 9)]
    [InlineData("KILL", 9)]
    [InlineData("SIGTERM", 15)]
    [InlineData("usr1", 10)]
    public void Signals_by_number_or_name(string text, int expected) => Assert.Equal(expected, RuncCommand.ParseSignal(text));
}

/// <summary>`spec`'s template is a config minicontainer-runc takes whole: it loads without a refusal or a warning.</summary>
public sealed class OciSpecTemplateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-oci-spec").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_template_loads_cleanly_and_spec_will_not_overwrite()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "rootfs"));
        OciSpecTemplate.Write(_dir);
        var b = OciBundle.Load(_dir);
        Assert.Empty(b.Warnings);
        Assert.True(b.Process.Terminal);
        Assert.Equal(Namespace.Pid | Namespace.Net | Namespace.Ipc | Namespace.Uts | Namespace.Mount | Namespace.Cgroup, b.NewNamespaces);
        Assert.Throws<OciConfigException>(() => OciSpecTemplate.Write(_dir));
    }
}
