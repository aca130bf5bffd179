using System.Text.Json.Nodes;
using MiniContainer.Cli.Output;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

/// <summary>`stats`' columns with the docker CLI's formulas and units.</summary>
public sealed class StatsRowsTests
{
    private static JsonObject Sample(string memoryStatKey) => JsonNode.Parse($$$"""
        {"name":"/web","id":"0123456789abcdef0123",
         "cpu_stats":{"cpu_usage":{"total_usage":300000000},"system_cpu_usage":4000000000,"online_cpus":2},
         "precpu_stats":{"cpu_usage":{"total_usage":100000000},"system_cpu_usage":2000000000},
         "memory_stats":{"usage":10485760,"limit":104857600,"stats":{"{{{memoryStatKey}}}":2097152}},
         "networks":{"eth0":{"rx_bytes":1500,"tx_bytes":250},"eth1":{"rx_bytes":500,"tx_bytes":0}},
         "blkio_stats":{"io_service_bytes_recursive":[{"major":8,"minor":0,"op":"Read","value":4096},{"major":8,"minor":0,"op":"Write","value":1000000},{"major":8,"minor":0,"op":"Total","value":1004096}]},
         "pids_stats":{"current":3}}
        """)!.AsObject();

    [Theory]
    [InlineData("total_inactive_file")]   // cgroup v1
    [InlineData("inactive_file")]         // cgroup v2
    public void Columns_follow_the_docker_cli(string memoryStatKey)
    {
        JsonObject row = StatsRows.Row("web", Sample(memoryStatKey), truncate: true);
        Assert.Equal("0123456789ab", (string?)row["ID"]);
        Assert.Equal("web", (string?)row["Name"]);
        Assert.Equal("20.00%", (string?)row["CPUPerc"]);             // 0.2 s of 2 s host time × 2 CPUs
        Assert.Equal("8MiB / 100MiB", (string?)row["MemUsage"]);     // usage minus the inactive page cache
        Assert.Equal("8.00%", (string?)row["MemPerc"]);
        Assert.Equal("2kB / 250B", (string?)row["NetIO"]);
        Assert.Equal("4.1kB / 1MB", (string?)row["BlockIO"]);
        Assert.Equal("3", (string?)row["PIDs"]);
    }

    [Fact]
    public void A_stopped_containers_zeros_print_as_docker_prints_them()
    {
        JsonObject row = StatsRows.Row("old", JsonNode.Parse("""{"name":"/old","id":"abc","memory_stats":{},"pids_stats":{}}""")!.AsObject(), truncate: true);
        Assert.Equal("0.00%", (string?)row["CPUPerc"]);
        Assert.Equal("0B / 0B", (string?)row["MemUsage"]);
        Assert.Equal("0.00%", (string?)row["MemPerc"]);
        Assert.Equal("0", (string?)row["PIDs"]);
    }
}
