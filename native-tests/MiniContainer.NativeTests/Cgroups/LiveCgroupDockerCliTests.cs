using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests.Cgroups;

/// <summary>
/// The live cgroup operations through the real docker CLI and the API, checked against the kernel's own files: stats
/// numbers equal the cgroup's counters, a paused container's processes are frozen (state D/T in /proc, a counter
/// stops) and go on after unpause, `update` rewrites the limits of the running container, --cpuset-cpus confines it.
/// On this host's cgroup v1 and, in the VM lane, on a pure cgroup v2 kernel.
/// </summary>
[Trait("Lane", "vm")]  // also run in the pure-cgroup-v2 VM by scripts/vm-test.sh
public sealed class LiveCgroupDockerCliTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose() => _docker.Dispose();

    private CommandResult Docker(params string[] args) => _docker.Run(args);

    /// <summary>A control file of the container's cgroup: v2 one directory, v1 the controller's hierarchy.</summary>
    private static string CgroupFile(string id, string controller, string file) => Support.CgroupV2
        ? $"/sys/fs/cgroup/minicontainer/{id}/{file}"
        : $"/sys/fs/cgroup/{controller}/minicontainer/{id}/{file}";

    private static string Read(string path) => File.ReadAllText(path).Trim();

    /// <summary>An HTTP client whose every connection goes to the daemon's unix socket.</summary>
    private HttpClient StreamingClient() => _d.ApiClient();

    /// <summary>GET or POST on the daemon's socket; the status code and the body.</summary>
    private async Task<(int Status, string Body)> ApiAsync(string method, string path, string? json = null)
    {
        using var http = StreamingClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), "http://docker/v1.47" + path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{method} {path} → {(int)response.StatusCode} {body}");
        return ((int)response.StatusCode, body);
    }

    [Fact]
    public async Task Stats_numbers_agree_with_the_cgroup_files_and_the_cli_table_shows_them()
    {
        string name = Support.Unique("stats"), stopped = name + "-stopped";
        try
        {
            string id = Docker("run", "-d", "--name", name, "-m", "64m", "--pids-limit", "50", "busybox", "sh", "-c",
                "sleep 1000 & sleep 1000 & wait").Ok().Stdout.Trim();
            Support.WaitUntil(() => Read(CgroupFile(id, "pids", "pids.current")) == "3", TimeSpan.FromSeconds(10), "three processes");

            var (status, body) = await ApiAsync("GET", $"/containers/{name}/stats?stream=false");
            Assert.Equal(200, status);
            var s = JsonNode.Parse(body)!.AsObject();
            long usageFile = long.Parse(Read(CgroupFile(id, "memory", Support.CgroupV2 ? "memory.current" : "memory.usage_in_bytes")));
            Assert.Equal("/" + name, (string?)s["name"]);
            Assert.Equal(id, (string?)s["id"]);
            Assert.Equal(64L * 1024 * 1024, (long)s["memory_stats"]!["limit"]!);
            Assert.InRange((long)s["memory_stats"]!["usage"]!, usageFile - (2 << 20), usageFile + (2 << 20));
            Assert.Equal(3, (long)s["pids_stats"]!["current"]!);
            Assert.Equal(50, (long)s["pids_stats"]!["limit"]!);
            Assert.True((long)s["cpu_stats"]!["online_cpus"]! >= 1);
            // stream=false takes two readings: precpu_stats is the first, a second earlier
            Assert.True((long)s["precpu_stats"]!["system_cpu_usage"]! > 0);
            Assert.True((long)s["cpu_stats"]!["system_cpu_usage"]! > (long)s["precpu_stats"]!["system_cpu_usage"]!);
            Assert.NotNull(s["networks"]?["eth0"]?["rx_bytes"]);
            Assert.NotNull(s["memory_stats"]!["stats"]![Support.CgroupV2 ? "inactive_file" : "total_inactive_file"]);
            foreach (string key in new[] { "read", "preread", "blkio_stats", "cpu_stats", "precpu_stats", "memory_stats", "pids_stats" })
                Assert.NotNull(s[key]);

            string row = Docker("stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.PIDs}}|{{.CPUPerc}}", name).Ok().Stdout.Trim();
            string[] cells = row.Split('|');
            Assert.Equal(name, cells[0]);
            Assert.EndsWith(" / 64MiB", cells[1]);
            Assert.Equal("3", cells[2]);
            Assert.EndsWith("%", cells[3]);
            string table = Docker("stats", "--no-stream", name).Ok().Stdout;
            Assert.StartsWith("CONTAINER ID", table);
            Assert.Contains("MEM USAGE / LIMIT", table);
            Assert.Contains(id[..12], table);

            // The stream (the default): one sample a second, each carrying the one before as precpu_stats.
            using (var http = StreamingClient())
            using (var reader = new StreamReader(await http.GetStreamAsync($"http://docker/v1.47/containers/{name}/stats")))
            {
                var first = JsonNode.Parse((await reader.ReadLineAsync())!)!;
                var second = JsonNode.Parse((await reader.ReadLineAsync())!)!;
                Assert.Equal((string?)first["read"], (string?)second["preread"]);
                Assert.Equal(first["cpu_stats"]!.ToJsonString(), second["precpu_stats"]!.ToJsonString());
                Assert.Equal(3, (long)second["pids_stats"]!["current"]!);
            }

            // A stopped container: zeros, with its name and ID, as dockerd answers.
            Docker("run", "--name", stopped, "busybox", "true").Ok();
            var (st, zero) = await ApiAsync("GET", $"/containers/{stopped}/stats?stream=false");
            Assert.Equal(200, st);
            var z = JsonNode.Parse(zero)!.AsObject();
            Assert.Equal("/" + stopped, (string?)z["name"]);
            Assert.Null(z["memory_stats"]!["usage"]);
            Assert.Null(z["pids_stats"]!["current"]);
        }
        finally { Docker("rm", "-f", name, stopped); }
    }

    [Fact]
    public void Pause_freezes_the_processes_and_unpause_lets_them_go_on()
    {
        string name = Support.Unique("pause");
        try
        {
            string id = Docker("run", "-d", "--name", name, "busybox", "sh", "-c",
                "i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.1; done").Ok().Stdout.Trim();
            string pid = Support.Inspect(_d, name, "{{.State.Pid}}");
            string counter = $"/proc/{pid}/root/tmp/counter";
            Support.WaitUntil(() => File.Exists(counter) && Read(counter).Length > 0, TimeSpan.FromSeconds(10), "the counter");

            Assert.Equal(name, Docker("pause", name).Ok().Stdout.Trim());
            Assert.Equal("paused true true", Docker("inspect", "-f", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}", name).Ok().Stdout.Trim());
            Assert.Contains("(Paused)", Docker("ps", "--filter", "name=" + name, "--format", "{{.Status}}").Ok().Stdout);
            Assert.Equal(name, Docker("ps", "--filter", "status=paused", "--filter", "name=" + name, "--format", "{{.Names}}").Ok().Stdout.Trim());
            // The kernel's word: the container's shell is frozen, and its cgroup too. The v1 freezer leaves a task in
            // D (TASK_FROZEN); the v2 freezer parks it in a signal-delivery trap, an interruptible sleep (S) whose wait
            // channel is do_freezer_trap, or get_signal where that is inlined (Debian's 6.1).
            char state = File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1][0];
            string wchan = File.ReadAllText($"/proc/{pid}/wchan");
            output.WriteLine($"state of {pid} while paused: {state}, wchan {wchan}");
            if (Support.CgroupV2 && state == 'S') Assert.Contains(wchan, new[] { "do_freezer_trap", "get_signal" });
            else Assert.Contains(state, "DT");
            Assert.True(Support.CgroupV2
                ? File.ReadAllText(CgroupFile(id, "", "cgroup.events")).Contains("frozen 1")
                : Read(CgroupFile(id, "freezer", "freezer.state")) == "FROZEN");
            string before = Read(counter);
            Thread.Sleep(1000);
            Assert.Equal(before, Read(counter));

            CommandResult again = Docker("pause", name);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains($"Container {id} is already paused", again.Stderr);
            CommandResult exec = Docker("exec", name, "true");
            Assert.NotEqual(0, exec.ExitCode);
            Assert.Contains("is paused, unpause the container before exec", exec.Stderr);

            Assert.Equal(name, Docker("unpause", name).Ok().Stdout.Trim());
            Assert.Equal("running false", Docker("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name).Ok().Stdout.Trim());
            Support.WaitUntil(() => Read(counter) != before, TimeSpan.FromSeconds(5), "the counter to go on after unpause");
            CommandResult notPaused = Docker("unpause", name);
            Assert.Equal(1, notPaused.ExitCode);
            Assert.Contains($"Container {id} is not paused", notPaused.Stderr);

            // A paused container can be stopped: the signal is sent, then the container thawed to take it.
            Docker("pause", name).Ok();
            Docker("stop", "-t", "1", name).Ok();
            Assert.Equal("exited false", Docker("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name).Ok().Stdout.Trim());
            CommandResult stopped = Docker("pause", name);
            Assert.Equal(1, stopped.ExitCode);
            Assert.Contains($"Container {id} is not running", stopped.Stderr);

            // ... and removed by force.
            Docker("start", name).Ok();
            Docker("pause", name).Ok();
            Docker("rm", "-f", name).Ok();
            Assert.False(Directory.Exists(Path.GetDirectoryName(CgroupFile(id, "freezer", "x"))));
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public async Task Update_rewrites_the_limits_of_the_running_container_and_a_restart_keeps_them()
    {
        string name = Support.Unique("upd");
        try
        {
            string id = Docker("run", "-d", "--name", name, "-m", "64m", "busybox", "sleep", "1000").Ok().Stdout.Trim();
            string memoryFile = CgroupFile(id, "memory", Support.CgroupV2 ? "memory.max" : "memory.limit_in_bytes");
            Assert.Equal((64L << 20).ToString(), Read(memoryFile));

            Assert.Equal(name, Docker("update", "-m", "128m", "--memory-swap", "256m", "--pids-limit", "40", "--cpus", "0.5", name).Ok().Stdout.Trim());
            Assert.Equal((128L << 20).ToString(), Read(memoryFile));
            Assert.Equal("40", Read(CgroupFile(id, "pids", "pids.max")));
            Assert.Equal("50000 100000", Support.CgroupV2 ? Read(CgroupFile(id, "cpu", "cpu.max"))
                : Read(CgroupFile(id, "cpu", "cpu.cfs_quota_us")) + " " + Read(CgroupFile(id, "cpu", "cpu.cfs_period_us")));
            Assert.Equal($"{128L << 20} {256L << 20} 40 500000000",
                Docker("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}", name).Ok().Stdout.Trim());

            Docker("update", "--cpuset-cpus", "0", "--restart", "on-failure:3", name).Ok();
            Assert.Equal("0", Read(CgroupFile(id, "cpuset", "cpuset.cpus")));
            Assert.Equal("0 on-failure 3", Docker("inspect", "-f", "{{.HostConfig.CpusetCpus}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", name).Ok().Stdout.Trim());

            // The record keeps them: the next start's fresh cgroup gets the updated limits.
            Docker("restart", "-t", "0", name).Ok();
            Assert.Equal((128L << 20).ToString(), Read(memoryFile));
            Assert.Equal("0", Read(CgroupFile(id, "cpuset", "cpuset.cpus")));

            // What cannot be updated is refused naming it; bad values get dockerd's words.
            var (status, body) = await ApiAsync("POST", $"/containers/{name}/update", """{"KernelMemory": 67108864}""");
            Assert.Equal(400, status);
            Assert.Contains("KernelMemory", body);
            CommandResult tooLow = Docker("update", "-m", "1m", name);
            Assert.Equal(1, tooLow.ExitCode);
            Assert.Contains("Minimum memory limit allowed is 6MB", tooLow.Stderr);
            CommandResult noCpu = Docker("update", "--cpuset-cpus", "99", name);
            Assert.Equal(1, noCpu.ExitCode);
            Assert.Contains("Requested CPUs are not available", noCpu.Stderr);
            Assert.Equal((128L << 20).ToString(), Read(memoryFile));
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public void Cpuset_cpus_and_memory_swappiness_at_create_are_honoured_and_echoed()
    {
        string name = Support.Unique("cpuset");
        try
        {
            CommandResult run = Docker("run", "-d", "--name", name, "--cpuset-cpus", "0", "--memory-swappiness", "40", "busybox", "sleep", "1000").Ok();
            string id = run.Stdout.Trim();
            Assert.Equal("0", Read(CgroupFile(id, "cpuset", "cpuset.cpus")));
            Assert.Equal("0", Docker("exec", name, "sh", "-c", "grep Cpus_allowed_list /proc/self/status | cut -f2").Ok().Stdout.Trim());
            string swappiness = Docker("inspect", "-f", "{{.HostConfig.CpusetCpus}} {{.HostConfig.MemorySwappiness}}", name).Ok().Stdout.Trim();
            if (Support.CgroupV2)
            {
                // v2 has no swappiness per cgroup: dropped with dockerd's warning.
                Assert.Equal("0 <nil>", swappiness);
                Assert.Contains("Memory swappiness discarded", run.Stderr);
            }
            else
            {
                Assert.Equal("0 40", swappiness);
                Assert.Equal("40", Read(CgroupFile(id, "memory", "memory.swappiness")));
            }

            CommandResult bad = Docker("run", "--rm", "--cpuset-cpus", "0-x", "busybox", "true");
            Assert.Equal(125, bad.ExitCode);
            Assert.Contains("Invalid value 0-x for cpuset cpus", bad.Stderr);
        }
        finally { Docker("rm", "-f", name); }
    }
}
