using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// What a process sees from inside a container: it is PID 1, every namespace is new, the hostname and /etc files are
/// the runtime's, the mounts are the standard set, the network is loopback only. All checked from inside, by the probe
/// programs and busybox, against what the host (this test process) sees.
/// </summary>
[Trait("Lane", "vm")]  // also run in the pure-cgroup-v2 VM by scripts/vm-test.sh
public sealed class IsolationTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    private static readonly string[] NewNamespaces = ["pid", "mnt", "net", "uts", "ipc", "cgroup"];

    [Fact]
    public void The_command_is_pid_1_in_new_pid_mount_net_uts_ipc_and_cgroup_namespaces()
    {
        var host = Support.HostNamespaces();
        NsInfo inside = Support.ParseNsInfo(_d.Run("run", "--rm", "mc-probe", "nsinfo").Ok().Stdout);
        output.WriteLine($"inside: {string.Join(' ', inside.Ns.Select(kv => $"{kv.Key}={kv.Value}"))}");
        output.WriteLine($"host:   {string.Join(' ', host.Select(kv => $"{kv.Key}={kv.Value}"))}");

        Assert.Equal(1, inside.Pid);
        Assert.Equal(0, inside.Ppid);   // its parent is outside its PID namespace
        foreach (string ns in NewNamespaces)
        {
            Assert.True(inside.Ns.ContainsKey(ns), $"nsinfo did not report the {ns} namespace");
            Assert.NotEqual(host[ns], inside.Ns[ns]);
        }
        Assert.Equal(inside.Ns["pid"], inside.Ns["pid_for_children"]);

        // A shell as the command is PID 1 too, and sees only its own processes.
        CommandResult ps = _d.Run("run", "--rm", "busybox", "sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'").Ok();
        string[] lines = ps.Stdout.Lines();
        Assert.Equal("1", lines[0]);
        Assert.True(int.Parse(lines[1]) <= 3, $"the container sees {lines[1]} processes: {ps}");
    }

    [Fact]
    public void Two_running_containers_share_no_namespace()
    {
        // Both alive at once: a freed namespace's inode number is reused by the next one.
        string a = Support.Unique("nsa"), b = Support.Unique("nsb");
        try
        {
            foreach (string name in new[] { a, b })
                _d.Run("run", "-d", "--name", name, "mc-probe", "sh", "-c", "nsinfo; exec sleep 1000").Ok();
            NsInfo Of(string name)
            {
                Support.WaitUntil(() => _d.Run("logs", name).Stdout.Contains('{'), TimeSpan.FromSeconds(10), "nsinfo of " + name);
                return Support.ParseNsInfo(_d.Run("logs", name).Stdout);
            }
            NsInfo infoA = Of(a), infoB = Of(b);
            foreach (string ns in NewNamespaces) Assert.True(infoA.Ns[ns] != infoB.Ns[ns], $"both containers are in {ns} namespace {infoA.Ns[ns]}");
        }
        finally { _d.Run("rm", "-f", a, b); }
    }

    [Fact]
    public void The_cgroup_namespace_shows_the_container_its_cgroup_as_the_root()
    {
        NsInfo inside = Support.ParseNsInfo(_d.Run("run", "--rm", "mc-probe", "nsinfo").Ok().Stdout);
        output.WriteLine(string.Join("\n", inside.Cgroups));
        Assert.NotEmpty(inside.Cgroups);
        Assert.All(inside.Cgroups, line => Assert.EndsWith(":/", line));
    }

    [Fact]
    public void The_hostname_is_the_short_id_by_default_or_the_given_one_and_the_hosts_hostname_is_untouched()
    {
        string hostBefore = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
        string name = Support.Unique("hn");
        try
        {
            NsInfo inside = Support.ParseNsInfo(_d.Run("run", "--name", name, "mc-probe", "nsinfo").Ok().Stdout);
            string id = Support.IdOf(_d, name);
            Assert.Matches("^[0-9a-f]{64}$", id);
            Assert.Equal(id[..12], inside.Hostname);
        }
        finally { _d.Run("rm", "-f", name); }

        string given = Support.Unique("box");
        CommandResult r = _d.Run("run", "--rm", "--hostname", given, "busybox", "sh", "-c",
            "hostname; cat /etc/hostname; grep -c '^127.0.0.1[[:space:]]*localhost' /etc/hosts; test -s /etc/resolv.conf && echo resolv-ok").Ok();
        string[] lines = r.Stdout.Lines();
        Assert.Equal(given, lines[0]);
        Assert.Equal(given, lines[1]);
        Assert.True(int.Parse(lines[2]) >= 1, $"/etc/hosts has no localhost line: {r}");
        Assert.Equal("resolv-ok", lines[3]);
        Assert.Equal(hostBefore, File.ReadAllText("/proc/sys/kernel/hostname").Trim());
    }

    [Fact]
    public void The_mounts_are_overlay_root_proc_dev_pts_shm_mqueue_readonly_sys_and_the_managed_etc_files()
    {
        string text = _d.Run("run", "--rm", "busybox", "cat", "/proc/mounts").Ok().Stdout;
        output.WriteLine(text);
        List<MountEntry> mounts = Support.ParseMounts(text);
        MountEntry At(string target, string fsType)
        {
            MountEntry? m = mounts.LastOrDefault(x => x.Target == target);
            Assert.True(m != null, $"nothing is mounted on {target}:\n{text}");
            Assert.True(m!.FsType == fsType, $"{target} is {m.FsType}, expected {fsType}:\n{text}");
            return m;
        }

        MountEntry root = At("/", "overlay");
        Assert.Contains(root.Options, o => o.StartsWith("lowerdir=", StringComparison.Ordinal));
        Assert.Contains(root.Options, o => o.StartsWith("upperdir=", StringComparison.Ordinal));
        Assert.Contains(root.Options, o => o.StartsWith("workdir=", StringComparison.Ordinal));
        Assert.False(root.ReadOnly);
        At("/proc", "proc");
        At("/dev", "tmpfs");
        MountEntry pts = At("/dev/pts", "devpts");
        // The kernel no longer prints "newinstance" (every devpts mount is a new instance since 4.7); ptmxmode shows it is ours.
        Assert.Contains(pts.Options, o => o.StartsWith("ptmxmode=", StringComparison.Ordinal));
        At("/dev/shm", "tmpfs");
        At("/dev/mqueue", "mqueue");
        Assert.True(At("/sys", "sysfs").ReadOnly, "/sys is not read-only");
        foreach (string file in new[] { "/etc/hostname", "/etc/hosts", "/etc/resolv.conf" })
            Assert.True(mounts.Any(m => m.Target == file), $"{file} is not bind-mounted by the runtime:\n{text}");
    }

    [Fact]
    public void The_containers_mounts_do_not_show_on_the_host_or_in_the_daemon()
    {
        string name = Support.Unique("mntns");
        try
        {
            _d.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").Ok();
            string id = Support.IdOf(_d, name);
            string pid = Support.Inspect(_d, name, "{{.State.Pid}}");
            // Inside, / is the overlay built from this container's directories.
            Assert.Contains(File.ReadLines($"/proc/{pid}/mountinfo"), l => l.Contains(" / / ") && l.Contains("overlay") && l.Contains(id));
            Assert.Empty(HostState.MountsUnder(_d.Root));
            Assert.DoesNotContain(File.ReadLines($"/proc/{_d.DaemonPid}/mountinfo"), l => l.Contains(id));
        }
        finally { _d.Run("rm", "-f", name); }
        Assert.Empty(HostState.MountsUnder(_d.Root));
    }

    [Fact]
    public void Dev_has_the_standard_nodes_a_private_pts_instance_and_no_host_devices()
    {
        CommandResult r = _d.Run("run", "--rm", "busybox", "sh", "-c",
            "for n in null zero full random urandom tty; do test -c /dev/$n && echo $n; done; " +
            "echo pts: $(ls /dev/pts); test -e /dev/ptmx && echo ptmx-ok; " +
            "echo x > /dev/null && echo null-writable; head -c 4 /dev/zero | od -An -tx1; echo all: $(ls /dev)").Ok();
        output.WriteLine(r.Stdout);
        string[] lines = r.Stdout.Lines();
        foreach (string n in new[] { "null", "zero", "full", "random", "urandom", "tty" }) Assert.Contains(n, lines);
        Assert.Contains("pts: ptmx", lines);   // a new devpts instance: none of the host's terminals
        Assert.Contains("ptmx-ok", lines);
        Assert.Contains("null-writable", lines);
        Assert.Contains(lines, l => l.Trim() == "00 00 00 00");
        string all = lines.Single(l => l.StartsWith("all:", StringComparison.Ordinal));
        foreach (string hostDevice in Directory.GetFiles("/dev").Select(Path.GetFileName).Where(n => n!.StartsWith("vd") || n!.StartsWith("sd") || n!.StartsWith("nvme") || n == "mem" || n == "kmsg"))
            Assert.DoesNotContain(" " + hostDevice, " " + all[4..] + " ");
    }

    [Fact]
    public void Sys_and_proc_sys_refuse_writes()
    {
        CommandResult r = _d.Run("run", "--rm", "busybox", "sh", "-c",
            "touch /sys/mc-test 2>&1; echo rc=$?; echo test > /proc/sys/kernel/hostname 2>&1; echo rc=$?; hostname");
        output.WriteLine(r.ToString());
        string[] lines = r.Stdout.Lines();
        Assert.Contains(lines, l => l.Contains("Read-only file system"));
        Assert.DoesNotContain("rc=0", lines);
        Assert.NotEqual("test", lines.Last());
        Assert.False(File.Exists("/sys/mc-test"));
    }

    [Fact]
    public void Writes_go_to_a_per_container_upper_dir_and_read_only_gives_EROFS()
    {
        string marker = "/" + Support.Unique("marker");
        _d.Run("run", "--rm", "busybox", "sh", "-c", $"echo hi > {marker} && cat {marker}").Ok();
        CommandResult second = _d.Run("run", "--rm", "busybox", "sh", "-c", $"test -e {marker} && echo leaked || echo clean");
        Assert.Equal("clean", second.Stdout.Trim());

        CommandResult ro = _d.Run("run", "--rm", "--read-only", "busybox", "touch", "/x");
        output.WriteLine(ro.ToString());
        Assert.NotEqual(0, ro.ExitCode);
        Assert.Contains("Read-only file system", ro.Stderr);
        string mounts = _d.Run("run", "--rm", "--read-only", "busybox", "cat", "/proc/mounts").Ok().Stdout;
        MountEntry root = Support.ParseMounts(mounts).Last(m => m.Target == "/");
        Assert.True(root.ReadOnly, $"/ is not mounted read-only:\n{mounts}");
    }

    [Fact]
    public void With_network_none_the_only_interface_is_loopback_and_it_is_up()
    {
        CommandResult r = _d.Run("run", "--rm", "--network", "none", "busybox", "sh", "-c",
            "echo ifaces: $(ls /sys/class/net); cat /sys/class/net/lo/operstate; grep -c : /proc/net/dev; ip -o -4 addr show lo").Ok();
        output.WriteLine(r.Stdout);
        string[] lines = r.Stdout.Lines();
        Assert.Equal("ifaces: lo", lines[0]);
        Assert.Contains(lines[1], new[] { "unknown", "up" });   // lo reports "unknown" when up
        Assert.Equal("1", lines[2]);
        Assert.Contains("127.0.0.1", lines[3]);
    }

    [Fact]
    public void On_the_default_bridge_eth0_has_the_address_inspect_shows_and_routes_via_the_gateway()
    {
        string id = _d.Run("run", "-d", "busybox", "sleep", "60").Ok().Stdout.Trim();
        try
        {
            string ip = _d.Run("inspect", "-f", "{{.NetworkSettings.IPAddress}}", id).Ok().Stdout.Trim();
            string gateway = _d.Run("inspect", "-f", "{{.NetworkSettings.Gateway}}", id).Ok().Stdout.Trim();
            CommandResult r = _d.Run("exec", id, "sh", "-c",
                "echo ifaces: $(ls /sys/class/net); cat /sys/class/net/eth0/operstate; ip -o -4 addr show eth0; ip route show default").Ok();
            output.WriteLine(r.Stdout);
            string[] lines = r.Stdout.Lines();
            Assert.Equal("ifaces: eth0 lo", lines[0]);
            Assert.Equal("up", lines[1]);
            Assert.Contains($" {ip}/", lines[2]);
            Assert.StartsWith($"default via {gateway} dev eth0", lines[3]);
        }
        finally { _d.Run("rm", "-f", id); }
    }

    [Fact]
    public void Runs_as_root_in_slash_with_dockers_default_capabilities_and_honours_w_and_u()
    {
        NsInfo inside = Support.ParseNsInfo(_d.Run("run", "--rm", "mc-probe", "nsinfo").Ok().Stdout);
        Assert.Equal(0, inside.Uid);
        Assert.Equal("/", inside.Cwd);
        // Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
        Assert.Equal("00000000a80425fb", inside.CapEff);

        NsInfo other = Support.ParseNsInfo(_d.Run("run", "--rm", "-w", "/tmp", "-u", "nobody", "mc-probe", "nsinfo").Ok().Stdout);
        Assert.Equal("/tmp", other.Cwd);
        Assert.Equal(65534, other.Uid);
        Assert.Equal("0000000000000000", other.CapEff);   // a non-root user keeps no effective capabilities
    }

    [Fact]
    public void The_containers_process_has_no_ignored_or_blocked_signals()
    {
        // The daemon's runtime ignores SIGPIPE and may have inherited ignored SIGINT/SIGQUIT; none of that may leak into
        // the container, where an ignored SIGINT makes ^C useless and an ignored SIGPIPE breaks pipelines.
        CommandResult r = _d.Run("run", "--rm", "busybox", "grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status").Ok();
        // yes | head ends because yes dies of SIGPIPE (with SIGPIPE ignored, yes prints "Broken pipe" errors instead).
        CommandResult pipe = _d.Run("run", "--rm", "busybox", "sh", "-c", "yes | head -n 2; echo done");
        output.WriteLine($"{r.Stdout}yes | head: {pipe}");
        bool clean = r.Stdout.Contains("SigIgn:\t0000000000000000") && r.Stdout.Contains("SigBlk:\t0000000000000000");
        Assert.True(clean && pipe.Stdout == "y\ny\ndone\n" && pipe.Stderr == "",
            $"the container's PID 1 starts with signals ignored or blocked:\n{r.Stdout}yes | head -n 2 → {pipe}");
    }
}
