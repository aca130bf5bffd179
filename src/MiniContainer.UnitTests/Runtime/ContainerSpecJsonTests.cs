using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Linux;
using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

/// <summary>
/// spec.json, written by the daemon and read by the Native-AOT shim through the source-generated
/// <see cref="RuntimeJson"/> context: whatever the daemon writes must come back field for field.
/// </summary>
public sealed class ContainerSpecJsonTests
{
    private static ContainerSpec Full() => new()
    {
        Id = new string('c', 64),
        Rootfs = new RootfsSpec { LowerDirs = ["/l/top", "/l/base"], UpperDir = "/c/upper", WorkDir = "/c/work", MergedDir = "/c/merged", ReadOnly = true },
        Process = new ProcessSpec
        {
            Args = ["sh", "-c", "echo \"hi\" && exit 3"], Env = ["PATH=/bin", "HOSTNAME=box"], Cwd = "/srv", User = "1000:1000",
            Terminal = true, OpenStdin = true, Init = true, ConsoleRows = 50, ConsoleCols = 200,
        },
        Hostname = "box",
        HostnamePath = "/c/hostname", HostsPath = "/c/hosts", ResolvConfPath = "/c/resolv.conf",
        NetworkMode = "host",
        UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }],
        GidMappings = [new IdMapping { ContainerId = 0, HostId = 200000, Size = 65536 }],
        CgroupName = "minicontainer/ccc",
        Resources = new ResourceLimitsSpec { MemoryBytes = 64 << 20, MemorySwapBytes = 128 << 20, CpuQuotaMicros = 50_000, CpuPeriodMicros = 100_000, CpuShares = 512, PidsLimit = 100 },
        Mounts = [new MountSpec { Source = "/host/data", Destination = "/data", Type = "bind", ReadOnly = true }, new MountSpec { Destination = "/run", Type = "tmpfs", Options = "size=64m" }],
        LogPath = "/c/c-json.log", ControlSocket = "/r/c/shim.sock", ExitFile = "/c/exit.json",
    };

    [Fact]
    public void A_full_spec_round_trips_field_for_field()
    {
        string json = JsonSerializer.Serialize(Full(), RuntimeJson.Default.ContainerSpec);
        var back = JsonSerializer.Deserialize(json, RuntimeJson.Default.ContainerSpec)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, RuntimeJson.Default.ContainerSpec));
        Assert.Equal(["/l/top", "/l/base"], back.Rootfs.LowerDirs);
        Assert.Equal(["sh", "-c", "echo \"hi\" && exit 3"], back.Process.Args);
        Assert.True(back.Process.Terminal && back.Process.Init && back.Rootfs.ReadOnly);
        Assert.Equal((ushort)50, back.Process.ConsoleRows);
        Assert.Equal(100000u, back.UidMappings![0].HostId);
        Assert.Equal(64L << 20, back.Resources.MemoryBytes);
        Assert.Equal(100, back.Resources.PidsLimit);
        Assert.Equal("size=64m", back.Mounts[1].Options);
        Assert.Equal("/c/exit.json", back.ExitFile);
    }

    [Fact]
    public void Unset_optional_fields_are_left_out_and_read_back_as_unset()
    {
        var spec = new ContainerSpec { Id = "x" };
        var node = JsonNode.Parse(JsonSerializer.Serialize(spec, RuntimeJson.Default.ContainerSpec))!.AsObject();
        Assert.False(node.ContainsKey("HostsPath"));
        Assert.False(node.ContainsKey("UidMappings"));
        Assert.False(node["Resources"]!.AsObject().ContainsKey("MemoryBytes"));

        var back = JsonSerializer.Deserialize(node.ToJsonString(), RuntimeJson.Default.ContainerSpec)!;
        Assert.Null(back.HostsPath);
        Assert.Null(back.Resources.MemoryBytes);
        Assert.Equal(100_000, back.Resources.CpuPeriodMicros);
    }

    [Fact]
    public void Exit_record_and_start_report_round_trip()
    {
        var finished = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(7);
        var exit = new ExitRecord { ExitCode = 137, Signal = 9, OomKilled = true, FinishedAt = finished };
        var exitBack = JsonSerializer.Deserialize(JsonSerializer.Serialize(exit, RuntimeJson.Default.ExitRecord), RuntimeJson.Default.ExitRecord)!;
        Assert.Equal((137, 9, true, finished), (exitBack.ExitCode, exitBack.Signal, exitBack.OomKilled, exitBack.FinishedAt));

        var report = new StartReport { Error = "exec: \"nope\": executable file not found in $PATH", ExitCode = 127 };
        var reportBack = JsonSerializer.Deserialize(JsonSerializer.Serialize(report, RuntimeJson.Default.StartReport), RuntimeJson.Default.StartReport)!;
        Assert.Equal((report.Error, 127, 0), (reportBack.Error, reportBack.ExitCode, reportBack.Pid));
    }

    [Fact]
    public void The_exec_spec_round_trips()
    {
        var exec = new ExecSpec { Id = "e1", ContainerId = "c1", TargetPid = 4242, Process = new ProcessSpec { Args = ["sh"], Terminal = true }, CgroupName = "minicontainer/c1" };
        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(exec, RuntimeJson.Default.ExecSpec), RuntimeJson.Default.ExecSpec)!;
        Assert.Equal((4242, "c1", true), (back.TargetPid, back.ContainerId, back.Process.Terminal));
        Assert.Equal(["sh"], back.Process.Args);
    }
}

/// <summary>waitpid(2)'s status word, decoded: how `docker wait` and `$?` learn how a container ended.</summary>
public sealed class ExitStatusTests
{
    [Theory]
    [InlineData(0x0000, 0)]
    [InlineData(0x0100, 1)]
    [InlineData(0x7f00, 127)]
    [InlineData(0x8900, 137)]   // exit(137) by the program itself, not a signal
    [InlineData(0xff00, 255)]
    public void A_normal_exit_is_its_code(int status, int code)
    {
        var s = ExitStatus.FromWaitStatus(status);
        Assert.False(s.Signaled);
        Assert.Equal(code, s.Code);
        Assert.Equal(code, s.DockerExitCode);
    }

    [Theory]
    [InlineData(9, 9, 137)]       // SIGKILL: the OOM killer, docker kill
    [InlineData(15, 15, 143)]     // SIGTERM: docker stop
    [InlineData(2, 2, 130)]       // SIGINT
    [InlineData(0x8b, 11, 139)]   // SIGSEGV with the core-dump bit set
    [InlineData(0x86, 6, 134)]    // SIGABRT, core dumped
    public void Death_by_signal_n_is_128_plus_n(int status, int signal, int dockerCode)
    {
        var s = ExitStatus.FromWaitStatus(status);
        Assert.True(s.Signaled);
        Assert.Equal(signal, s.Signal);
        Assert.Equal(dockerCode, s.DockerExitCode);
    }
}
