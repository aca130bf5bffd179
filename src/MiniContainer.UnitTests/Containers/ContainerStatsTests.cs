using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Cgroups;
using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>GET /containers/{id}/stats: Docker's JSON shape and units from each cgroup version's numbers.</summary>
public sealed class ContainerStatsTests
{
    private static readonly ContainerRecord Record = new() { Id = new string('a', 64), Name = "/web" };
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 4, 0, 0, TimeSpan.Zero);

    private static readonly CgroupStats V1Numbers = new()
    {
        MemoryUsageBytes = 10_000_000, MemoryLimitBytes = 64 << 20, MemoryMaxUsageBytes = 12_000_000, MemoryFailCount = 2,
        MemoryStat = new Dictionary<string, long> { ["cache"] = 4096, ["total_inactive_file"] = 1_000_000 },
        CpuUsageMicros = 1500, CpuUserMicros = 1000, CpuSystemMicros = 500, CpuPeriods = 7, CpuThrottledPeriods = 3, CpuThrottledMicros = 9,
        PidsCurrent = 3, PidsLimit = 50, IoServiceBytes = [new BlkioEntry(8, 0, "Read", 4096)],
    };

    private static JsonObject Json(ContainerStatsSample s) =>
        JsonNode.Parse(JsonSerializer.Serialize(s, DaemonJson.Default.ContainerStatsSample))!.AsObject();

    [Fact]
    public void A_v1_sample_has_dockers_names_and_units()
    {
        var previous = ContainerStatsReader.FromCgroup(Record, V1Numbers with { CpuUsageMicros = 1000 }, CgroupVersion.V1, 5_000_000_000, 2, 8L << 30,
            Now.AddSeconds(-1), null, null);
        var nets = ContainerStatsReader.ParseNetDev(
            "Inter-|   Receive                                                |  Transmit\n" +
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
            "    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n" +
            "  eth0:    1234      10    1    2    0     0          0         0     5678      20    3    4    0     0       0          0\n");
        var j = Json(ContainerStatsReader.FromCgroup(Record, V1Numbers, CgroupVersion.V1, 6_000_000_000, 2, 8L << 30, Now, previous, nets));

        Assert.Equal("/web", (string?)j["name"]);
        Assert.Equal(Record.Id, (string?)j["id"]);
        Assert.StartsWith("2026-12-06T04:00:00", (string?)j["read"]);
        Assert.StartsWith("2026-12-06T03:59:59", (string?)j["preread"]);
        Assert.Equal(1_500_000, (long)j["cpu_stats"]!["cpu_usage"]!["total_usage"]!);   // µs → ns
        Assert.Equal(500_000, (long)j["cpu_stats"]!["cpu_usage"]!["usage_in_kernelmode"]!);
        Assert.Equal(1_000_000, (long)j["cpu_stats"]!["cpu_usage"]!["usage_in_usermode"]!);
        Assert.Equal(6_000_000_000, (long)j["cpu_stats"]!["system_cpu_usage"]!);
        Assert.Equal(2, (int)j["cpu_stats"]!["online_cpus"]!);
        Assert.Equal(9000, (long)j["cpu_stats"]!["throttling_data"]!["throttled_time"]!);
        Assert.Equal(1_000_000, (long)j["precpu_stats"]!["cpu_usage"]!["total_usage"]!);
        Assert.Equal(10_000_000, (long)j["memory_stats"]!["usage"]!);
        Assert.Equal(12_000_000, (long)j["memory_stats"]!["max_usage"]!);
        Assert.Equal(2, (long)j["memory_stats"]!["failcnt"]!);
        Assert.Equal(64 << 20, (long)j["memory_stats"]!["limit"]!);
        Assert.Equal(4096, (long)j["memory_stats"]!["stats"]!["cache"]!);
        Assert.Equal(3, (long)j["pids_stats"]!["current"]!);
        Assert.Equal(50, (long)j["pids_stats"]!["limit"]!);
        Assert.Equal("""[{"major":8,"minor":0,"op":"Read","value":4096}]""", j["blkio_stats"]!["io_service_bytes_recursive"]!.ToJsonString());
        Assert.Null(j["blkio_stats"]!["io_serviced_recursive"]);
        Assert.Equal(1234, (long)j["networks"]!["eth0"]!["rx_bytes"]!);
        Assert.Equal(4, (long)j["networks"]!["eth0"]!["tx_dropped"]!);
        Assert.Null(j["networks"]!["lo"]);
    }

    [Fact]
    public void A_v2_sample_reports_dockerds_memory_keys_no_max_usage_and_the_machines_memory_when_unlimited()
    {
        var v2 = V1Numbers with
        {
            MemoryLimitBytes = null,
            MemoryStat = new Dictionary<string, long> { ["anon"] = 1, ["inactive_file"] = 2, ["zswap"] = 3 },
        };
        var j = Json(ContainerStatsReader.FromCgroup(Record, v2, CgroupVersion.V2, 1, 1, 8L << 30, Now, null, null));
        Assert.Equal(8L << 30, (long)j["memory_stats"]!["limit"]!);
        Assert.Null(j["memory_stats"]!["max_usage"]);
        Assert.Null(j["memory_stats"]!["failcnt"]);
        Assert.Equal("""{"anon":1,"inactive_file":2}""", j["memory_stats"]!["stats"]!.ToJsonString());
        Assert.False(j.ContainsKey("networks"));   // no network namespace of its own (host, none)
        Assert.StartsWith("0001-01-01T00:00:00", (string?)j["preread"]);
    }

    [Fact]
    public void A_stopped_container_is_zeros_with_its_name_and_id()
    {
        var j = Json(ContainerStatsReader.Empty(Record));
        Assert.Equal("/web", (string?)j["name"]);
        Assert.StartsWith("0001-01-01T00:00:00", (string?)j["read"]);
        Assert.Equal("{}", j["memory_stats"]!.ToJsonString());
        Assert.Equal("{}", j["pids_stats"]!.ToJsonString());
        Assert.Equal(0, (long)j["cpu_stats"]!["cpu_usage"]!["total_usage"]!);
    }

    [Fact]
    public void Host_cpu_time_is_the_cpu_lines_first_seven_fields_in_ns_and_the_cpuN_lines_count()
    {
        var (nanos, cpus) = HostCpu.Read("cpu  10 20 30 40 50 60 70 80 90 100\ncpu0 1 1 1 1 1 1 1\ncpu1 1 1 1 1 1 1 1\nintr 5\n");
        Assert.Equal(280L * 10_000_000, nanos);
        Assert.Equal(2, cpus);
    }

    [Fact]
    public void Block_io_is_read_from_v1_lines_and_v2_io_stat()
    {
        Assert.Equal([new BlkioEntry(8, 0, "Read", 10), new BlkioEntry(8, 0, "Write", 20)],
            BlkioStats.ParseV1("8:0 Read 10\n8:0 Write 20\nTotal 30\n"));
        Assert.Equal([new BlkioEntry(259, 1, "read", 4096), new BlkioEntry(259, 1, "write", 512)],
            BlkioStats.ParseV2("259:1 rbytes=4096 wbytes=512 rios=1 wios=1 dbytes=0 dios=0\n", "rbytes", "wbytes"));
        Assert.Empty(BlkioStats.ParseV2(null, "rbytes", "wbytes"));
    }
}
