using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// What of the host's /proc and /sys a container sees, and what --privileged and exec --privileged change: checked
/// from inside by secprobe, which prints the kernel's answer to each raw call ("write /proc/sys/... EROFS").
/// Also: options the daemon cannot honour are refused, never accepted and dropped.
/// </summary>
[Trait("Lane", "vm")]  // also run in the pure-cgroup-v2 VM by scripts/vm-test.sh
public sealed class SystemPathsTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    private Dictionary<string, string> Probe(params string[] args)
    {
        var r = _d.Run(new[] { "run", "--rm" }.Concat(args).ToArray()).Ok();
        output.WriteLine(r.Stdout);
        return ParseProbe(r.Stdout);
    }

    /// <summary>secprobe's "check result" lines as a map; "open c 7:0 ok" → ["open c 7:0"] = "ok".</summary>
    public static Dictionary<string, string> ParseProbe(string stdout)
    {
        var map = new Dictionary<string, string>();
        foreach (string line in stdout.Lines())
        {
            // The result is the first word after the check; checks end at " ok", " E…" or " read-E…".
            string[] words = line.Split(' ');
            int split = Array.FindIndex(words, 1, w => w == "ok" || (w.Length > 1 && w[0] == 'E' && w.All(ch => char.IsUpper(ch) || char.IsDigit(ch))) || w.StartsWith("read-E"));
            if (split < 0) split = words.Length - 1;
            map[string.Join(' ', words[..split])] = string.Join(' ', words[split..]);
        }
        return map;
    }

    [Fact]
    public void A_default_container_cannot_read_the_hosts_firmware_interrupts_or_power_counters_nor_write_proc_sys()
    {
        var p = Probe("mc-probe", "secprobe", "ls", "/sys/firmware", "open", "/proc/interrupts", "ls", "/sys/devices/virtual/powercap",
            "open", "/proc/keys", "open", "/proc/timer_list", "write", "/proc/sys/kernel/hostname", "write", "/proc/sysrq-trigger",
            "mkdir", "/sys/fs/cgroup/mc-probe-x", "write", "/sys/kernel/uevent_helper");
        Assert.Equal("ok (0 entries)", p["ls /sys/firmware"]);
        Assert.Equal("ok (0 bytes)", p["open /proc/interrupts"]);
        if (Directory.Exists("/sys/devices/virtual/powercap")) Assert.Equal("ok (0 entries)", p["ls /sys/devices/virtual/powercap"]);
        if (File.Exists("/proc/keys")) Assert.Equal("ok (0 bytes)", p["open /proc/keys"]);
        if (File.Exists("/proc/timer_list")) Assert.Equal("ok (0 bytes)", p["open /proc/timer_list"]);
        Assert.Equal("EROFS", p["write /proc/sys/kernel/hostname"]);
        if (File.Exists("/proc/sysrq-trigger")) Assert.Equal("EROFS", p["write /proc/sysrq-trigger"]);
        Assert.Equal("EROFS", p["mkdir /sys/fs/cgroup/mc-probe-x"]);
        if (File.Exists("/sys/kernel/uevent_helper")) Assert.Equal("EROFS", p["write /sys/kernel/uevent_helper"]);
        // The host's own view is untouched.
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries("/sys/firmware"));
        Assert.NotEqual(0, File.ReadAllText("/proc/interrupts").Length);
    }

    [Fact]
    public void Privileged_gives_every_capability_writable_sys_and_unmasked_paths_and_inspect_says_so()
    {
        string name = Support.Unique("priv");
        try
        {
            var r = _d.Run("run", "--name", name, "--privileged", "mc-probe", "secprobe", "status", "ls", "/sys/firmware", "mount",
                "mkdir", "/sys/fs/cgroup/mc-probe-x", "open", "/proc/interrupts").Ok();
            output.WriteLine(r.Stdout);
            var p = ParseProbe(r.Stdout);
            Assert.Equal(HostCapabilities(), p["CapBnd"]);
            Assert.Equal(HostCapabilities(), p["CapEff"]);
            Assert.NotEqual("ok (0 entries)", p["ls /sys/firmware"]);
            Assert.Equal("ok", p["mount"]);
            Assert.NotEqual("EROFS", p["mkdir /sys/fs/cgroup/mc-probe-x"]);
            Assert.NotEqual("ok (0 bytes)", p["open /proc/interrupts"]);
            Assert.Equal("true", Support.Inspect(_d, name, "{{.HostConfig.Privileged}}"));
            Assert.Equal("[]", Support.Inspect(_d, name, "{{json .HostConfig.MaskedPaths}}"));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Exec_has_the_containers_capabilities_and_exec_privileged_has_all_of_them()
    {
        string name = Support.Unique("execcaps");
        try
        {
            _d.Run("run", "-d", "--name", name, "--cap-drop", "CHOWN", "--cap-add", "NET_ADMIN", "mc-probe", "sleep", "1000").Ok();
            string pid1 = ParseProbe(_d.Run("exec", name, "cat", "/proc/1/status").Ok().Stdout.Replace(":\t", " "))["CapBnd"];
            var plain = ParseProbe(_d.Run("exec", name, "secprobe", "status").Ok().Stdout);
            Assert.Equal(pid1, plain["CapBnd"]);
            ulong caps = Convert.ToUInt64(plain["CapBnd"], 16);
            Assert.Equal(0UL, caps & (1UL << 0));     // CAP_CHOWN dropped
            Assert.NotEqual(0UL, caps & (1UL << 12)); // CAP_NET_ADMIN added
            var privileged = ParseProbe(_d.Run("exec", "--privileged", name, "secprobe", "status").Ok().Stdout);
            Assert.Equal(HostCapabilities(), privileged["CapBnd"]);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Masked_and_read_only_paths_from_the_api_replace_the_defaults()
    {
        // The docker CLI sets neither list; --security-opt systempaths=unconfined is how a user asks for none,
        // and a client may send its own lists through the API: a masked /proc/cpuinfo reads empty.
        string body = """{"Image":"mc-probe","Cmd":["secprobe","open","/proc/cpuinfo","ls","/sys/firmware"],"HostConfig":{"MaskedPaths":["/proc/cpuinfo"],"ReadonlyPaths":[]}}""";
        var created = Daemon.Exec("curl", new[] { "-s", "--unix-socket", _d.Socket, "-H", "Content-Type: application/json", "-d", body, "http://d/containers/create" }).Ok();
        string id = System.Text.Json.JsonDocument.Parse(created.Stdout).RootElement.GetProperty("Id").GetString()!;
        try
        {
            _d.Run("start", "-a", id).Ok();
            var p = ParseProbe(_d.Run("logs", id).Ok().Stdout);
            Assert.Equal("ok (0 bytes)", p["open /proc/cpuinfo"]);
            Assert.NotEqual("ok (0 entries)", p["ls /sys/firmware"]);
        }
        finally { _d.Run("rm", "-f", id); }
    }

    [Theory]
    [InlineData("--sysctl", "net.ipv4.ip_forward=1", "--sysctl (Sysctls)")]
    [InlineData("--ulimit", "nofile=10:10", "--ulimit (Ulimits)")]
    [InlineData("--ipc", "host", "--ipc (IpcMode)")]
    [InlineData("--blkio-weight", "300", "--blkio-weight (BlkioWeight)")]
    [InlineData("--oom-score-adj", "500", "--oom-score-adj (OomScoreAdj)")]
    [InlineData("--cgroup-parent", "/mcx", "--cgroup-parent (CgroupParent)")]
    public void Options_the_daemon_cannot_honour_are_refused_by_the_docker_cli_with_nothing_created(string flag, string value, string named)
    {
        using var docker = new DockerCli(_d, output);
        string before = Support.PsAll(_d);
        var r = docker.Run("run", "--rm", flag, value, "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains(named, r.Stderr);
        Assert.Contains("is not supported by MiniContainer", r.Stderr);
        Assert.Equal(before, Support.PsAll(_d));
    }

    [Fact]
    public void The_docker_clis_defaults_and_privileged_are_accepted()
    {
        using var docker = new DockerCli(_d, output);
        docker.Run("run", "--rm", "busybox", "true").Ok();
        var r = docker.Run("run", "--rm", "--privileged", "mc-probe", "secprobe", "status").Ok();
        Assert.Equal(HostCapabilities(), ParseProbe(r.Stdout)["CapBnd"]);
    }

    /// <summary>The host's full capability set as /proc/self/status prints it (what --privileged gives).</summary>
    private static string HostCapabilities() =>
        File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapBnd:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
}
