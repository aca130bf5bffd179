using System.Text.Json.Nodes;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `inspect --kernel` against the kernel itself: every section of the document is checked against state this test
/// reads on its own, with the tools a student would use (readlink, the cgroup files, ip -j inside the container's
/// network namespace through nsenter, findmnt, /proc/PID/status and uid_map).
/// </summary>
public sealed class InspectKernelTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly string _name = "kern" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => _d.Run("rm", "-f", _name);

    private static CommandResult Sh(string program, params string[] args) => Daemon.Exec(program, args).Ok(program);

    [Fact]
    public void Every_section_matches_the_live_kernel_state()
    {
        _d.Run("run", "-d", "--name", _name, "-m", "32m", "--pids-limit", "40", "busybox", "sleep", "1000").Ok();
        int pid = int.Parse(_d.Run("inspect", "-f", "{{.State.Pid}}", _name).Ok().Stdout.Trim());
        var doc = JsonNode.Parse(_d.Run("inspect", "--kernel", "--format", "json", _name).Ok().Stdout)!.AsArray()[0]!;
        output.WriteLine(doc.ToJsonString());
        Assert.Equal(pid, (int)doc["Pid"]!);
        Assert.Equal(1, (int)doc["PidInContainer"]!);

        // Namespaces: readlink /proc/PID/ns/TYPE, and the host's from where the daemon says it read them.
        string hostDir = ((string)doc["NamespacesHostSource"]!).Split(' ')[0];
        var namespaces = doc["Namespaces"]!.AsArray();
        Assert.Contains(namespaces, n => (string)n!["Type"]! == "net");
        foreach (var n in namespaces)
        {
            string type = (string)n!["Type"]!;
            // (pid_for_children reads "pid:[…]", time_for_children "time:[…]": compare the inode part.)
            Assert.EndsWith($":[{(ulong)n["Inode"]!}]", Sh("readlink", $"/proc/{pid}/ns/{type}").Stdout.Trim());
            Assert.EndsWith($":[{(ulong)n["HostInode"]!}]", Sh("readlink", $"{hostDir}/{type}").Stdout.Trim());
            bool own = type is "pid" or "mnt" or "net" or "uts" or "ipc" or "cgroup";
            if (own) Assert.False((bool)n["SharedWithHost"]!, type);
        }

        // Cgroup: each hierarchy line is in /proc/PID/cgroup; each file holds the value shown; the limits are ours.
        string procCgroup = File.ReadAllText($"/proc/{pid}/cgroup");
        foreach (var h in doc["Cgroup"]!["Hierarchies"]!.AsArray())
            Assert.Contains($":{(string)h!["Controllers"]!}:{(string)h["Path"]!}\n", procCgroup);
        var files = doc["Cgroup"]!["Files"]!.AsArray().ToDictionary(f => (string)f!["File"]!, f => f!);
        foreach (var (file, f) in files.Where(kv => (string)kv.Value["Role"]! == "limit"))
            Assert.Equal(string.Join("; ", File.ReadAllLines((string)f["Path"]!).Where(l => l.Length > 0)), (string)f["Value"]!);
        bool v2 = (string)doc["Cgroup"]!["Version"]! == "v2";
        Assert.Equal("33554432", (string)files[v2 ? "memory.max" : "memory.limit_in_bytes"]["Value"]!);
        Assert.Equal("40", (string)files["pids.max"]["Value"]!);
        Assert.Equal("1", (string)files["pids.current"]["Value"]!);
        Assert.Contains(pid.ToString(), File.ReadAllLines(Path.Combine(Path.GetDirectoryName((string)files["pids.max"]["Path"]!)!, "cgroup.procs")));

        // Network: eth0 inside (ip -j addr through nsenter), its host peer on the bridge (ip -j link on the host), routes.
        var eth0 = doc["Network"]!["Interfaces"]!.AsArray().Single(i => (string)i!["Name"]! == "eth0")!;
        var inside = JsonNode.Parse(Sh("nsenter", "-t", pid.ToString(), "-n", "ip", "-j", "addr", "show", "dev", "eth0").Stdout)!.AsArray()[0]!;
        Assert.Equal((int)inside["ifindex"]!, (int)eth0["Index"]!);
        Assert.Equal((string)inside["address"]!, (string)eth0["Mac"]!);
        var inet = inside["addr_info"]!.AsArray().Single(a => (string)a!["family"]! == "inet")!;
        Assert.Equal([$"{(string)inet["local"]!}/{(int)inet["prefixlen"]!}"], eth0["Addresses"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(_d.Run("inspect", "-f", "{{.NetworkSettings.IPAddress}}", _name).Ok().Stdout.Trim(), (string)inet["local"]!);

        var hostEnd = eth0["HostEnd"]!;
        var hostLink = JsonNode.Parse(Sh("ip", "-j", "link", "show", "dev", (string)hostEnd["Name"]!).Stdout)!.AsArray()[0]!;
        Assert.Equal((int)hostLink["ifindex"]!, (int)hostEnd["Index"]!);
        Assert.Equal((int)hostLink["ifindex"]!, (int)eth0["PeerIndex"]!);       // the two ends name each other
        Assert.Equal((int)inside["link_index"]!, (int)hostEnd["Index"]!);
        Assert.Equal((int)eth0["Index"]!, (int)hostEnd["PeerIndex"]!);
        Assert.Equal((string)hostLink["address"]!, (string)hostEnd["Mac"]!);
        Assert.Equal((string)hostLink["master"]!, (string)hostEnd["Bridge"]!);
        Assert.Equal(_d.Bridge, (string)hostEnd["Bridge"]!);

        var routes = JsonNode.Parse(Sh("nsenter", "-t", pid.ToString(), "-n", "ip", "-j", "route", "show").Stdout)!.AsArray();
        Assert.Equal(routes.Select(r => ((string)r!["dst"]!, (string?)r["gateway"])).OrderBy(x => x.Item1),
            doc["Network"]!["Routes"]!.AsArray().Select(r => ((string)r!["Destination"]!, (string?)r["Gateway"])).OrderBy(x => x.Item1));

        // Overlay: findmnt in the container's mount namespace names the same lower, upper and work dirs.
        string options = Sh("findmnt", "-N", pid.ToString(), "-n", "-o", "OPTIONS", "/").Stdout.Trim();
        var rootfs = doc["Rootfs"]!;
        Assert.Contains("lowerdir=" + string.Join(':', rootfs["LowerDirs"]!.AsArray().Select(d => (string)d!["Path"]!)), options);
        Assert.Contains("upperdir=" + (string)rootfs["UpperDir"]!["Path"]!, options);
        Assert.Contains("workdir=" + (string)rootfs["WorkDir"]!["Path"]!, options);
        Assert.Equal(_d.Run("inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", _name).Ok().Stdout.Trim(), (string)rootfs["UpperDir"]!["Path"]!);
        Assert.True((long)rootfs["LowerDirs"]![0]!["Bytes"]! > 0);

        // Mounts: the mount points of /proc/PID/mountinfo (field 5), in order.
        var mountPoints = File.ReadAllLines($"/proc/{pid}/mountinfo").Select(l => l.Split(' ')[4].Replace("\\040", " ")).ToList();
        Assert.Equal(mountPoints, doc["Mounts"]!.AsArray().Select(m => (string)m!["MountPoint"]!));

        // Security: capsh decodes the same mask; Seccomp, NoNewPrivs and uid_map as /proc shows them.
        var status = File.ReadAllLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim());
        string decoded = Sh("capsh", "--decode=" + status["CapEff"]).Stdout.Trim();   // 0x…=cap_chown,cap_dac_override,…
        var expected = decoded[(decoded.IndexOf('=') + 1)..].Split(',').Select(c => c["cap_".Length..].ToUpperInvariant());
        var security = doc["Security"]!;
        Assert.Equal(expected, security["CapEffective"]!.AsArray().Select(c => (string)c!));
        Assert.DoesNotContain("SYS_ADMIN", security["CapBounding"]!.AsArray().Select(c => (string)c!));
        Assert.Equal(status["Seccomp"] == "2" ? "filter" : "disabled", (string)security["Seccomp"]!);
        Assert.Equal(status["NoNewPrivs"] == "1", (bool)security["NoNewPrivs"]!);
        var uidMap = File.ReadAllText($"/proc/{pid}/uid_map").Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToList();
        var first = security["UidMap"]![0]!;
        Assert.Equal(uidMap.Take(3), [(long)first["Inside"]!, (long)first["Outside"]!, (long)first["Count"]!]);

        // The default text view: one section per kernel object, each explained, with the same values.
        string text = _d.Run("inspect", "--kernel", _name).Ok().Stdout;
        foreach (string section in new[] { "Namespaces", "Cgroup", "Network", "Root file system", "Mounts", "Security" })
            Assert.Contains($"\n{section}\n  # ", text);
        Assert.Contains("33554432", text);
        Assert.Contains((string)hostEnd["Name"]!, text);
    }

    [Fact]
    public void A_stopped_container_is_409_not_running()
    {
        _d.Run("create", "--name", _name, "busybox", "true").Ok();
        var r = _d.Run("inspect", "--kernel", _name);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("is not running", r.Stderr);
        string code = Sh("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", _d.Socket,
            $"http://localhost/containers/{_name}/kernel").Stdout;
        Assert.Equal("409", code);
        Assert.Contains("No such container", _d.Run("inspect", "--kernel", "nope" + _name).Stderr);
        // Flags the kernel view does not honour are refused, not dropped.
        Assert.Contains("--size cannot be used with --kernel", _d.Run("inspect", "--kernel", "--size", _name).Stderr);
        Assert.Contains("--kernel shows containers only", _d.Run("inspect", "--kernel", "--type", "image", _name).Stderr);
    }
}
