using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Which device nodes a container may use: Docker 20.10's default rules (devices.allow on cgroup v1, a BPF program on
/// the container's cgroup on v2), --device, --device-cgroup-rule and --privileged. Checked from inside with secprobe,
/// which mknods a node in /tmp and opens it read-only (never reads or writes a real disk): the device cgroup answers
/// EPERM on open. mknod itself is allowed for any device, as under Docker (runc's "c *:* m", "b *:* m").
/// </summary>
[Trait("Lane", "vm")]  // also run in the pure-cgroup-v2 VM by scripts/vm-test.sh: that proves the BPF path
public sealed class DeviceConfinementTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    /// <summary>Outside Docker's default list: vcs (the host console's text), tty1, fuse, loop-control, mem, and block devices.</summary>
    private static readonly string[] Forbidden = ["c 7:0", "c 4:1", "c 10:229", "c 10:237", "c 1:1", "b 7:0", "b 8:0"];

    private Dictionary<string, string> Probe(params string[] args)
    {
        CommandResult r = _d.Run(["run", "--rm", .. args]).Ok();
        output.WriteLine(r.Stdout);
        // "open c 7:0 EPERM" → key "open c 7:0"; "open /dev/x ok (4096 bytes)" → key "open /dev/x".
        var result = new Dictionary<string, string>();
        foreach (string line in r.Stdout.Lines())
        {
            string[] w = line.Split(' ');
            if (w.Length >= 4 && w[0] is "mknod" or "open" && w[1] is "c" or "b") result[$"{w[0]} {w[1]} {w[2]}"] = w[3];
            else if (w.Length >= 3) result[$"{w[0]} {w[1]}"] = w[2];
        }
        return result;
    }

    private static string[] DevChecks(IEnumerable<string> devices) => devices.SelectMany(d => new[] { "dev", d.Split(' ')[0], d.Split(' ')[1] }).ToArray();

    /// <summary>The block device the host's root file system is on ("b 254:1"), when it is on one.</summary>
    private static string? HostRootDisk()
    {
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] f = line.Split(' ');
            if (f.Length > 4 && f[4] == "/" && !f[2].StartsWith("0:", StringComparison.Ordinal)) return "b " + f[2];
        }
        return null;
    }

    [Fact]
    public void A_default_container_cannot_open_any_device_outside_dockers_list_though_it_may_mknod_it()
    {
        List<string> devices = [.. Forbidden];
        if (HostRootDisk() is { } root && !devices.Contains(root)) devices.Add(root);
        var seen = Probe(["mc-probe", "secprobe", .. DevChecks(devices)]);
        foreach (string dev in devices)
        {
            Assert.Equal("ok", seen[$"mknod {dev}"]);
            Assert.Equal("EPERM", seen[$"open {dev}"]);
        }
    }

    [Fact]
    public void The_standard_nodes_work_and_so_do_mknoded_copies_of_them()
    {
        string[] allowed = ["c 1:3", "c 1:5", "c 1:7", "c 1:8", "c 1:9", "c 5:2"];
        var seen = Probe(["mc-probe", "sh", "-c", "secprobe " + string.Join(' ', DevChecks(allowed)) +
            " open /dev/zero open /dev/urandom open /dev/full; echo x > /dev/null && echo check null-write ok; echo x 2>/dev/null > /dev/full || echo check full-write-refused ok"]);
        // A mknod'ed ptmx outside /dev finds no devpts next to it (ENOENT from the pty driver): the cgroup let it through.
        foreach (string dev in allowed) Assert.Equal(dev == "c 5:2" ? "ENOENT" : "ok", seen[$"open {dev}"]);
        Assert.Equal("ok", seen["open /dev/zero"]);
        Assert.Equal("ok", seen["open /dev/urandom"]);
        Assert.Equal("ok", seen["check null-write"]);
        Assert.Equal("ok", seen["check full-write-refused"]);   // ENOSPC from the device itself
    }

    [Fact]
    public void A_terminal_container_gets_its_pty()
    {
        CommandResult r = _d.Run("run", "--rm", "-t", "busybox", "sh", "-c", "tty && echo hi > $(tty) && echo wrote").Ok();
        Assert.Contains("/dev/pts/0", r.Stdout);
        Assert.Contains("wrote", r.Stdout);
    }

    [Fact]
    public void Device_adds_the_hosts_node_under_the_given_name_with_its_numbers_mode_and_access()
    {
        CommandResult r = _d.Run("run", "--rm", "--device", "/dev/zero:/dev/myzero", "--device", "/dev/full:/dev/sub/myfull:r",
            "mc-probe", "sh", "-c", "stat -c '%n %F %t:%T %a %u:%g' /dev/myzero /dev/sub/myfull; secprobe open /dev/myzero open /dev/sub/myfull write /dev/sub/myfull").Ok();
        output.WriteLine(r.Stdout);
        Assert.Contains("/dev/myzero character special file 1:5 666 0:0", r.Stdout);
        Assert.Contains("/dev/sub/myfull character special file 1:7 666 0:0", r.Stdout);
        Assert.Contains("open /dev/myzero ok (4096 bytes)", r.Stdout);
        Assert.Contains("open /dev/sub/myfull ok", r.Stdout);
        Assert.Contains("write /dev/sub/myfull ok", r.Stdout);   // 1:7 is in Docker's defaults (rwm) anyway
    }

    [Fact]
    public void Device_at_a_standard_nodes_path_replaces_it()
    {
        CommandResult r = _d.Run("run", "--rm", "--device", "/dev/null:/dev/zero", "busybox", "sh", "-c", "stat -c '%n %t:%T' /dev/zero; head -c 1 /dev/zero | wc -c").Ok();
        output.WriteLine(r.Stdout);
        Assert.Equal(["/dev/zero 1:3", "0"], r.Stdout.Lines().Select(l => l.Trim()));
    }

    [Fact]
    public void Device_with_read_only_permission_refuses_writes_to_a_device_outside_the_defaults()
    {
        // /dev/zero's numbers under a read-only rule are still allowed rwm by the defaults; a device the defaults
        // do not allow shows the permission. fuse (10:229) is denied by default and harmless to open.
        if (!File.Exists("/dev/fuse")) { output.WriteLine("no /dev/fuse on this host"); return; }
        var seen = Probe(["--device", "/dev/fuse:/dev/fuse:r", "mc-probe", "secprobe", "write", "/dev/fuse", "dev", "c", "10:229"]);
        Assert.Equal("EPERM", seen["write /dev/fuse"]);
        Assert.NotEqual("EPERM", seen["open c 10:229"]);
    }

    [Fact]
    public void Device_cgroup_rule_lets_a_mknoded_node_open()
    {
        var denied = Probe(["mc-probe", "secprobe", "dev", "c", "10:229"]);
        var allowed = Probe(["--device-cgroup-rule", "c 10:229 rwm", "--device-cgroup-rule", "b 7:* r", "mc-probe", "secprobe", "dev", "c", "10:229", "dev", "b", "7:0"]);
        Assert.Equal("EPERM", denied["open c 10:229"]);
        // Allowed by the cgroup: the driver answers now (ok, or ENODEV/ENXIO when this kernel lacks it).
        Assert.NotEqual("EPERM", allowed["open c 10:229"]);
        Assert.NotEqual("EPERM", allowed["open b 7:0"]);
    }

    [Fact]
    public void Exec_processes_are_confined_too()
    {
        string name = Support.Unique("devexec");
        try
        {
            _d.Run("run", "-d", "--name", name, "mc-probe", "sleep", "1000").Ok();
            CommandResult r = _d.Run("exec", name, "secprobe", "dev", "c", "7:0", "open", "/dev/zero").Ok();
            output.WriteLine(r.Stdout);
            Assert.Contains("open c 7:0 EPERM", r.Stdout);
            Assert.Contains("open /dev/zero ok", r.Stdout);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Privileged_opens_any_device_and_sees_the_hosts_device_nodes()
    {
        var seen = Probe(["--privileged", "mc-probe", "secprobe", "dev", "c", "10:237", "dev", "c", "7:0", "dev", "b", "7:0"]);
        foreach (string dev in new[] { "c 10:237", "c 7:0", "b 7:0" }) Assert.NotEqual("EPERM", seen[$"open {dev}"]);

        // Every top-level character or block device of the host's /dev is there (but the console, which is the container's own).
        var hostDevices = new DirectoryInfo("/dev").GetFileSystemInfos()
            .Where(f => (f.Attributes & FileAttributes.Device) != 0 || IsDeviceNode(f.FullName))
            .Select(f => f.Name).Where(n => n != "console").Order(StringComparer.Ordinal).ToList();
        CommandResult ls = _d.Run("run", "--rm", "--privileged", "busybox", "ls", "/dev").Ok();
        var inside = ls.Stdout.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        Assert.NotEmpty(hostDevices);
        Assert.All(hostDevices, n => Assert.Contains(n, inside));
    }

    private static bool IsDeviceNode(string path)
    {
        CommandResult r = Daemon.Exec("stat", ["-c", "%F", path]);
        return r.Stdout.Contains("special file") && !r.Stdout.Contains("fifo");
    }

    [Fact]
    public void A_missing_device_is_refused_with_dockers_error_and_leaves_nothing()
    {
        string before = Support.PsAll(_d);
        var cgroups = Support.CgroupSnapshot();
        CommandResult r = _d.Run("run", "--rm", "--device", "/dev/nope-mc", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("error gathering device information while adding custom device \"/dev/nope-mc\": no such file or directory", r.Stderr);
        Assert.Equal(before, Support.PsAll(_d));
        Assert.Empty(Support.LeakedCgroupsSince(cgroups, TimeSpan.FromSeconds(2)));
    }

    [Theory]
    [InlineData("--device", "/dev/zero:/dev/z:rwx", "bad mode specified: rwx")]
    [InlineData("--device", "/dev/zero:z", "z is not an absolute path")]
    [InlineData("--device-cgroup-rule", "c 1:7", "invalid argument \"c 1:7\" for \"--device-cgroup-rule\" flag: invalid device cgroup format 'c 1:7'")]
    public void Bad_flags_get_dockers_errors(string flag, string value, string message)
    {
        CommandResult r = _d.Run("run", "--rm", flag, value, "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public void Inspect_shows_the_devices_and_rules()
    {
        string name = Support.Unique("devinspect");
        try
        {
            _d.Run("create", "--name", name, "--device", "/dev/zero:/dev/myzero:r", "--device-cgroup-rule", "c 1:7 rwm", "busybox", "true").Ok();
            Assert.Equal("""[{"PathOnHost":"/dev/zero","PathInContainer":"/dev/myzero","CgroupPermissions":"r"}]""", Support.Inspect(_d, name, "{{json .HostConfig.Devices}}"));
            Assert.Equal("""["c 1:7 rwm"]""", Support.Inspect(_d, name, "{{json .HostConfig.DeviceCgroupRules}}"));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void On_cgroup_v1_the_kernel_lists_dockers_rules_for_the_container()
    {
        if (Support.CgroupV2) { output.WriteLine("cgroup v2: the rules are a BPF program, proven by the probes above"); return; }
        string name = Support.Unique("devlist");
        try
        {
            _d.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").Ok();
            string id = Support.IdOf(_d, name);
            string list = File.ReadAllText($"/sys/fs/cgroup/devices/minicontainer/{id}/devices.list");
            output.WriteLine(list);
            Assert.DoesNotContain("a *:* rwm", list);
            foreach (string rule in new[] { "c 1:3 rwm", "c 1:5 rwm", "c 136:* rwm", "c *:* m", "b *:* m", "c 10:200 rwm" }) Assert.Contains(rule, list);
        }
        finally { _d.Run("rm", "-f", name); }
    }
}
