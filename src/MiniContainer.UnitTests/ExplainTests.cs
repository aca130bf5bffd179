using MiniContainer.Explaining;
using MiniContainer.Linux;
using Xunit;

namespace MiniContainer.UnitTests;

/// <summary>--explain's records and words (pure): what the kernel layer says for each kind of call, the JSON lines,
/// the on-screen grouping, and that nothing is recorded — or built — when nobody listens.</summary>
public sealed class ExplainTests
{
    [Fact]
    public void Overlay_mount_reads_as_the_mount_command_with_its_dirs()
    {
        var line = ExplainText.Mount("overlay", "/c/merged", "overlay", MountFlags.None, "lowerdir=/l/2:/l/1,upperdir=/c/upper,workdir=/c/work");
        Assert.Equal(ExplainPhase.Rootfs, line.Phase);
        Assert.Equal("mount -t overlay overlay -o lowerdir=/l/2:/l/1,upperdir=/c/upper,workdir=/c/work /c/merged", line.Shell);
        Assert.Equal("mount(\"overlay\", \"/c/merged\", \"overlay\", 0, \"lowerdir=/l/2:/l/1,upperdir=/c/upper,workdir=/c/work\")", line.Syscall);
        Assert.Contains("2 read-only layers", line.Sentence);
    }

    [Fact]
    public void Other_mounts_read_as_their_shell_spelling()
    {
        Assert.Equal("mount --rbind /v/_data /c/merged/data", ExplainText.Mount("/v/_data", "/c/merged/data", null, MountFlags.Bind | MountFlags.Recursive, null).Shell);
        Assert.Equal("mount -o remount,bind,ro,nosuid /x", ExplainText.Mount(null, "/x", null, MountFlags.Remount | MountFlags.Bind | MountFlags.ReadOnly | MountFlags.NoSuid, null).Shell);
        Assert.Equal("mount --make-rprivate /", ExplainText.Mount(null, "/", null, MountFlags.Private | MountFlags.Recursive, null).Shell);
        var proc = ExplainText.Mount("proc", "/c/merged/proc", "proc", MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec, null);
        Assert.Equal("mount -t proc -o nosuid,nodev,noexec proc /c/merged/proc", proc.Shell);
        Assert.Equal("mount(\"proc\", \"/c/merged/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)", proc.Syscall);
        Assert.Contains("Hide /proc/kcore behind /dev/null", ExplainText.Mount("/dev/null", "/proc/kcore", null, MountFlags.Bind, null).Sentence);
    }

    [Fact]
    public void Cgroup_limit_write_names_the_value_in_bytes_and_mebibytes()
    {
        var line = ExplainText.CgroupWrite("/sys/fs/cgroup/minicontainer/abc/memory.max", "33554432");
        Assert.Equal(ExplainPhase.Cgroup, line.Phase);
        Assert.Equal("echo 33554432 > /sys/fs/cgroup/minicontainer/abc/memory.max", line.Shell);
        Assert.Contains("33554432 bytes (32 MiB)", line.Sentence);
        Assert.Equal("openat(AT_FDCWD, \"/sys/fs/cgroup/minicontainer/abc/memory.max\", O_WRONLY|O_TRUNC); write(fd, \"33554432\", 8)", line.Syscall);
        Assert.Equal("echo 'c 1:5 rwm' > /d/devices.allow", ExplainText.CgroupWrite("/d/devices.allow", "c 1:5 rwm").Shell);
    }

    [Fact]
    public void Clone_lists_the_namespace_flags_as_the_kernel_names_them()
    {
        var line = ExplainText.Clone(Namespace.Pid | Namespace.Mount | Namespace.Net, 4242);
        Assert.Equal("clone(CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWNET|SIGCHLD) = 4242", line.Syscall);
        Assert.StartsWith("unshare --pid --mount --net --fork ", line.Shell);
        Assert.Equal(ExplainPhase.Namespaces, line.Phase);
    }

    [Fact]
    public void A_clone_into_a_v2_cgroup_is_clone3_with_its_flags_and_the_cgroup_fd()
    {
        var line = ExplainText.Clone(Namespace.Pid | Namespace.Mount, 4242, intoCgroup: true);
        Assert.Equal("clone3({flags=CLONE_NEWPID|CLONE_NEWNS|CLONE_INTO_CGROUP, exit_signal=SIGCHLD, cgroup=fd}) = 4242", line.Syscall);
        Assert.Contains("born in its cgroup", line.Sentence);
        Assert.StartsWith("unshare --pid --mount --fork ", line.Shell);
    }

    [Fact]
    public void An_exec_born_in_a_v2_cgroup_joins_the_cgroup_namespace_after_its_birth()
    {
        var kinds = new[] { Namespace.Ipc, Namespace.Pid, Namespace.Cgroup };
        Assert.Equal("clone(SIGCHLD); setns(fd, CLONE_NEWIPC); setns(fd, CLONE_NEWPID); setns(fd, CLONE_NEWCGROUP); clone(CLONE_PARENT|SIGCHLD) = 77",
            ExplainText.JoinAndFork(kinds, 77).Syscall);
        Assert.Equal("clone(SIGCHLD); setns(fd, CLONE_NEWIPC); setns(fd, CLONE_NEWPID); clone3({flags=CLONE_PARENT|CLONE_INTO_CGROUP, cgroup=fd}) = 77; setns(fd, CLONE_NEWCGROUP)",
            ExplainText.JoinAndFork(kinds, 77, intoCgroup: true).Syscall);
    }

    [Fact]
    public void Network_steps_read_as_ip_commands_inside_or_outside_the_namespace()
    {
        var veth = ExplainNetwork.VethPair("mcv1", "eth0", "/proc/77/ns/net", [2, 0x42, 10, 0, 0, 2]);
        Assert.Equal("ip link add mcv1 type veth peer name eth0 netns 77 address 02:42:0a:00:00:02", veth.Shell);
        Assert.Equal("nsenter --net=/proc/77/ns/net ip addr add 10.0.0.2/24 dev eth0", ExplainNetwork.AddAddress("eth0", "10.0.0.2/24", "/proc/77/ns/net").Shell);
        Assert.Equal("ip link set mcv1 master br0", ExplainNetwork.SetMaster("mcv1", "br0").Shell);
        const string before = "table inet minicontainer {\n\tchain published_ports {\n\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tct state established,related accept\n\t\toifname \"mcbr1\" iifname != \"mcbr1\" drop\n\t}\n}\n";
        string after = before.Replace("\tchain published_ports {\n", "\tchain published_ports {\n\t\ttcp dport 8080 dnat ip to 10.0.0.2:80\n")
            .Replace("\t\toifname \"mcbr1\" iifname != \"mcbr1\" drop\n", "\t\toifname \"mcbr2\" iifname != \"mcbr2\" drop\n");
        var nft = ExplainNetwork.NftReplace("minicontainer", before, after);
        Assert.StartsWith("nft -f ", nft.Shell);
        Assert.Equal(
        [
            "  nft add rule inet minicontainer published_ports tcp dport 8080 dnat ip to 10.0.0.2:80",
            "  nft add rule inet minicontainer forward oifname \"mcbr2\" iifname != \"mcbr2\" drop",
            "  nft delete rule inet minicontainer forward handle N   # N: the handle of 'oifname \"mcbr1\" iifname != \"mcbr1\" drop' (nft -a list table inet minicontainer)",
        ], nft.Shell.Split('\n').Skip(1));
        Assert.Contains("2 rules added; 1 removed", nft.Sentence);
        Assert.Contains("DNAT rules: tcp dport 8080 dnat ip to 10.0.0.2:80", nft.Sentence);
        Assert.Contains("isolation", nft.Sentence);
        Assert.Contains("no rule changed", ExplainNetwork.NftReplace("minicontainer", after, after).Sentence);
        Assert.StartsWith("Load the nftables table", ExplainNetwork.NftReplace("minicontainer", null, after).Sentence);
        Assert.Equal(3, ExplainNetwork.RuleChanges(null, after).Added.Count);   // type lines and chain headers are not rules

        Assert.Equal("ip link add mcbr1 type bridge", ExplainNetwork.CreateBridge("mcbr1").Shell);
        Assert.Equal("ip link del mcv1", ExplainNetwork.DeleteLink("mcv1", "veth").Shell);
        Assert.Contains("its other end", ExplainNetwork.DeleteLink("mcv1", "veth").Sentence);
        var dns = ExplainNetwork.DnsNames("net1", "10.0.0.2", ["web", "3f2a"], "/d/networks/n.json", added: true);
        Assert.Contains("web, 3f2a → 10.0.0.2", dns.Sentence);
        Assert.EndsWith("rename(\"/d/networks/.n.json.tmp-…\", \"/d/networks/n.json\")", dns.Syscall);
    }

    [Fact]
    public void Volume_and_layer_steps_read_as_the_commands_that_make_them()
    {
        var made = new FileStatus(FileKind.Directory, 0x1C0, 0, 0, 0, 0, 2, 0, 0, DateTimeOffset.UnixEpoch);   // 0700
        var dir = ExplainStorage.Directory(ExplainPhase.Volumes, "/d/volumes/.tmp-v", made, "the volume's own directory");
        Assert.Equal("mkdir -m 0700 /d/volumes/.tmp-v && chown 0:0 /d/volumes/.tmp-v", dir.Shell);
        Assert.Equal("mkdir(\"/d/volumes/.tmp-v\", 0700); chown(\"/d/volumes/.tmp-v\", 0, 0)", dir.Syscall);
        Assert.Contains("(mode 0700, owner 0:0)", dir.Sentence);
        Assert.Equal("mv /d/volumes/.tmp-v /d/volumes/v", ExplainStorage.VolumeInPlace("/d/volumes/.tmp-v", "/d/volumes/v", "v").Shell);
        Assert.StartsWith("cat > /d/volumes/.tmp-v/volume.json", ExplainStorage.MetadataFile(ExplainPhase.Volumes, "/d/volumes/.tmp-v/volume.json", 90, "x").Shell);

        var copy = ExplainStorage.CopyFiles("COPY", "/ctx/app", "/m/merged/app", 3, 2048, 1000, 1000, 0x1ED);
        Assert.Equal("cp -a /ctx/app /m/merged/app && chown -R 1000:1000 /m/merged/app && chmod -R 0755 /m/merged/app", copy.Shell);
        Assert.Contains("write 3 files (2 KiB)", copy.Sentence);
        Assert.Equal(ExplainPhase.Layers, copy.Phase);
        Assert.Equal("cp -a /ctx/f /m/merged/f", ExplainStorage.CopyFiles("COPY", "/ctx/f", "/m/merged/f", 1, 5, null, null, null).Shell);

        string digest = "sha256:" + new string('b', 64);
        var layer = ExplainStorage.LayerTar("/s/upper", "/s/layer.tar", digest, 10240);
        Assert.Equal("tar -C /s/upper -cf /s/layer.tar . && sha256sum /s/layer.tar", layer.Shell);
        Assert.Contains($"its diff id is {digest}", layer.Sentence);

        // A digest is not a container id: the text view leaves it whole.
        var text = ExplainFormatter.Text([new ExplainStep { Phase = layer.Phase, Sentence = layer.Sentence, Shell = layer.Shell, Syscall = layer.Syscall, Process = "daemon" }]);
        Assert.DoesNotContain("ID=", text);
        Assert.Contains(digest, text);
        Assert.Contains("── files → image layer ", text);
    }

    [Fact]
    public void Steps_round_trip_as_json_lines()
    {
        var step = new ExplainStep { Phase = "cgroup", Sentence = "s", Shell = "echo 1 > f", Syscall = "write()", DurationUs = 12, StartNs = 99, Process = "shim", Action = "start" };
        string line = ExplainLog.Serialize(step);
        Assert.DoesNotContain('\n', line);
        Assert.Equal(step, ExplainLog.Parse(line));
        string dir = Directory.CreateTempSubdirectory("mc-explain-").FullName;
        try
        {
            string path = Path.Combine(dir, ExplainLog.FileName);
            ExplainLog.Append(path, [step, step with { StartNs = 100 }]);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            File.AppendAllText(path, "{\"Phase\":\"torn");
            Assert.Equal([99L, 100L], ExplainLog.Read(path).Select(s => s.StartNs));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Text_view_groups_by_phase_and_shortens_the_container_paths_to_shell_variables()
    {
        string id = new('a', 64), dir = $"/var/lib/minicontainer/containers/{id}";
        var steps = new List<ExplainStep>
        {
            new() { Phase = "cgroup", Sentence = "Limit memory", Shell = $"echo 1 > /sys/fs/cgroup/minicontainer/{id}/memory.max", Syscall = "write()", DurationUs = 40, Process = "shim" },
            new() { Phase = "cgroup", Sentence = "Move", Shell = "echo 5 > x", Syscall = "write()", DurationUs = 12_345, Process = "shim" },
            new() { Phase = "rootfs", Sentence = "Stack", Shell = $"mount -t overlay overlay -o lowerdir=/l/2:/l/1,upperdir={dir}/upper {dir}/merged", Syscall = "mount()", DurationUs = -1, Process = "init" },
        };
        string text = ExplainFormatter.Text(steps);
        Assert.StartsWith($"ID={id}\nC=/var/lib/minicontainer/containers/$ID\n", text);
        Assert.Equal(1, text.Split("── cgroup ").Length - 1);
        Assert.Contains("── image → rootfs ", text);
        Assert.Contains("    $ echo 1 > /sys/fs/cgroup/minicontainer/$ID/memory.max\n", text);
        Assert.Contains("    $ mount -t overlay overlay -o lowerdir=/l/2:/l/1,upperdir=$C/upper $C/merged\n", text);   // C is the container's dir alone
        Assert.Contains("0.04 ms · shim", text);
        Assert.Contains("12.3 ms · shim", text);
        Assert.Contains("— · init", text);
        Assert.Equal(steps.Count, ExplainFormatter.JsonLines(steps).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // One command printing two batches (run: create's steps, then start's) defines the variables once.
        var defined = new HashSet<string>();
        Assert.StartsWith($"ID={id}\n", ExplainFormatter.Text(steps, defined: defined));
        string second = ExplainFormatter.Text(steps, defined: defined);
        Assert.DoesNotContain("ID=", second);
        Assert.Contains("    $ echo 1 > /sys/fs/cgroup/minicontainer/$ID/memory.max\n", second);
    }

    [Fact]
    public void Nothing_is_recorded_when_nobody_listens_and_a_flow_hears_only_its_own_steps()
    {
        // No listener in this flow: Begin() is 0 and the words are never made.
        Assert.Equal(0, Explain.Begin());
        var mine = new List<ExplainStep>();
        var other = new List<ExplainStep>();
        using (Explain.ListenInFlow(mine.Add))
        {
            var t = new Thread(() => { using (Explain.ListenInFlow(other.Add)) Explain.Record(Explain.Begin(), ExplainText.SetHostname("b")); });
            t.Start();
            t.Join();
            long began = Explain.Begin();
            Assert.NotEqual(0, began);
            Explain.Record(began, ExplainText.SetHostname("a"));
        }
        Assert.Equal(0, Explain.Begin());
        Assert.Equal("sethostname(\"a\", 1)", Assert.Single(mine).Syscall);
        Assert.Equal("sethostname(\"b\", 1)", Assert.Single(other).Syscall);
        Assert.True(mine[0].DurationUs >= 0);
        Assert.Equal("daemon", mine[0].Process);
    }
}
