using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// --pid, --uts, --cgroupns, --group-add, --log-driver/--log-opt, --runtime, --isolation and --volume-driver through
/// the real docker CLI: each does what it says in the container (namespaces shared with the host or another
/// container, supplementary groups, no log kept), inspect echoes it as dockerd does, and bad values get dockerd's error
/// with docker's exit status 125.
/// </summary>
public sealed class DockerCliModesTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose() => _docker.Dispose();

    private CommandResult Docker(params string[] args) => _docker.Run(args);

    private static string Inode(string nsFile) => new FileInfo(nsFile).LinkTarget!;

    [Fact]
    public void Pid_host_sees_the_hosts_processes_and_pid_container_shares_anothers()
    {
        // PID 1 in the container is the host's init: its command line is the host's own /proc/1/cmdline.
        string hostInit = File.ReadAllText("/proc/1/cmdline").Split('\0')[0];
        string seen = Docker("run", "--rm", "--pid=host", "--network=none", "busybox", "cat", "/proc/1/cmdline").Ok().Stdout.Split('\0')[0];
        Assert.Equal(hostInit, seen);
        string ps = Docker("run", "--rm", "--pid=host", "--network=none", "busybox", "ps", "-o", "pid").Ok().Stdout;
        Assert.Contains(Environment.ProcessId.ToString(), ps.Lines().Select(l => l.Trim()));

        string name = Support.Unique("pidtarget");
        try
        {
            Docker("run", "-d", "--name", name, "--network=none", "busybox", "sleep", "600").Ok();
            string joined = Docker("run", "--rm", $"--pid=container:{name}", "--network=none", "busybox", "ps", "-o", "pid,args").Ok().Stdout;
            Assert.Contains("sleep 600", joined);
            string created = Docker("create", $"--pid=container:{name}", "--uts=host", "busybox").Ok().Stdout.Trim();
            Assert.Equal($"container:{name} host", Docker("inspect", "-f", "{{.HostConfig.PidMode}} {{.HostConfig.UTSMode}}", created).Ok().Stdout.Trim());
            Docker("rm", created).Ok();
        }
        finally { Docker("rm", "-f", name); }

        var missing = Docker("run", "--rm", "--pid=container:nosuchctr", "busybox", "true");
        Assert.Equal(125, missing.ExitCode);
        Assert.Contains("No such container: nosuchctr", missing.Stderr);
    }

    [Fact]
    public void Uts_host_has_the_hosts_hostname_and_refuses_a_hostname()
    {
        string host = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
        Assert.Equal(host, Docker("run", "--rm", "--uts=host", "--network=none", "busybox", "hostname").Ok().Stdout.Trim());
        Assert.NotEqual(host, Docker("run", "--rm", "--network=none", "busybox", "hostname").Ok().Stdout.Trim());
        var conflict = Docker("run", "--rm", "--uts=host", "--hostname", "web", "busybox", "true");
        Assert.Equal(125, conflict.ExitCode);
        Assert.Contains("onflicting options: hostname and the UTS mode", conflict.Stderr);
    }

    [Fact]
    public void Cgroupns_host_shows_the_hosts_cgroup_path_and_private_the_root()
    {
        Assert.Equal("0::/", Docker("run", "--rm", "--cgroupns=private", "--network=none", "busybox", "cat", "/proc/self/cgroup").Ok().Stdout.Lines().Last());
        string hostView = Docker("run", "--rm", "--cgroupns=host", "--network=none", "busybox", "cat", "/proc/self/cgroup").Ok().Stdout;
        Assert.Contains("minicontainer/", hostView);
        var bad = Docker("run", "--rm", "--cgroupns=shared", "busybox", "true");
        Assert.Equal(125, bad.ExitCode);
    }

    [Fact]
    public void Group_add_sets_supplementary_groups_by_number_and_by_name_for_run_and_exec()
    {
        // busybox's /etc/group has root (0), nogroup (65534) and nobody (65534).
        Assert.Equal("0 1000 65534", Docker("run", "--rm", "--network=none", "--group-add", "1000", "--group-add", "nogroup", "busybox", "id", "-G").Ok().Stdout.Trim());
        string name = Support.Unique("groups");
        try
        {
            Docker("run", "-d", "--name", name, "--network=none", "--group-add", "1000", "busybox", "sleep", "600").Ok();
            Assert.Equal("0 1000", Docker("exec", name, "id", "-G").Ok().Stdout.Trim());
            Assert.Equal("[1000]", Docker("inspect", "-f", "{{.HostConfig.GroupAdd}}", name).Ok().Stdout.Trim());
        }
        finally { Docker("rm", "-f", name); }
        var unknown = Docker("run", "--rm", "--network=none", "--group-add", "audio", "busybox", "true");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("unable to find group audio", unknown.Stderr);
    }

    [Fact]
    public void Log_driver_none_keeps_nothing_and_json_file_options_are_echoed_or_refused()
    {
        string quiet = Support.Unique("nolog");
        try
        {
            Docker("run", "--name", quiet, "--log-driver", "none", "--network=none", "busybox", "echo", "hello").Ok();
            var logs = Docker("logs", quiet);
            Assert.NotEqual(0, logs.ExitCode);
            Assert.Contains("configured logging driver does not support reading", logs.Stderr);
            Assert.Equal("none", Docker("inspect", "-f", "{{.HostConfig.LogConfig.Type}}", quiet).Ok().Stdout.Trim());
            Assert.Equal(0, new FileInfo(Docker("inspect", "-f", "{{.LogPath}}", quiet).Ok().Stdout.Trim()).Length);
        }
        finally { Docker("rm", "-f", quiet); }

        string kept = Support.Unique("jsonlog");
        try
        {
            Docker("run", "--name", kept, "--log-driver", "json-file", "--log-opt", "max-file=3", "--network=none", "busybox", "echo", "hello").Ok();
            Assert.Equal("hello", Docker("logs", kept).Ok().Stdout.Trim());
            Assert.Equal("json-file map[max-file:3]", Docker("inspect", "-f", "{{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Config}}", kept).Ok().Stdout.Trim());
        }
        finally { Docker("rm", "-f", kept); }

        var asdf = Docker("run", "--rm", "--log-driver", "asdf", "busybox", "true");
        Assert.Equal(125, asdf.ExitCode);
        Assert.Contains("logger: no log driver named 'asdf' is registered", asdf.Stderr);
        var size = Docker("run", "--rm", "--log-opt", "max-size=10m", "busybox", "true");
        Assert.Equal(125, size.ExitCode);
        Assert.Contains("--log-opt max-size is not supported by MiniContainer", size.Stderr);
    }

    [Fact]
    public void Runtime_runc_isolation_and_volume_driver_are_echoed_and_others_refused()
    {
        Assert.Equal("runc runc", Docker("info", "--format", "{{.DefaultRuntime}} {{range $k, $v := .Runtimes}}{{$k}}{{end}}").Ok().Stdout.Trim());
        string id = Docker("create", "--runtime", "runc", "--isolation", "default", "--volume-driver", "local", "busybox").Ok().Stdout.Trim();
        try
        {
            Assert.Equal("runc default local", Docker("inspect", "-f", "{{.HostConfig.Runtime}} {{.HostConfig.Isolation}} {{.HostConfig.VolumeDriver}}", id).Ok().Stdout.Trim());
        }
        finally { Docker("rm", "-f", id); }
        var kata = Docker("run", "--rm", "--runtime", "kata", "busybox", "true");
        Assert.Equal(125, kata.ExitCode);
        Assert.Contains("unknown or invalid runtime name: kata", kata.Stderr);
        var plugin = Docker("run", "--rm", "--volume-driver", "foo", "-v", "/data", "busybox", "true");
        Assert.Equal(125, plugin.ExitCode);
        Assert.Contains("error looking up volume plugin foo: plugin \"foo\" not found", plugin.Stderr);
    }

    [Fact]
    public void Exec_of_a_missing_program_is_126_as_dockerds()
    {
        string name = Support.Unique("exec126");
        try
        {
            Docker("run", "-d", "--name", name, "--network=none", "busybox", "sleep", "600").Ok();
            Assert.Equal(126, Docker("exec", name, "docker", "ps").ExitCode);
        }
        finally { Docker("rm", "-f", name); }
    }

    /// <summary>-v SRC:DST:rshared and :rslave: the container's mount stays connected to the host's (a tmpfs made inside
    /// appears on the host; one made on the host later appears inside), the default rprivate does neither, and a source
    /// that is not on a shared mount is dockerd's refusal. SRC is made a mount point of its own for the test (private,
    /// then shared), and unmounted after.</summary>
    [Fact]
    public void Bind_propagation_connects_the_container_and_the_host_as_asked()
    {
        string dir = Directory.CreateTempSubdirectory("mc-prop-").FullName;
        void Sh(string command) => Daemon.Exec("sh", ["-c", command]).Ok();
        string name = Support.Unique("rslave");
        try
        {
            Sh($"mount --bind {dir} {dir} && mount --make-private {dir}");
            var refused = Docker("run", "--rm", "--network=none", "-v", $"{dir}:/mnt:rshared", "busybox", "true");
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains($"path {dir} is mounted on {dir} but it is not a shared mount", refused.Stderr);

            Sh($"mount --make-shared {dir}");
            Docker("run", "--rm", "--privileged", "--network=none", "-v", $"{dir}:/mnt:rshared", "busybox",
                "sh", "-c", "mkdir -p /mnt/inner && mount -t tmpfs mcprop /mnt/inner && touch /mnt/inner/made-inside").Ok();
            Assert.True(File.Exists(Path.Combine(dir, "inner", "made-inside")), "the container's mount did not propagate to the host");
            Sh($"umount {dir}/inner");

            Docker("run", "-d", "--name", name, "--network=none", "-v", $"{dir}:/mnt:rslave", "-v", $"{dir}:/private", "busybox", "sleep", "600").Ok();
            // .Mounts comes in no fixed order (dockerd keeps them in a map), so each is matched by its destination.
            Assert.Equal(["/mnt=rslave", "/private=rprivate"],
                Docker("inspect", "-f", "{{range .Mounts}}{{.Destination}}={{.Propagation}} {{end}}", name).Ok().Stdout.Trim()
                    .Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            Sh($"mkdir -p {dir}/late && mount -t tmpfs mcprop {dir}/late && touch {dir}/late/made-outside");
            Assert.Equal("/mnt/late/made-outside", Docker("exec", name, "ls", "/mnt/late/made-outside").Ok().Stdout.Trim());
            Assert.NotEqual(0, Docker("exec", name, "ls", "/private/late/made-outside").ExitCode);
        }
        finally
        {
            Docker("rm", "-f", name);
            Daemon.Exec("sh", ["-c", $"umount {dir}/late; umount {dir}/inner; umount {dir}"]);
            Directory.Delete(dir, recursive: true);
        }
    }
}
