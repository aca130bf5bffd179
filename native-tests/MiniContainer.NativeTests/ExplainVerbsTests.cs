using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MiniContainer.Explaining;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `--explain` on the verbs that are not a container's own (issue 13): network create, connect and disconnect,
/// volume create, build and compose up. Each narrated value — the bridge and its address, the nft rules, the veth
/// pair and the peer's place in the container's namespace, the DNS names, the volume's directories and modes, a
/// layer's digest — is checked against what the kernel (`ip -j`, `nft`, stat) or the daemon holds afterwards.
/// </summary>
public sealed class ExplainVerbsTests(ITestOutputHelper output) : IDisposable
{
    private readonly NetworkDaemon _net = new();
    private Daemon D => _net.Daemon;

    public void Dispose() => _net.EndTest(output);

    private List<ExplainStep> Steps(CommandResult r)
    {
        output.WriteLine(r.Stderr);
        return ExplainTests.Steps(r.Stderr);
    }

    private static JsonNode IpJson(params string[] args) => JsonNode.Parse(Daemon.Exec("ip", ["-j", .. args]).Ok().Stdout)!;

    private static JsonNode IpJsonIn(int pid, params string[] args) =>
        JsonNode.Parse(Daemon.Exec("nsenter", [$"--net=/proc/{pid}/ns/net", "ip", "-j", .. args]).Ok().Stdout)!;

    private static Match Shell(ExplainStep step, string pattern)
    {
        var m = Regex.Match(step.Shell, pattern);
        Assert.True(m.Success, $"'{step.Shell}' does not match {pattern}");
        return m;
    }

    [Fact]
    public void Network_create_connect_and_disconnect_narrate_what_the_kernel_holds()
    {
        string net = Support.Unique("mcx-net"), name = Support.Unique("exv");
        var create = D.Run("network", "create", "--explain=json", net).Ok();
        var steps = Steps(create);
        Assert.Matches("^[0-9a-f]{64}$", create.Stdout.Trim());   // stdout is still the id, as docker prints it
        Assert.All(steps, s => Assert.Equal("network create", s.Action));
        Assert.All(steps, s => Assert.Equal(ExplainPhase.Network, s.Phase));
        try
        {
            // The bridge narrated exists, with the narrated address, up, and it is the network's.
            string bridge = Shell(Assert.Single(steps, s => s.Shell.EndsWith(" type bridge", StringComparison.Ordinal)), @"^ip link add (\S+) type bridge$").Groups[1].Value;
            var address = Shell(Assert.Single(steps, s => s.Shell.StartsWith("ip addr add ", StringComparison.Ordinal)), $@"^ip addr add (\S+)/(\d+) dev {bridge}$");
            Assert.Single(steps, s => s.Shell == $"ip link set {bridge} up");
            var link = IpJson("addr", "show", "dev", bridge).AsArray().Single()!;
            Assert.Contains("UP", link["flags"]!.AsArray().Select(f => (string?)f));
            Assert.Contains(link["addr_info"]!.AsArray(), a => (string?)a!["local"] == address.Groups[1].Value && (int?)a["prefixlen"] == int.Parse(address.Groups[2].Value));
            Assert.Equal(address.Groups[1].Value, D.Run("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", net).Ok().Stdout.Trim());

            // The rules narrated as added are in the daemon's table now: the network's masquerade and its isolation.
            var nft = Assert.Single(steps, s => s.Shell.StartsWith("nft -f", StringComparison.Ordinal));
            var added = nft.Shell.Lines().Skip(1).Select(l => Regex.Match(l, $@"^\s+nft add rule inet {_net.Table} (\S+) (.+)$")).Where(m => m.Success).ToList();
            Assert.Contains(added, m => m.Groups[1].Value == "forward" && m.Groups[2].Value == $"oifname \"{bridge}\" iifname != \"{bridge}\" drop");
            Assert.Contains(added, m => m.Groups[1].Value == "postrouting" && m.Groups[2].Value.Contains("masquerade"));
            Assert.Contains("isolation", nft.Sentence);
            string table = Daemon.Exec("nft", ["list", "table", "inet", _net.Table]).Ok().Stdout;
            foreach (var rule in added)
            {
                // nft lists a set's members in its own order: a rule with a set is compared up to the set.
                string text = rule.Groups[2].Value;
                string comparable = text.Contains('{') ? text[..text.IndexOf('{')] : text;
                Assert.True(table.Lines().Any(l => l.Trim().StartsWith(comparable, StringComparison.Ordinal)), $"narrated rule '{text}' is not in:\n{table}");
            }

            // connect: the veth pair narrated exists; its host end is on the bridge, its peer's ifindex is in the
            // container's network namespace, with the narrated address; the DNS names are the network's record.
            D.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").Ok();
            int pid = int.Parse(D.Run("inspect", "-f", "{{.State.Pid}}", name).Ok().Stdout.Trim());
            var connect = Steps(D.Run("network", "connect", "--explain=json", net, name).Ok());
            Assert.All(connect, s => Assert.Equal("network connect", s.Action));
            var veth = Shell(Assert.Single(connect, s => s.Shell.StartsWith("ip link add ", StringComparison.Ordinal)), @"^ip link add (\S+) type veth peer name (\S+) netns (\d+) ");
            string hostEnd = veth.Groups[1].Value, peer = veth.Groups[2].Value;
            Assert.Equal(pid.ToString(), veth.Groups[3].Value);
            Assert.Single(connect, s => s.Shell == $"ip link set {hostEnd} master {bridge}");
            var hostLink = IpJson("link", "show", "dev", hostEnd).AsArray().Single()!;
            Assert.Equal(bridge, (string?)hostLink["master"]);
            var inside = IpJsonIn(pid, "addr", "show", "dev", peer).AsArray().Single()!;
            Assert.Equal((int?)hostLink["link_index"], (int?)inside["ifindex"]);   // the peer of the host end is this interface
            Assert.Equal((int?)hostLink["ifindex"], (int?)inside["link_index"]);
            var cidr = Shell(Assert.Single(connect, s => s.Shell.Contains($" ip addr add ", StringComparison.Ordinal)), $@"ip addr add (\S+)/(\d+) dev {peer}$");
            Assert.Contains(inside["addr_info"]!.AsArray(), a => (string?)a!["local"] == cidr.Groups[1].Value);
            var dns = Assert.Single(connect, s => s.Sentence.StartsWith("Register ", StringComparison.Ordinal));
            Assert.Matches($@"^Register (\S+, )*{Regex.Escape(name)}(, \S+)* → {Regex.Escape(cidr.Groups[1].Value)} with the embedded DNS of network {Regex.Escape(net)}:", dns.Sentence);
            string networkIp = D.Run("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}", name).Ok().Stdout.Trim();
            Assert.Equal(cidr.Groups[1].Value, networkIp);
            Assert.Contains(name, D.Run("inspect", "-f", $"{{{{json (index .NetworkSettings.Networks \"{net}\").DNSNames}}}}", name).Ok().Stdout);
            // Its first user-defined network gives the container the resolver on 127.0.0.11: the narrated DNAT is in its namespace.
            var nat = Shell(Assert.Single(connect, s => s.Shell.Contains(" nft -f -", StringComparison.Ordinal)), @"dnat to 127\.0\.0\.11:(\d+)");
            string natTable = Daemon.Exec("nsenter", [$"--net=/proc/{pid}/ns/net", "nft", "list", "table", "ip", _net.Table]).Ok().Stdout;
            Assert.Contains($"dnat to 127.0.0.11:{nat.Groups[1].Value}", natTable);

            // disconnect: the narrated link deletion happened — the host end and its peer are gone.
            var disconnect = Steps(D.Run("network", "disconnect", "--explain=json", net, name).Ok());
            Assert.All(disconnect, s => Assert.Equal("network disconnect", s.Action));
            Assert.Single(disconnect, s => s.Shell == $"ip link del {hostEnd}");
            Assert.Contains(disconnect, s => s.Sentence.StartsWith($"Withdraw {name}", StringComparison.Ordinal));
            Assert.NotEqual(0, Daemon.Exec("ip", ["link", "show", "dev", hostEnd]).ExitCode);
            Assert.NotEqual(0, Daemon.Exec("nsenter", [$"--net=/proc/{pid}/ns/net", "ip", "link", "show", "dev", peer]).ExitCode);

            // The text view names the phase once and prints the commands a student can type.
            string view = D.Run("network", "connect", "--explain", net, name).Ok().Stderr;
            Assert.Contains("── network ", view);
            Assert.Contains("$ ip link add ", view);
            Assert.Contains("syscall: sendmsg(netlink, RTM_NEWLINK", view);
            D.Run("network", "disconnect", net, name).Ok();
            // Asked once, the container's log keeps what connect and disconnect did: `explain` replays them.
            var replay = ExplainTests.Steps(D.Run("explain", "--json", name).Ok().Stdout);
            Assert.Contains(replay, s => s.Action == "network connect" && s.Shell.StartsWith($"ip link add {hostEnd} ", StringComparison.Ordinal));
            Assert.Contains(replay, s => s.Action == "network disconnect" && s.Shell == $"ip link del {hostEnd}");
        }
        finally
        {
            D.Run("rm", "-f", name);
            D.Run("network", "rm", net);
        }
    }

    [Fact]
    public void Without_explain_the_answers_are_dockerds_and_nothing_is_narrated()
    {
        string net = Support.Unique("mcx-quiet"), vol = Support.Unique("mcx-quiet");
        var create = D.Run("network", "create", net).Ok();
        Assert.Empty(create.Stderr.Trim());
        var volume = D.Run("volume", "create", vol).Ok();
        Assert.Equal(vol, volume.Stdout.Trim());
        Assert.Empty(volume.Stderr.Trim());
        Assert.NotEqual(0, D.Run("volume", "create", "--explain=yaml", vol + "x").ExitCode);
        D.Run("volume", "rm", vol).Ok();
        D.Run("network", "rm", net).Ok();
    }

    [Fact]
    public void Volume_create_narrates_the_directories_it_makes_with_their_modes()
    {
        string vol = Support.Unique("mcx-vol");
        var r = D.Run("volume", "create", "--explain=json", vol).Ok();
        Assert.Equal(vol, r.Stdout.Trim());
        var steps = Steps(r);
        Assert.All(steps, s => Assert.Equal(ExplainPhase.Volumes, s.Phase));
        try
        {
            var move = Shell(Assert.Single(steps, s => s.Shell.StartsWith("mv ", StringComparison.Ordinal)), @"^mv (\S+) (\S+)$");
            string from = move.Groups[1].Value, to = move.Groups[2].Value;
            Assert.Equal(Path.GetDirectoryName(D.Run("volume", "inspect", "-f", "{{.Mountpoint}}", vol).Ok().Stdout.Trim()), to);
            var dirs = steps.Where(s => s.Shell.StartsWith("mkdir ", StringComparison.Ordinal))
                .Select(s => Shell(s, @"^mkdir -m (\d+) (\S+) && chown (\d+):(\d+) \S+$")).ToList();
            Assert.Equal(2, dirs.Count);
            foreach (var d in dirs)
            {
                // Each directory, at its place after the rename, has the narrated mode and owner.
                string now = to + d.Groups[2].Value[from.Length..];
                var st = Daemon.Exec("stat", ["-c", "%a %u %g", now]).Ok().Stdout.Trim().Split(' ');
                Assert.Equal(Convert.ToInt32(d.Groups[1].Value, 8), Convert.ToInt32(st[0], 8));
                Assert.Equal(d.Groups[3].Value, st[1]);
                Assert.Equal(d.Groups[4].Value, st[2]);
            }
            Assert.Contains(dirs, d => d.Groups[2].Value == from + "/_data");
            Assert.Contains(steps, s => s.Shell.StartsWith($"cat > {from}/volume.json", StringComparison.Ordinal));
        }
        finally { D.Run("volume", "rm", vol); }
    }

    [Fact]
    public void Build_narrates_each_instruction_and_the_layer_digest_is_the_images()
    {
        string ctx = Path.Combine(D.Root, Support.Unique("ctx")), tag = Support.Unique("explained");
        Directory.CreateDirectory(ctx);
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM busybox\nCOPY hello.txt /hello.txt\nRUN echo built > /built.txt\n");
        File.WriteAllText(Path.Combine(ctx, "hello.txt"), "hello");
        try
        {
            var r = D.Run("build", "--no-cache", "--explain=json", "-t", tag, ctx).Ok();
            Assert.Contains("Step 3/3 : RUN echo built > /built.txt", r.Stdout);
            var steps = Steps(r);

            // COPY: the file written into the step's overlay, its size; the overlay itself was mounted for it.
            var copy = Assert.Single(steps, s => s.Shell.StartsWith("cp -a ", StringComparison.Ordinal));
            Assert.Equal(ExplainPhase.Layers, copy.Phase);
            Assert.Contains("write 1 file (5 bytes)", copy.Sentence);
            Assert.EndsWith("/hello.txt", Shell(copy, @"^cp -a \S+ (\S+)$").Groups[1].Value);
            // RUN: a real container — its overlay, its cgroup, its namespaces, its execve — and its removal.
            Assert.Contains(steps, s => s.Action == "start" && s.Syscall.StartsWith("clone(", StringComparison.Ordinal));
            Assert.Contains(steps, s => s.Action == "start" && s.Process == "init" && s.Syscall.StartsWith("execve(\"/bin/sh\"", StringComparison.Ordinal));
            Assert.Contains(steps, s => s.Action == "start" && s.Process == "shim" && s.Phase == ExplainPhase.Cgroup);
            Assert.Contains(steps, s => s.Action == "rm" && s.Shell.StartsWith("rm -rf ", StringComparison.Ordinal));

            // The layers: each narrated diff id is the image's, in order.
            var digests = steps.Where(s => s.Shell.StartsWith("tar -C ", StringComparison.Ordinal))
                .Select(s => Regex.Match(s.Sentence, "diff id is (sha256:[0-9a-f]{64})").Groups[1].Value).ToList();
            Assert.Equal(2, digests.Count);
            var layers = JsonNode.Parse(D.Run("image", "inspect", "-f", "{{json .RootFS.Layers}}", tag).Ok().Stdout)!.AsArray().Select(l => (string?)l).ToList();
            Assert.Equal(layers.TakeLast(2), digests);
            Assert.True(steps.FindIndex(s => s == copy) < steps.FindIndex(s => s.Shell.StartsWith("tar -C ", StringComparison.Ordinal)));

            // The text view: the steps grouped by phase between the build's own lines.
            var text = D.Run("build", "--no-cache", "--explain", "-t", tag, ctx).Ok();
            Assert.Contains("── files → image layer ", text.Stderr);
            Assert.Contains("$ tar -C ", text.Stderr);
            Assert.Contains("Successfully tagged", text.Stdout);
        }
        finally
        {
            D.Run("rmi", "-f", tag);
            Directory.Delete(ctx, recursive: true);
        }
    }

    [Fact]
    public void Compose_up_narrates_each_network_volume_and_container_it_creates()
    {
        string dir = Path.Combine(D.Root, Support.Unique("proj")), project = Support.Unique("exp").Replace("-", "");
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "compose.yaml");
        File.WriteAllText(file, """
            services:
              web:
                image: busybox
                command: sleep 600
                networks: [front]
                volumes: [data:/data]
            networks:
              front: {}
            volumes:
              data: {}
            """);
        try
        {
            var up = D.Run("compose", "-f", file, "-p", project, "up", "-d", "--explain=json").Ok();
            var steps = Steps(up);
            string bridge = Shell(Assert.Single(steps, s => s.Action == "network create" && s.Shell.EndsWith(" type bridge", StringComparison.Ordinal)), @"^ip link add (\S+) type bridge$").Groups[1].Value;
            Assert.Equal("bridge", (string?)IpJson("-d", "link", "show", "dev", bridge).AsArray().Single()!["linkinfo"]!["info_kind"]);
            var move = Shell(Assert.Single(steps, s => s.Action == "volume create" && s.Shell.StartsWith("mv ", StringComparison.Ordinal)), @"^mv \S+ (\S+)$");
            Assert.Equal($"{project}_data", Path.GetFileName(move.Groups[1].Value));
            Assert.True(Directory.Exists(move.Groups[1].Value + "/_data"));
            Assert.Contains(steps, s => s.Action == "create" && s.Phase == ExplainPhase.Rootfs);
            Assert.Contains(steps, s => s.Action == "start" && s.Syscall.StartsWith("clone(", StringComparison.Ordinal));
            // The container's veth is on the bridge the network create narrated.
            var master = Assert.Single(steps, s => s.Action == "start" && s.Shell.Contains(" master ", StringComparison.Ordinal));
            Assert.EndsWith($" master {bridge}", master.Shell);
        }
        finally
        {
            D.Run("compose", "-f", file, "-p", project, "down", "-v");
            Directory.Delete(dir, recursive: true);
        }
    }
}
