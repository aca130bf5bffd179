using System.Text.Json;
using MiniContainer.Cgroups;
using MiniContainer.Shim.Oci;
using Xunit;

namespace MiniContainer.UnitTests.Oci;

/// <summary>minicontainer-runc's update, events and features, and --preserve-fds: what they parse, merge and print
/// (the native OciRuntimeCommandsTests run them against a real cgroup).</summary>
public sealed class OciCommandParsingTests
{
    private static (string Id, OciResources Change) Update(params string[] args) => OciUpdate.Parse(args, new StringReader(""));

    [Fact]
    public void Update_flags_become_a_resources_change()
    {
        var (id, c) = Update("--memory", "64m", "--memory-swap=-1", "--cpu-quota", "50000", "--cpu-period", "100000",
                             "--cpu-share", "512", "--cpuset-cpus", "0", "--pids-limit", "20", "--memory-reservation", "1048576", "ctr");
        Assert.Equal("ctr", id);
        Assert.Equal(64L << 20, c.Memory!.Limit);
        Assert.Equal(-1, c.Memory.Swap);
        Assert.Equal(1048576, c.Memory.Reservation);
        Assert.Equal(50000, c.Cpu!.Quota);
        Assert.Equal(100000UL, c.Cpu.Period);
        Assert.Equal(512UL, c.Cpu.Shares);
        Assert.Equal("0", c.Cpu.Cpus);
        Assert.Equal(20, c.Pids!.Limit);
    }

    [Fact]
    public void Update_reads_resources_json_from_stdin()
    {
        var (id, c) = OciUpdate.Parse(["--resources", "-", "ctr"], new StringReader("""{"memory": {"limit": 33554432}, "pids": {"limit": 5}}"""));
        Assert.Equal("ctr", id);
        Assert.Equal(33554432, c.Memory!.Limit);
        Assert.Equal(5, c.Pids!.Limit);
        Assert.Null(c.Cpu);
    }

    [Theory]
    [InlineData("--blkio-weight", "500")]
    [InlineData("--cpu-rt-runtime", "1000")]
    [InlineData("--kernel-memory", "1m")]
    [InlineData("--l3-cache-schema", "L3:0=f")]
    public void Update_refuses_runc_flags_it_does_not_honour(string flag, string value)
    {
        var e = Assert.Throws<OciConfigException>(() => Update(flag, value, "ctr"));
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void Update_refuses_nothing_to_do_flags_with_resources_and_a_zero_pids_limit()
    {
        Assert.Contains("nothing to change", Assert.Throws<OciConfigException>(() => Update("ctr")).Message);
        Assert.Contains("not both", Assert.Throws<OciConfigException>(() => Update("--resources", "x.json", "--memory", "1m", "ctr")).Message);
        Assert.Contains("-1 for unlimited", Assert.Throws<OciConfigException>(() => Update("--pids-limit", "0", "ctr")).Message);
        Assert.Contains("invalid value", Assert.Throws<OciConfigException>(() => Update("--memory", "lots", "ctr")).Message);
        Assert.Contains("requires exactly 1 argument", Assert.Throws<OciConfigException>(() => Update("--memory", "1m")).Message);
    }

    [Fact]
    public void Update_merges_over_the_current_resources_and_refuses_devices_and_unknown_controllers()
    {
        var current = JsonSerializer.Deserialize("""{"memory": {"limit": 1000000, "swap": 2000000}, "cpu": {"quota": 1000, "period": 50000}}""",
            OciJson.Default.OciResources)!;
        var merged = OciUpdate.Merge(current, Update("--cpu-quota", "20000", "ctr").Change);
        Assert.Equal(20000, merged.Cpu!.Quota);
        Assert.Equal(50000UL, merged.Cpu.Period);          // kept: a quota alone must not reset the period
        Assert.Equal(1000000, merged.Memory!.Limit);
        Assert.Equal(1000, current.Cpu!.Quota);            // the current object is not changed

        var devices = JsonSerializer.Deserialize("""{"devices": [{"allow": true}]}""", OciJson.Default.OciResources)!;
        Assert.Contains("devices", Assert.Throws<OciConfigException>(() => OciUpdate.Merge(current, devices)).Message);
        var blkio = JsonSerializer.Deserialize("""{"blockIO": {"weight": 10}}""", OciJson.Default.OciResources)!;
        Assert.Contains("blockIO", Assert.Throws<OciConfigException>(() => OciUpdate.Merge(current, blkio)).Message);
        Assert.Contains("needs a memory limit", Assert.Throws<OciConfigException>(() => OciUpdate.Merge(null, Update("--memory-swap", "1m", "ctr").Change)).Message);
    }

    [Theory]
    [InlineData("67108864", 67108864L)]
    [InlineData("64m", 64L << 20)]
    [InlineData("64MB", 64L << 20)]
    [InlineData("1.5k", 1536L)]
    [InlineData("2g", 2L << 30)]
    [InlineData("-1", -1L)]
    public void Sizes_are_read_as_go_units_reads_them(string text, long bytes) => Assert.Equal(bytes, OciUpdate.Bytes("--memory", text));

    [Theory]
    [InlineData("5s", 5000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90000)]
    [InlineData("1.5h", 5400000)]
    [InlineData("250000us", 250)]
    public void Intervals_are_go_durations(string text, double ms) => Assert.Equal(ms, OciEvents.ParseDuration(text).TotalMilliseconds, 3);

    [Theory]
    [InlineData("5")]
    [InlineData("5x")]
    [InlineData("")]
    [InlineData("0s")]
    public void Bad_intervals_are_refused(string text) => Assert.Throws<OciConfigException>(() => OciEvents.ParseDuration(text));

    [Fact]
    public void Stats_event_has_runcs_shape_and_units()
    {
        var stats = new CgroupStats
        {
            CpuUsageMicros = 1500, CpuUserMicros = 1000, CpuSystemMicros = 500, CpuPeriods = 3, CpuThrottledPeriods = 1, CpuThrottledMicros = 7,
            MemoryUsageBytes = 4096, MemoryMaxUsageBytes = 8192, MemoryLimitBytes = null,
            MemoryStat = new Dictionary<string, long> { ["cache"] = 12 }, PidsCurrent = 2, PidsLimit = 10,
            IoServiceBytes = [new BlkioEntry(8, 0, "Read", 512)],
        };
        using var doc = JsonDocument.Parse(OciEvents.StatsEvent("ctr", stats));
        var root = doc.RootElement;
        Assert.Equal("stats", root.GetProperty("type").GetString());
        Assert.Equal("ctr", root.GetProperty("id").GetString());
        var data = root.GetProperty("data");
        var usage = data.GetProperty("cpu").GetProperty("usage");
        Assert.Equal(1_500_000, usage.GetProperty("total").GetInt64());   // nanoseconds, as runc
        Assert.Equal(1_000_000, usage.GetProperty("user").GetInt64());
        Assert.Equal(500_000, usage.GetProperty("kernel").GetInt64());
        Assert.Equal(7000, data.GetProperty("cpu").GetProperty("throttling").GetProperty("throttledTime").GetInt64());
        var memory = data.GetProperty("memory");
        Assert.Equal(ulong.MaxValue, memory.GetProperty("usage").GetProperty("limit").GetUInt64());   // unlimited
        Assert.Equal(4096, memory.GetProperty("usage").GetProperty("usage").GetInt64());
        Assert.Equal(8192, memory.GetProperty("usage").GetProperty("max").GetInt64());
        Assert.Equal(12, memory.GetProperty("raw").GetProperty("cache").GetInt64());
        Assert.Equal(2, data.GetProperty("pids").GetProperty("current").GetInt64());
        Assert.Equal(10, data.GetProperty("pids").GetProperty("limit").GetInt64());
        var io = data.GetProperty("blkio").GetProperty("ioServiceBytesRecursive")[0];
        Assert.Equal("Read", io.GetProperty("op").GetString());
        Assert.Equal(512, io.GetProperty("value").GetInt64());
        Assert.False(data.GetProperty("blkio").TryGetProperty("ioServicedRecursive", out _));   // omitempty, as runc
    }

    [Fact]
    public void Oom_event_is_one_line()
    {
        using var doc = JsonDocument.Parse(OciEvents.OomEvent("c\"1"));
        Assert.Equal("oom", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal("c\"1", doc.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public void Events_stream_reports_an_oom_kill_that_ended_the_container()
    {
        // The killer took PID 1 between two polls: the loop sees "stopped" first, and the kill must still be reported.
        using var fs = new UnitTests.Cgroups.FakeCgroupFs();
        const string id = "minicontainer/oom1";
        fs.V1Memory($"memory/{id}").File($"memory/{id}/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
        ICgroup cgroup = CgroupManager.Open(id, CgroupFs.V1Layout(fs.Root, "memory"));
        var output = new StringWriter();
        int polls = 0;
        OciEvents.Stream("c1", cgroup, TimeSpan.FromMilliseconds(1), () =>
        {
            if (++polls < 3) return true;
            fs.File($"memory/{id}/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
            return false;
        }, output);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Count(l => l == OciEvents.OomEvent("c1")));   // two kills after the start, not the one before
        Assert.Equal("oom", JsonDocument.Parse(lines[^1]).RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void Events_stream_ends_quietly_when_delete_has_removed_the_cgroup()
    {
        using var fs = new UnitTests.Cgroups.FakeCgroupFs();
        const string id = "minicontainer/gone1";
        fs.V1Memory($"memory/{id}");
        ICgroup cgroup = CgroupManager.Open(id, CgroupFs.V1Layout(fs.Root, "memory"));
        var output = new StringWriter();
        OciEvents.Stream("c1", cgroup, TimeSpan.FromMilliseconds(1), () =>
        {
            Directory.Delete(Path.Combine(fs.Root, "memory", id), recursive: true);
            return false;
        }, output);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void Features_lists_what_the_code_accepts()
    {
        using var doc = JsonDocument.Parse(OciFeatures.Json());
        var root = doc.RootElement;
        Assert.Equal(OciBundle.SpecVersion, root.GetProperty("ociVersionMax").GetString());
        Assert.Equal(OciFeatures.Hooks, root.GetProperty("hooks").EnumerateArray().Select(e => e.GetString()));
        var options = root.GetProperty("mountOptions").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains("rbind", options);
        Assert.Contains("nosuid", options);
        Assert.DoesNotContain("tmpcopyup", options);   // refused by OciMountOptions
        Assert.DoesNotContain("rro", options);
        foreach (string option in options)   // every listed word parses without a refusal
            OciMountOptions.Parse(new OciMount { Destination = "/x", Type = "tmpfs", Options = [option] });
        foreach (string word in OciMountOptions.PropagationWords) Assert.NotNull(OciBundle.PropagationFlags(word));
        var linux = root.GetProperty("linux");
        Assert.Equal(["cgroup", "ipc", "mount", "network", "pid", "user", "uts"], linux.GetProperty("namespaces").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("CAP_SYS_ADMIN", linux.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));
        Assert.False(linux.GetProperty("cgroup").GetProperty("systemd").GetBoolean());
        Assert.True(linux.GetProperty("cgroup").GetProperty("v1").GetBoolean());
        Assert.DoesNotContain("SCMP_ACT_NOTIFY", linux.GetProperty("seccomp").GetProperty("actions").EnumerateArray().Select(e => e.GetString()));
        Assert.False(linux.GetProperty("apparmor").GetProperty("enabled").GetBoolean());
        Assert.Equal("false", root.GetProperty("annotations").GetProperty("org.opencontainers.runc.checkpoint.enabled").GetString());
    }

    [Fact]
    public void Preserve_fds_count_and_the_init_stage_variable_parse()
    {
        Assert.Equal(2, OciPreservedFds.ParseCount("2"));
        Assert.Throws<OciConfigException>(() => OciPreservedFds.ParseCount("-1"));
        Assert.Throws<OciConfigException>(() => OciPreservedFds.ParseCount("x"));
        Assert.Equal((2, 17), OciPreservedFds.ParseVariable("2,17"));
        Assert.Equal((0, -1), OciPreservedFds.ParseVariable("0,-1"));
        Assert.Throws<OciConfigException>(() => OciPreservedFds.ParseVariable("2"));
    }
}
