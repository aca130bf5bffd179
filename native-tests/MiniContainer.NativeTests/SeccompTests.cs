using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Seccomp and no-new-privileges, seen from inside a container by the secprobe program (raw system calls, the
/// kernel's answer printed per check): Docker's default profile by default, --security-opt seccomp=unconfined,
/// a profile file of the test's own (through our CLI and through the real docker CLI), --cap-add SYS_ADMIN,
/// no-new-privileges, exec, --user, and bad options refused with nothing left behind.
/// </summary>
[Trait("Lane", "vm")]  // also run in the pure-cgroup-v2 VM by scripts/vm-test.sh
public sealed class SeccompTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly string _work = Directory.CreateTempSubdirectory("mc-seccomp-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    /// <summary>secprobe's "check result" lines as a map (for "mkdir PATH" the key is "mkdir PATH").</summary>
    internal static Dictionary<string, string> Parse(string stdout)
    {
        var result = new Dictionary<string, string>();
        foreach (string line in stdout.Lines())
        {
            int space = line.LastIndexOf(' ');
            if (space > 0) result[line[..space]] = line[(space + 1)..];
        }
        return result;
    }

    private Dictionary<string, string> Probe(params string[] runArgs)
    {
        CommandResult r = _d.Run(["run", "--rm", .. runArgs]).Ok();
        output.WriteLine($"run {string.Join(' ', runArgs)} →\n{r.Stdout}");
        return Parse(r.Stdout);
    }

    private string WriteProfile(string json)
    {
        string path = Path.Combine(_work, Support.Unique("profile") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private const string DenyMkdir =
        """{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}""";

    [Fact]
    public void A_default_container_runs_under_Dockers_default_profile()
    {
        var p = Probe("mc-probe", "secprobe", "status", "userns", "userns-mount", "mount", "keyctl", "add_key", "request_key", "clone3",
            "personality", "kexec", "bpf", "io_uring", "mkdir", "/tmp/seccomp-ok");
        Assert.Equal("2", p["Seccomp"]);
        Assert.Equal("0", p["NoNewPrivs"]);
        Assert.Equal("EPERM", p["userns"]);
        Assert.Equal("EPERM", p["userns-mount"]);
        Assert.Equal("EPERM", p["mount"]);
        Assert.Equal("EPERM", p["keyctl"]);
        Assert.Equal("EPERM", p["add_key"]);
        Assert.Equal("EPERM", p["request_key"]);
        Assert.Equal("ENOSYS", p["clone3"]);   // so that libc falls back to clone, whose flags the filter can see
        Assert.Equal("EPERM", p["personality"]);
        Assert.Equal("EPERM", p["kexec"]);
        Assert.Equal("EPERM", p["bpf"]);
        Assert.Equal("EPERM", p["io_uring"]);
        Assert.Equal("ok", p["mkdir /tmp/seccomp-ok"]);   // ordinary calls are untouched
        // A shell, its pipes and its children all work under the filter.
        Assert.Equal("3", _d.Run("run", "--rm", "busybox", "sh", "-c", "echo a b c | wc -w").Ok().Stdout.Trim());
    }

    [Fact]
    public void Seccomp_unconfined_lifts_the_filter()
    {
        var p = Probe("--security-opt", "seccomp=unconfined", "mc-probe", "secprobe", "status", "keyctl", "add_key", "userns", "clone3");
        Assert.Equal("0", p["Seccomp"]);
        Assert.Equal("ok", p["keyctl"]);
        Assert.Equal("ok", p["add_key"]);
        Assert.Equal("ok", p["userns"]);           // what stopped it was the filter alone
        Assert.NotEqual("ENOSYS", p["clone3"]);    // the kernel's own answer to a NULL clone_args
    }

    [Fact]
    public void A_profile_file_of_ones_own_is_applied_through_our_cli()
    {
        string profile = WriteProfile(DenyMkdir);
        var p = Probe("--security-opt", "seccomp=" + profile, "mc-probe", "secprobe", "status", "mkdir", "/tmp/denied", "keyctl");
        Assert.Equal("2", p["Seccomp"]);
        Assert.Equal("EACCES", p["mkdir /tmp/denied"]);
        Assert.Equal("ok", p["keyctl"]);   // this profile's default is allow
    }

    [Fact]
    public void A_profile_file_of_ones_own_is_applied_through_the_docker_cli()
    {
        using var docker = new DockerCli(_d, output);
        string profile = WriteProfile(DenyMkdir.Replace("13", "30"));   // EROFS
        CommandResult r = docker.Run("run", "--rm", "--security-opt", "seccomp=" + profile, "mc-probe", "secprobe", "status", "mkdir", "/tmp/denied").Ok();
        var p = Parse(r.Stdout);
        Assert.Equal("2", p["Seccomp"]);
        Assert.Equal("EROFS", p["mkdir /tmp/denied"]);
        CommandResult un = docker.Run("run", "--rm", "--security-opt", "seccomp=unconfined", "mc-probe", "secprobe", "status").Ok();
        Assert.Equal("0", Parse(un.Stdout)["Seccomp"]);
        Assert.Contains("name=seccomp,profile=builtin", docker.Run("info", "--format", "{{json .SecurityOptions}}").Ok().Stdout);
    }

    [Fact]
    public void Cap_add_SYS_ADMIN_brings_the_calls_Docker_allows_with_it()
    {
        var p = Probe("--cap-add", "SYS_ADMIN", "mc-probe", "secprobe", "status", "userns", "mount", "clone3", "keyctl");
        Assert.Equal("2", p["Seccomp"]);
        Assert.Equal("ok", p["userns"]);
        Assert.Equal("ok", p["mount"]);
        Assert.NotEqual("ENOSYS", p["clone3"]);
        Assert.Equal("EPERM", p["keyctl"]);   // no capability brings keyctl
    }

    [Theory]
    [InlineData("no-new-privileges")]
    [InlineData("no-new-privileges=true")]
    [InlineData("no-new-privileges:true")]
    public void No_new_privileges_is_set_for_the_container_and_its_execs(string opt)
    {
        var p = Probe("--security-opt", opt, "mc-probe", "secprobe", "status");
        Assert.Equal("1", p["NoNewPrivs"]);
        Assert.Equal("2", p["Seccomp"]);
        Assert.Equal("0", Probe("--security-opt", "no-new-privileges=false", "mc-probe", "secprobe", "status")["NoNewPrivs"]);

        string name = Support.Unique("nnp");
        try
        {
            _d.Run("run", "-d", "--name", name, "--security-opt", opt, "mc-probe", "sleep", "1000").Ok();
            var e = Parse(_d.Run("exec", name, "secprobe", "status").Ok().Stdout);
            Assert.Equal("1", e["NoNewPrivs"]);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Exec_processes_get_the_containers_filter()
    {
        string a = Support.Unique("sc"), b = Support.Unique("scu"), profile = WriteProfile(DenyMkdir);
        try
        {
            _d.Run("run", "-d", "--name", a, "mc-probe", "sleep", "1000").Ok();
            var e = Parse(_d.Run("exec", a, "secprobe", "status", "keyctl", "userns").Ok().Stdout);
            Assert.Equal("2", e["Seccomp"]);
            Assert.Equal("EPERM", e["keyctl"]);
            Assert.Equal("EPERM", e["userns"]);
            Assert.Equal("2", Parse(_d.Run("exec", "-u", "1000", a, "secprobe", "status").Ok().Stdout)["Seccomp"]);

            _d.Run("run", "-d", "--name", b, "--security-opt", "seccomp=" + profile, "mc-probe", "sleep", "1000").Ok();
            var u = Parse(_d.Run("exec", b, "secprobe", "mkdir", "/tmp/x", "keyctl").Ok().Stdout);
            Assert.Equal("EACCES", u["mkdir /tmp/x"]);
            Assert.Equal("ok", u["keyctl"]);
        }
        finally { _d.Run("rm", "-f", a, b); }
    }

    [Fact]
    public void A_non_root_user_is_filtered_too_with_or_without_no_new_privileges()
    {
        var p = Probe("--user", "1000", "mc-probe", "secprobe", "status", "userns", "keyctl", "mkdir", "/tmp/u");
        Assert.Equal("2", p["Seccomp"]);
        Assert.Equal("0000000000000000", p["CapEff"]);
        Assert.Equal("EPERM", p["keyctl"]);
        Assert.Equal("EPERM", p["userns"]);
        Assert.Equal("ok", p["mkdir /tmp/u"]);
        var n = Probe("--user", "1000:1000", "--security-opt", "no-new-privileges", "mc-probe", "secprobe", "status", "keyctl");
        Assert.Equal("2", n["Seccomp"]);
        Assert.Equal("1", n["NoNewPrivs"]);
        Assert.Equal("EPERM", n["keyctl"]);
        var i = Probe("--user", "1000", "--init", "mc-probe", "secprobe", "status");
        Assert.Equal("2", i["Seccomp"]);
    }

    [Fact]
    public void Inspect_shows_the_security_options_as_given()
    {
        string name = Support.Unique("insp");
        try
        {
            _d.Run("create", "--name", name, "--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined", "busybox", "true").Ok();
            Assert.Equal("""["no-new-privileges","seccomp=unconfined"]""", Support.Inspect(_d, name, "{{json .HostConfig.SecurityOpt}}"));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Theory]
    [InlineData("bogus=1", "invalid --security-opt 2: \"bogus=1\"")]
    [InlineData("bogus", "Invalid --security-opt: \"bogus\"")]
    [InlineData("no-new-privileges=maybe", "invalid --security-opt 2: \"no-new-privileges=maybe\"")]
    [InlineData("apparmor=docker-default", "AppArmor is not supported")]
    [InlineData("label=type:spc_t", "SELinux labels are not supported")]
    [InlineData("seccomp=/nonexistent/profile.json", "opening seccomp profile (/nonexistent/profile.json) failed")]
    [InlineData("PROFILE:{\"defaultAction\":\"SCMP_ACT_SOMETIMES\"}", "unknown seccomp action \"SCMP_ACT_SOMETIMES\"")]
    [InlineData("PROFILE:{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}", "invalid argument index 9")]
    [InlineData("PROFILE:{\"defaultAction\":", "compacting json for seccomp profile")]
    public void Bad_options_and_profiles_are_refused_and_leave_nothing_behind(string opt, string expected)
    {
        if (opt.StartsWith("PROFILE:", StringComparison.Ordinal)) opt = "seccomp=" + WriteProfile(opt["PROFILE:".Length..]);
        string before = Support.PsAll(_d);
        var cgroupsBefore = Support.CgroupSnapshot();
        string containers = Path.Combine(_d.DataRoot, "containers");
        // A ".removing-" directory is an earlier test's --rm container, being deleted after its removal was answered.
        string[] Dirs() => Directory.GetDirectories(containers).Where(d => !d.Contains(".removing-")).Order().ToArray();
        string[] dirsBefore = Dirs();
        CommandResult r = _d.Run("run", "--rm", "--security-opt", opt, "busybox", "true");
        output.WriteLine(r.ToString());
        Assert.Equal(125, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Equal(before, Support.PsAll(_d));
        Assert.Empty(Support.LeakedCgroupsSince(cgroupsBefore, TimeSpan.FromSeconds(2)));
        Assert.Equal(dirsBefore, Dirs());
    }

    [Fact]
    public void The_docker_cli_gets_the_same_refusals()
    {
        using var docker = new DockerCli(_d, output);
        string before = Support.PsAll(_d);
        CommandResult r = docker.Run("run", "--rm", "--security-opt", "seccomp=" + WriteProfile("""{"defaultAction":"SCMP_ACT_NOTIFY"}"""), "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("SCMP_ACT_NOTIFY is not supported", r.Stderr);
        r = docker.Run("run", "--rm", "--security-opt", "bogus=1", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("invalid --security-opt 2: \"bogus=1\"", r.Stderr);
        Assert.Equal(before, Support.PsAll(_d));
    }
}

/// <summary>
/// A Dockerfile RUN step gets Docker's default profile too, like Docker's classic builder. Not in the VM lane: there
/// the data root is a tmpfs without user xattrs, which the builder's layer diff needs (a limit of the lane, not of seccomp).
/// </summary>
public sealed class SeccompBuildTests(DaemonFixture fixture) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly string _work = Directory.CreateTempSubdirectory("mc-seccomp-build-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_build_step_runs_under_the_default_profile()
    {
        string context = Directory.CreateDirectory(Path.Combine(_work, "ctx")).FullName;
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM mc-probe\nRUN secprobe status keyctl > /seccomp.txt\n");
        string tag = Support.Unique("mc-seccomp-build").ToLowerInvariant();
        try
        {
            _d.Run("build", "-q", "-t", tag, context).Ok();
            var p = SeccompTests.Parse(_d.Run("run", "--rm", "--security-opt", "seccomp=unconfined", tag, "cat", "/seccomp.txt").Ok().Stdout);
            Assert.Equal("2", p["Seccomp"]);
            Assert.Equal("EPERM", p["keyctl"]);
        }
        finally { _d.Run("rmi", "-f", tag); }
    }
}
