using System.Text.RegularExpressions;
using MiniContainer.Explaining;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `run --explain` against reality (issue 13's acceptance): every narrated value — the memory limit written to the
/// cgroup, the overlay's dirs, the veth pair, the address, the DNAT rule, the mounts — is checked against what the
/// kernel holds for the running container, read live from cgroupfs, /proc/PID/mountinfo, rtnetlink (`ip`) and `nft`.
/// </summary>
public sealed class ExplainTests(ITestOutputHelper output) : IDisposable
{
    private readonly NetworkDaemon _net = new();
    private Daemon D => _net.Daemon;

    public void Dispose() => _net.EndTest(output);

    /// <summary>The steps among a command's stderr lines (--explain=json).</summary>
    internal static List<ExplainStep> Steps(string jsonLines) =>
        jsonLines.Lines().Where(l => l.StartsWith('{')).Select(ExplainLog.Parse).OfType<ExplainStep>().ToList();

    [Fact]
    public void Run_explain_narrates_what_the_kernel_holds()
    {
        string net = Support.Unique("mcx-net"), vol = Support.Unique("mcx-vol"), name = Support.Unique("ex");
        int port = LocalRegistry.FreePort();
        D.Run("network", "create", net).Ok();
        try
        {
            var run = D.Run("run", "-d", "--explain=json", "--name", name, "-m", "32m", "-p", $"{port}:80", "--network", net,
                "-v", $"{vol}:/data", "busybox", "sleep", "1000").Ok();
            output.WriteLine(run.Stderr);
            var steps = Steps(run.Stderr);
            Assert.All(steps, s => Assert.Contains(s.Phase, ExplainPhase.All));
            Assert.All(steps, s => Assert.False(string.IsNullOrEmpty(s.Sentence) || string.IsNullOrEmpty(s.Syscall)));
            Assert.Contains(steps, s => s.Process == "daemon");
            Assert.Contains(steps, s => s.Process == "shim");
            Assert.Contains(steps, s => s.Process == "init");
            Assert.Equal(steps.OrderBy(s => s.StartNs).Select(s => s.StartNs), steps.Where(s => s.Action == "start").Concat(steps.Where(s => s.Action == "create")).OrderBy(s => s.StartNs).Select(s => s.StartNs));
            int pid = int.Parse(D.Run("inspect", "-f", "{{.State.Pid}}", name).Ok().Stdout.Trim());
            var mountinfo = File.ReadAllLines($"/proc/{pid}/mountinfo").Select(l => l.Split(' ')).ToList();

            // cgroup: the value written to the memory limit file is what the file says now.
            var memory = Assert.Single(steps, s => s.Phase == ExplainPhase.Cgroup && Regex.IsMatch(s.Shell, @"/memory\.(max|limit_in_bytes)$"));
            var write = Regex.Match(memory.Shell, @"^echo (\S+) > (\S+)$");
            Assert.Equal("33554432", write.Groups[1].Value);
            Assert.Equal(write.Groups[1].Value, File.ReadAllText(write.Groups[2].Value).Trim());
            Assert.StartsWith("openat(", memory.Syscall);
            Assert.Equal("shim", memory.Process);

            // overlay: lowerdir/upperdir/workdir are those of the container's root mount.
            var overlay = Assert.Single(steps, s => s.Syscall.StartsWith("mount(\"overlay\"", StringComparison.Ordinal));
            Assert.Equal(ExplainPhase.Rootfs, overlay.Phase);
            var options = Regex.Match(overlay.Shell, @"^mount -t overlay overlay -o (\S+) (\S+)$");
            Assert.True(options.Success, overlay.Shell);
            var narrated = options.Groups[1].Value.Split(',').Where(o => o.Contains('=')).ToDictionary(o => o[..o.IndexOf('=')], o => o[(o.IndexOf('=') + 1)..]);
            var root = Assert.Single(mountinfo, f => f[4] == "/" && f[Array.IndexOf(f, "-") + 1] == "overlay");
            var live = root[Array.IndexOf(root, "-") + 3].Split(',').Where(o => o.Contains('=')).ToDictionary(o => o[..o.IndexOf('=')], o => o[(o.IndexOf('=') + 1)..]);
            foreach (string key in new[] { "lowerdir", "upperdir", "workdir" }) Assert.Equal(narrated[key], live[key]);
            string merged = options.Groups[2].Value;
            Assert.Equal(D.Run("inspect", "-f", "{{.GraphDriver.Data.MergedDir}}", name).Ok().Stdout.Trim(), merged);

            // network: the veth's host end is on the network's bridge, its peer is eth0 inside with the narrated address.
            var veth = Assert.Single(steps, s => s.Shell.StartsWith("ip link add ", StringComparison.Ordinal));
            var vethNames = Regex.Match(veth.Shell, @"^ip link add (\S+) type veth peer name (\S+) netns (\d+)");
            Assert.True(vethNames.Success, veth.Shell);
            Assert.Equal(pid.ToString(), vethNames.Groups[3].Value);
            var master = Assert.Single(steps, s => s.Shell.StartsWith($"ip link set {vethNames.Groups[1].Value} master ", StringComparison.Ordinal));
            string bridge = master.Shell[(master.Shell.LastIndexOf(' ') + 1)..];
            string hostLink = Daemon.Exec("ip", ["-o", "link", "show", vethNames.Groups[1].Value]).Ok().Stdout;
            Assert.Contains($"master {bridge} ", hostLink);
            var address = Assert.Single(steps, s => s.Shell.Contains($" ip addr add ", StringComparison.Ordinal));
            var cidr = Regex.Match(address.Shell, @"ip addr add (\S+) dev (\S+)$");
            Assert.Equal(vethNames.Groups[2].Value, cidr.Groups[2].Value);
            string inside = Daemon.Exec("nsenter", [$"--net=/proc/{pid}/ns/net", "ip", "-o", "addr", "show", "dev", cidr.Groups[2].Value]).Ok().Stdout;
            Assert.Contains($"inet {cidr.Groups[1].Value} ", inside);
            string ip = cidr.Groups[1].Value.Split('/')[0];
            Assert.Equal(ip, D.Run("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}", name).Ok().Stdout.Trim());
            var route = Assert.Single(steps, s => s.Shell.Contains(" ip route add default via ", StringComparison.Ordinal));
            string gateway = route.Shell[(route.Shell.LastIndexOf(' ') + 1)..];
            Assert.Contains($"default via {gateway} dev {cidr.Groups[2].Value}", Daemon.Exec("nsenter", [$"--net=/proc/{pid}/ns/net", "ip", "route"]).Ok().Stdout);
            Assert.Contains($"inet {gateway}/", Daemon.Exec("ip", ["-o", "addr", "show", "dev", bridge]).Ok().Stdout);   // the bridge is the network's

            // nft: the narrated DNAT rule for the published port is in the test daemon's table.
            var nft = steps.Last(s => s.Shell.StartsWith("nft -f", StringComparison.Ordinal));
            var rule = nft.Shell.Lines().Single(l => l.Contains($"dport {port} ", StringComparison.Ordinal));
            Assert.Contains($"published_ports", rule);
            Assert.Contains($"dnat ip to {ip}:80", rule);
            string table = Daemon.Exec("nft", ["list", "table", "inet", _net.Table]).Ok().Stdout;
            Assert.Contains(table.Lines(), l => l.Contains($"dport {port} ", StringComparison.Ordinal) && l.Contains($"dnat ip to {ip}:80", StringComparison.Ordinal));

            // mounts: every mount point the init stage narrated is a mount point of the container, the volume included.
            var mountPoints = mountinfo.Select(f => f[4]).ToHashSet();
            var mountSteps = steps.Where(s => s.Process == "init" && s.Syscall.StartsWith("mount(", StringComparison.Ordinal)).ToList();
            Assert.True(mountSteps.Count >= 10, $"only {mountSteps.Count} mounts narrated");
            foreach (var m in mountSteps)
            {
                string target = Regex.Match(m.Syscall, @"^mount\((?:NULL|""[^""]*""), ""([^""]*)""").Groups[1].Value;
                string inContainer = target == merged ? "/" : target.StartsWith(merged + "/", StringComparison.Ordinal) ? target[merged.Length..] : target;
                Assert.True(mountPoints.Contains(inContainer), $"narrated mount at {inContainer} ({m.Shell}) is not in the container's mountinfo");
            }
            string volumeDir = D.Run("volume", "inspect", "-f", "{{.Mountpoint}}", vol).Ok().Stdout.Trim();
            var volumeMount = Assert.Single(mountSteps, m => m.Shell == $"mount --rbind {volumeDir} {merged}/data");
            Assert.Equal(ExplainPhase.Mounts, volumeMount.Phase);
            Assert.Contains("/data", mountPoints);
            // The volume did not exist: create made it, and narrated the rename that put it where it is mounted from.
            var volumeMade = Assert.Single(steps, s => s.Phase == ExplainPhase.Volumes && s.Shell.StartsWith("mv ", StringComparison.Ordinal));
            Assert.Equal("create", volumeMade.Action);
            Assert.EndsWith(" " + Path.GetDirectoryName(volumeDir), volumeMade.Shell);

            // pivot_root, the security steps and execve were narrated, in that order, by the init stage.
            string[] order = ["pivot_root(", "prctl(PR_CAPBSET_DROP", "seccomp(", "execve("];
            var positions = order.Select(prefix => steps.FindIndex(s => s.Process == "init" && s.Syscall.StartsWith(prefix, StringComparison.Ordinal))).ToList();
            Assert.All(positions, p => Assert.True(p >= 0, string.Join(", ", positions)));
            Assert.Equal(positions.Order(), positions);
            Assert.Contains("\"/bin/sleep\"", steps[positions[^1]].Syscall);
            Assert.True(steps[positions[^1]].DurationUs >= 0, "execve's duration is measured by the shim");

            // The log replays the same steps (create and start), and the text view groups them by phase.
            var log = D.Run("explain", "--json", name).Ok();
            Assert.Equal(steps.Select(s => s.Syscall), Steps(log.Stdout).Select(s => s.Syscall));
            string text = D.Run("explain", name).Ok().Stdout;
            foreach (string phase in ExplainPhase.Order) Assert.Contains($"── {ExplainPhase.Title(phase)} ", text);
            Assert.Contains("$ echo 33554432 > ", text);

            // exec and rm narrate too.
            var exec = D.Run("exec", "--explain=json", name, "true").Ok();
            Assert.Contains(Steps(exec.Stderr), s => s.Syscall.StartsWith("clone(SIGCHLD); setns(", StringComparison.Ordinal));
            Assert.Contains(Steps(exec.Stderr), s => s.Syscall.StartsWith("execve(\"/bin/true\"", StringComparison.Ordinal));
            var rm = D.Run("rm", "-f", "--explain=json", name).Ok();
            // rm -f kills through the cgroup (cgroup.kill, or the freezer loop on v1), then deletes the container's files
            // (the cgroup's rmdir is the shim's, once its process has gone).
            Assert.Contains(Steps(rm.Stderr), s => s.Phase == ExplainPhase.Cgroup && s.Shell.StartsWith("echo ", StringComparison.Ordinal) && s.Shell.Contains("/minicontainer/"));
            Assert.Contains(Steps(rm.Stderr), s => s.Shell.StartsWith("rm -rf ", StringComparison.Ordinal) && s.Shell.Contains("/containers/"));
        }
        finally
        {
            D.Run("rm", "-f", name);
            D.Run("volume", "rm", vol);
            D.Run("network", "rm", net);
        }
    }

    [Fact]
    public void Explain_is_refused_with_a_bad_value_and_absent_without_the_flag()
    {
        var bad = D.Run("run", "--rm", "--explain=yaml", "busybox", "true");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--explain", bad.Stderr);
        var plain = D.Run("run", "--rm", "busybox", "true").Ok();
        Assert.Empty(Steps(plain.Stderr));
        string name = Support.Unique("quiet");
        D.Run("create", "--name", name, "busybox", "true").Ok();
        Assert.NotEqual(0, D.Run("explain", name).ExitCode);   // nothing recorded without --explain
        D.Run("rm", name).Ok();
    }
}
