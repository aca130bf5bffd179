using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// The real docker CLI (/usr/local/bin/docker) drives the daemon through the Docker Engine API on its socket: run
/// (attached, detached, with a TTY), ps, logs, exec, inspect, stop, rm, images, version. It uses a config directory of
/// its own and talks to nothing but the daemon's unix socket.
/// </summary>
public sealed class DockerCliInteropTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose() => _docker.Dispose();

    private CommandResult Docker(params string[] args) => _docker.Run(args);

    private CommandResult DockerWithInput(string? stdin, params string[] args) => _docker.RunWithInput(stdin, args);

    [Fact]
    public void Docker_version_negotiates_with_the_daemon()
    {
        CommandResult r = Docker("version", "--format", "{{.Server.APIVersion}} {{.Client.APIVersion}}").Ok();
        string[] versions = r.Stdout.Trim().Split(' ');
        Assert.Matches(@"^1\.\d+$", versions[0]);
        Assert.Matches(@"^1\.\d+$", versions[1]);   // negotiated down to the server's version if need be
    }

    [Fact]
    public void Docker_info_shows_no_swarm_and_swarm_commands_get_dockerds_answers()
    {
        Assert.Equal("inactive false", Docker("info", "--format", "{{.Swarm.LocalNodeState}} {{.ExperimentalBuild}}").Ok().Stdout.Trim());
        var nodes = Docker("node", "ls");
        Assert.Equal(1, nodes.ExitCode);
        Assert.Contains("This node is not a swarm manager.", nodes.Stderr);
        var leave = Docker("swarm", "leave");
        Assert.Equal(1, leave.ExitCode);
        Assert.Contains("This node is not part of a swarm", leave.Stderr);
        var init = Docker("swarm", "init");
        Assert.Equal(1, init.ExitCode);
        Assert.Contains("MiniContainer has no swarm mode", init.Stderr);
    }

    /// <summary>dockerd answers a refused archive with a 200 whose JSON stream carries the error; clients show it.</summary>
    [Fact]
    public void A_load_of_a_bad_archive_is_an_error_in_a_200_json_stream_and_docker_load_fails_with_it()
    {
        string bad = Path.Combine(_d.Root, Support.Unique("bad") + ".tar");
        File.WriteAllText(bad, "not a tar archive at all");
        var raw = Daemon.Exec("curl", ["-s", "-w", "\n%{http_code}", "--unix-socket", _d.Socket, "-X", "POST",
            "-H", "Content-Type: application/x-tar", "--data-binary", "@" + bad, "http://docker/v1.41/images/load?quiet=1"]).Ok();
        string[] lines = raw.Stdout.Lines();
        Assert.Equal("200", lines[^1]);
        Assert.Contains("\"errorDetail\":{\"message\":\"the archive is truncated or not a valid tar archive", lines[0]);
        var load = Docker("load", "-i", bad);
        Assert.Equal(1, load.ExitCode);
        Assert.Contains("not a valid tar archive", load.Stderr);
        var ours = _d.Run("load", "-i", bad);
        Assert.Equal(1, ours.ExitCode);
        Assert.Contains("not a valid tar archive", ours.Stderr);
    }

    [Fact]
    public void Docker_run_rm_echo_prints_hi_and_returns_the_exit_codes()
    {
        Assert.Equal("hi\n", Docker("run", "--rm", "busybox", "echo", "hi").Ok().Stdout);
        Assert.Equal(3, Docker("run", "--rm", "busybox", "sh", "-c", "exit 3").ExitCode);
        CommandResult nope = Docker("run", "--rm", "busybox", "nope");
        Assert.Equal(127, nope.ExitCode);
        Assert.Contains("executable file not found", nope.Stderr);
    }

    /// <summary>
    /// dockerd answers an exec start with its 101 before it starts the process, and a start that fails is reported
    /// in the stream, with the exec's exit code 126 (dockerd's for any exec that could not start, a missing program included). Through the docker CLI, and through docker-py (Debian's
    /// python3-docker, under docker-compose), which takes the socket over from a buffering HTTP reader: output sent
    /// together with the 101 was lost there, and `echo hello` came back empty in 2 of 5 tries.
    /// </summary>
    [Fact]
    public void Exec_start_answers_before_the_process_runs_and_reports_a_failed_start_in_the_stream()
    {
        string name = Support.Unique("exec-order");
        Docker("run", "-d", "--name", name, "busybox", "sleep", "600").Ok();
        var nope = Docker("exec", name, "nosuchcmd");
        Assert.Equal(126, nope.ExitCode);
        Assert.Contains("executable file not found", nope.Stdout + nope.Stderr);
        var denied = Docker("exec", "-t", name, "/etc/passwd");
        Assert.Equal(126, denied.ExitCode);
        Assert.Contains("permission denied", denied.Stdout + denied.Stderr);
        Assert.Equal("in\n", Docker("exec", name, "echo", "in").Ok().Stdout);

        const string script = """
            import sys, docker
            api = docker.APIClient(base_url=sys.argv[1], version="auto")
            got = []
            for tty in (False, True) * 10:
                e = api.exec_create(sys.argv[2], ["echo", "hello"], tty=tty)
                got.append(api.exec_start(e["Id"], tty=tty).decode().strip())
            e = api.exec_create(sys.argv[2], ["nosuchcmd"])
            out = api.exec_start(e["Id"]).decode()
            print(got.count("hello"), api.exec_inspect(e["Id"])["ExitCode"], "executable file not found" in out)
            """;
        var py = Daemon.Exec("/usr/bin/python3", ["-c", script, _d.Host, name]);
        Assert.True(py.ExitCode == 0, $"docker-py (python3-docker) failed: {py}");
        Assert.Equal("20 126 True", py.Stdout.Trim());
        Docker("rm", "-f", name).Ok();
    }

    [Fact]
    public void Docker_run_i_delivers_stdin_written_before_the_container_starts()
    {
        // docker run -i attaches, then starts; it copies stdin (and half-closes at EOF) as soon as it is attached, so a
        // short piped input usually arrives before /start. The daemon must hold it for the container, as dockerd does.
        string name = Support.Unique("dkstdin");
        try
        {
            CommandResult r;
            try { r = _docker.RunWithInput("from stdin\n", 20_000, "run", "--rm", "-i", "--name", name, "busybox", "cat"); }
            catch (TimeoutException e) { throw new Xunit.Sdk.XunitException($"`echo 'from stdin' | docker run --rm -i busybox cat` hung: the input or its EOF never reached the container ({e.Message})"); }
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("from stdin\n", r.Stdout);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Docker_run_d_ps_logs_exec_stop_inspect_rm()
    {
        string name = Support.Unique("dk");
        try
        {
            string id = Docker("run", "-d", "--name", name, "busybox", "sh", "-c", "echo hello; echo oops >&2; exec sleep 1000").Ok().Stdout.Trim();
            Assert.Matches("^[0-9a-f]{64}$", id);
            Assert.Equal(id, Support.IdOf(_d, name));   // the same container, seen by our CLI

            string ps = Docker("ps", "-a", "--filter", "name=" + name, "--format", "{{.ID}} {{.Image}} {{.Names}} {{.Status}}").Ok().Stdout.Trim();
            Assert.StartsWith($"{id[..12]} busybox {name} Up", ps);

            Support.WaitUntil(() => Docker("logs", name).Stdout == "hello\n", TimeSpan.FromSeconds(10), "the container's first line");
            CommandResult logs = Docker("logs", name).Ok();
            Assert.Equal("hello\n", logs.Stdout);
            Assert.Equal("oops\n", logs.Stderr);

            Assert.Equal("42\n", Docker("exec", name, "sh", "-c", "echo $((6*7))").Ok().Stdout);
            Assert.Equal("piped\n", DockerWithInput("piped\n", "exec", "-i", name, "cat").Ok().Stdout);
            Assert.Equal(5, Docker("exec", name, "sh", "-c", "exit 5").ExitCode);
            // The CLI asks for the exit code as soon as the output ends; it must already be known (it once read as 0).
            for (int i = 0; i < 15; i++)
                Assert.Equal(1, Docker("exec", name, "sh", "-c", "echo no >&2; exit 1").ExitCode);

            Assert.Equal(name, Docker("stop", "-t", "1", name).Ok().Stdout.Trim());
            Assert.Equal("137", Docker("inspect", "--format", "{{.State.ExitCode}}", name).Ok().Stdout.Trim());   // sleep as PID 1 ignores SIGTERM
            Assert.Equal("exited", Docker("inspect", "--format", "{{.State.Status}}", name).Ok().Stdout.Trim());

            Assert.Equal(name, Docker("rm", name).Ok().Stdout.Trim());
            Assert.Equal("", Docker("ps", "-a", "-q", "--filter", "name=" + name).Ok().Stdout.Trim());
            Assert.Empty(HostState.CgroupsOf(id));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Docker_inspect_exit_code_of_a_container_that_exited_by_itself()
    {
        string name = Support.Unique("dkexit");
        try
        {
            Docker("run", "--name", name, "busybox", "sh", "-c", "exit 9");
            Assert.Equal("9", Docker("inspect", "--format", "{{.State.ExitCode}}", name).Ok().Stdout.Trim());
            Assert.Equal("9", Docker("wait", name).Ok().Stdout.Trim());
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Docker_run_it_gets_a_raw_tty_of_the_callers_size()
    {
        CommandResult r = Daemon.Exec("script", ["-qec",
            $"stty rows 27 cols 91; {DockerCli.Path} --config {_docker.ConfigDir} -H {_d.Host} run -it --rm busybox sh -c 'stty size; tty'", "/dev/null"], stdin: "", timeoutMs: 60_000);
        output.WriteLine(r.ToString());
        string[] lines = r.Stdout.Replace("^@", "").Replace("^D", "").Lines();
        Assert.Contains("27 91", lines);
        Assert.Contains("/dev/pts/0", lines);
    }

    [Fact]
    public void Docker_images_lists_the_loaded_images_with_our_ids()
    {
        string[] ours = _d.Run("images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").Ok().Stdout.Lines().Order().ToArray();
        string[] docker = Docker("images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").Ok().Stdout.Lines().Order().ToArray();
        Assert.Contains(docker, l => l.StartsWith("busybox:latest sha256:", StringComparison.Ordinal));
        Assert.Contains(docker, l => l.StartsWith("mc-probe:latest sha256:", StringComparison.Ordinal));
        Assert.Equal(ours, docker);
    }

    [Fact]
    public void Image_inspect_and_container_inspect_fix_the_type_as_the_docker_cli_does()
    {
        string id = _d.Run("image", "inspect", "-f", "{{.Id}}", "busybox").Ok().Stdout;
        Assert.StartsWith("sha256:", id);
        Assert.Equal(id, Docker("image", "inspect", "-f", "{{.Id}}", "busybox").Ok().Stdout);
        var ours = _d.Run("container", "inspect", "busybox");
        Assert.Equal(1, ours.ExitCode);
        Assert.Contains("No such container: busybox", ours.Stderr);
        Assert.Equal(1, Docker("container", "inspect", "busybox").ExitCode);
        Assert.NotEqual(0, _d.Run("image", "inspect", "--size", "busybox").ExitCode);   // --size is container inspect's alone
    }

    [Fact]
    public void A_reference_filter_shows_only_the_names_it_matches_as_dockerd_does()
    {
        string tag = Support.Unique("alias") + ":v1";
        _d.Run("tag", "busybox", tag).Ok();
        try
        {
            const string format = "{{.Repository}}:{{.Tag}}";
            Assert.Equal("busybox:latest\n", _d.Run("images", "--format", format, "busybox").Ok().Stdout);
            Assert.Equal("busybox:latest\n", Docker("images", "--format", format, "busybox").Ok().Stdout);
            Assert.Equal(tag + "\n", Docker("images", "--format", format, "--filter", "reference=" + tag[..4] + "*").Ok().Stdout);
        }
        finally { _d.Run("rmi", tag).Ok(); }
    }
}
