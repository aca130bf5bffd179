using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// minicontainer-runc, the OCI runtime (docs/oci-runtime.md), driven the way containerd and runtime-tools drive runc:
/// an OCI bundle made from the busybox fixture, its own --root state directory, and the two-phase create/start.
/// Every test checks the host afterwards: no state directory, no cgroup, no mount of the bundle's rootfs.
/// </summary>
[Trait("Lane", "vm")]  // also run in the pure-cgroup-v2 VM by scripts/vm-test.sh: the bundle's cgroup limits on v2 (~2 min under TCG)
public sealed partial class OciRuntimeTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _dir = Path.Combine("/tmp", Support.Unique("mc-test-oci"));
    private readonly string _state;
    private static string Runc => Path.Combine(Daemon.Bin, "minicontainer-runc");
    private const string DebianRunc = "/usr/sbin/runc";

    public OciRuntimeTests(ITestOutputHelper output)
    {
        _output = output;
        _state = Path.Combine(_dir, "state");
        Directory.CreateDirectory(_dir);
    }

    [Fact]
    public void Create_holds_the_process_before_execve_until_start_then_kill_and_delete_leave_nothing()
    {
        string bundle = MakeBundle("sh", "-c", "echo started > /tmp/marker; exec sleep 1000");
        string id = Support.Unique("mc-oci");
        string pidFile = Path.Combine(_dir, "pid");
        Call("create", "--bundle", bundle, "--pid-file", pidFile, id).Ok("create");

        JsonObject state = State(id);
        Assert.Equal("created", (string?)state["status"]);
        int pid = (int)state["pid"]!;
        Assert.Equal(pid.ToString(), File.ReadAllText(pidFile));
        Assert.Equal(bundle, (string?)state["bundle"]);
        // Held before execve: the process is still our init stage, and the command has not run.
        Thread.Sleep(300);
        Assert.Contains("oci-init", Cmdline(pid));
        Assert.False(File.Exists(Path.Combine(bundle, "rootfs", "tmp", "marker")), "the command ran before start");
        // It already sits in its namespaces and its cgroup.
        Assert.NotEqual(new FileInfo("/proc/self/ns/pid").LinkTarget, new FileInfo($"/proc/{pid}/ns/pid").LinkTarget);
        Assert.NotEmpty(CgroupDirs(id));
        Assert.Contains(pid.ToString(), File.ReadAllText(Path.Combine(CgroupDirs(id).First(d => d.Contains("/pids/") || Support.CgroupV2), "cgroup.procs")));

        Call("start", id).Ok("start");
        Support.WaitUntil(() => File.Exists(Path.Combine(bundle, "rootfs", "tmp", "marker")), Support.TimeLimit(10), "the command to run after start");
        Assert.Equal("running", (string?)State(id)["status"]);
        Support.WaitUntil(() => Cmdline(pid).StartsWith("sleep 1000"), Support.TimeLimit(10), "execve of the command");
        Assert.Equal(1, Call("start", id).ExitCode);   // started once only

        Call("kill", id, "KILL").Ok("kill");
        Support.WaitUntil(() => (string?)State(id)["status"] == "stopped", Support.TimeLimit(10), "stopped after kill");
        Assert.Equal(0, (int)State(id)["pid"]!);
        Assert.Equal(1, Call("kill", id, "KILL").ExitCode);   // nothing left to signal

        Call("delete", id).Ok("delete");
        AssertNothingLeft(id, bundle);
        Assert.Equal(1, Call("state", id).ExitCode);
    }

    [Fact]
    public void Run_returns_the_exit_code_and_a_failing_create_says_why_and_leaves_nothing()
    {
        string bundle = MakeBundle("sh", "-c", "exit 3");
        string id = Support.Unique("mc-oci");
        Assert.Equal(3, Call("run", "--bundle", bundle, id).ExitCode);
        AssertNothingLeft(id, bundle);

        string missing = MakeBundle("/no/such/program");
        CommandResult r = Call("create", "--bundle", missing, id);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/no/such/program", r.Stderr);
        AssertNothingLeft(id, missing);

        // The process was killed by a signal: 128 + N, as a shell reports it. (Without a PID namespace of its own: as
        // PID 1 of one, the kernel would not let it signal itself.)
        string killed = MakeBundle(c => c["linux"]!["namespaces"]!.AsArray().RemoveAt(0), "sh", "-c", "kill -9 $$");
        Assert.Equal(137, Call("run", "--bundle", killed, id).ExitCode);
        AssertNothingLeft(id, killed);
    }

    [Fact]
    public void What_is_not_honoured_is_refused_before_anything_is_made()
    {
        string id = Support.Unique("mc-oci");
        CommandResult systemd = Call(["--systemd-cgroup"], "create", "--bundle", MakeBundle("true"), id);
        Assert.Equal(1, systemd.ExitCode);
        Assert.Contains("--systemd-cgroup is not supported", systemd.Stderr);

        foreach (var (edit, expected) in new (Action<JsonObject>, string)[]
                 {
                     (c => c["linux"]!["intelRdt"] = new JsonObject { ["closID"] = "x" }, "linux.intelRdt"),
                     (c => c["linux"]!["resources"]!["blockIO"] = new JsonObject { ["weight"] = 10 }, "linux.resources.blockIO"),
                     (c => c["process"]!["apparmorProfile"] = "docker-default", "apparmorProfile"),
                     (c => c["linux"]!["sysctl"] = new JsonObject { ["kernel.panic"] = "1" }, "kernel.panic"),
                     (c => c["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = "/x", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("tmpcopyup") }), "tmpcopyup"),
                 })
        {
            string bundle = MakeBundle(edit, "true");
            CommandResult r = Call("create", "--bundle", bundle, id);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(expected, r.Stderr);
            AssertNothingLeft(id, bundle);
        }
    }

    [Fact]
    public void Config_is_honoured_inside_hostname_user_rlimits_capabilities_readonly_root_and_cgroup_limits()
    {
        string bundle = MakeBundle(c =>
        {
            c["hostname"] = "mc-oci-host";
            c["root"]!["readonly"] = true;
            c["process"]!["user"] = new JsonObject { ["uid"] = 1000, ["gid"] = 1000, ["additionalGids"] = new JsonArray(2000) };
            c["process"]!["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["soft"] = 123, ["hard"] = 456 });
            c["linux"]!["resources"]!["memory"] = new JsonObject { ["limit"] = 64L * 1024 * 1024 };
            c["linux"]!["resources"]!["pids"] = new JsonObject { ["limit"] = 42 };
            c["linux"]!["resources"]!["cpu"] = new JsonObject { ["quota"] = 50000, ["period"] = 100000 };
        }, "sh", "-c", "hostname; id -u; id -g; id -G; ulimit -n; grep CapBnd /proc/self/status; touch /x 2>/dev/null && echo writable || echo read-only; " +
           "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; " +   // v1 || v2
           "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; " +
           "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max");
        string id = Support.Unique("mc-oci");
        string output = Path.Combine(_dir, "out");
        CommandResult r = Call([], ["run", "--bundle", bundle, id], output);
        string text = File.ReadAllText(output);
        _output.WriteLine(text + r.Stderr);
        Assert.Equal(0, r.ExitCode);
        string[] lines = text.Lines();
        Assert.Equal("mc-oci-host", lines[0]);
        Assert.Equal("1000", lines[1]);
        Assert.Equal("1000", lines[2]);
        Assert.Equal("1000 2000", lines[3]);   // the primary group, then exactly additionalGids
        Assert.Equal("123", lines[4]);
        Assert.Equal("CapBnd:\t" + BoundingMask(), lines[5]);
        Assert.Equal("read-only", lines[6]);
        Assert.Equal((64 * 1024 * 1024).ToString(), lines[7]);   // its own cgroup, seen through its cgroup namespace
        Assert.Equal("42", lines[8]);
        Assert.Equal(Support.CgroupV2 ? "50000 100000" : "50000", lines[9]);
        AssertNothingLeft(id, bundle);
    }

    [Fact]
    public void Hooks_run_in_their_phases_with_the_state_on_stdin_and_a_failing_poststart_or_poststop_hook_is_a_warning()
    {
        string log = Path.Combine(_dir, "hooks.log");
        JsonObject Hook(string phase) => new()
        {
            ["path"] = "/bin/sh",
            ["args"] = new JsonArray("sh", "-c", $"echo {phase} $(grep -o '\"status\":\"[a-z]*\"' -) >> {log}"),
        };
        JsonObject Fails() => new() { ["path"] = "/bin/false", ["args"] = new JsonArray("false") };
        string bundle = MakeBundle(c => c["hooks"] = new JsonObject
        {
            ["prestart"] = new JsonArray(Hook("prestart")), ["createRuntime"] = new JsonArray(Hook("createRuntime")),
            // runtime.md: a failing poststart/poststop hook is a warning; the hooks after it and the lifecycle go on.
            ["poststart"] = new JsonArray(Fails(), Hook("poststart")), ["poststop"] = new JsonArray(Fails(), Hook("poststop")),
        }, "true");
        string id = Support.Unique("mc-oci");
        Call("create", "--bundle", bundle, id).Ok("create");
        CommandResult start = Call("start", id);
        start.Ok("start");
        Assert.Contains("poststart hook /bin/false: exit status 1", start.Stderr);
        Support.WaitUntil(() => (string?)State(id)["status"] == "stopped", Support.TimeLimit(10), "true to exit");
        CommandResult delete = Call("delete", id);
        delete.Ok("delete");
        Assert.Contains("poststop hook /bin/false: exit status 1", delete.Stderr);
        Assert.Equal(new[] { "prestart \"status\":\"creating\"", "createRuntime \"status\":\"creating\"", "poststart \"status\":\"running\"", "poststop \"status\":\"stopped\"" },
            File.ReadAllText(log).Lines());
        AssertNothingLeft(id, bundle);
    }

    [Fact]
    public void Exec_joins_the_running_container_and_pause_freezes_it()
    {
        string bundle = MakeBundle("sleep", "1000");
        string id = Support.Unique("mc-oci");
        Call("run", "--detach", "--bundle", bundle, id).Ok("run --detach");
        int pid = (int)State(id)["pid"]!;
        string output = Path.Combine(_dir, "exec-out");
        // A command: the container's own process settings with these args; in its PID and UTS namespaces.
        CommandResult e = Call([], ["exec", id, "sh", "-c", "echo $$; hostname; exit 7"], output);
        Assert.Equal(7, e.ExitCode);
        string[] lines = File.ReadAllText(output).Lines();
        Assert.True(int.Parse(lines[0]) < 100, $"pid {lines[0]} is not from the container's PID namespace");
        Assert.Equal("oci", lines[1]);
        // --process: a runtime-spec process object.
        string process = Path.Combine(_dir, "process.json");
        File.WriteAllText(process, """{"args": ["sh", "-c", "id -u"], "cwd": "/", "user": {"uid": 123, "gid": 0}, "env": ["PATH=/bin"]}""");
        Call([], ["exec", "--process", process, id], output).Ok("exec --process");
        Assert.Equal("123", File.ReadAllText(output).Trim());
        Assert.Equal(1, Call("exec", id, "/no/such/program").ExitCode);

        Assert.Equal($"[{pid}]", Call("ps", "--format", "json", id).Ok("ps").Stdout.Trim());
        Call("pause", id).Ok("pause");
        Assert.Equal("paused", (string?)State(id)["status"]);
        Assert.True(IsFrozen(pid), "the freezer does not hold the process");
        Call("resume", id).Ok("resume");
        Assert.Equal("running", (string?)State(id)["status"]);
        Assert.False(IsFrozen(pid));
        Call("delete", "--force", id).Ok("delete --force");
        AssertNothingLeft(id, bundle);
    }

    /// <summary>What the kernel says of the process's cgroup: v1 freezer.state FROZEN, or v2 cgroup.events "frozen 1".</summary>
    private static bool IsFrozen(int pid)
    {
        string[] lines = File.ReadAllLines($"/proc/{pid}/cgroup");
        string? v1 = lines.FirstOrDefault(l => l.Split(':')[1] == "freezer");
        if (v1 is not null) return File.ReadAllText($"/sys/fs/cgroup/freezer{v1.Split(':')[2]}/freezer.state").Trim() == "FROZEN";
        string v2 = lines.First(l => l.StartsWith("0::")).Split(':')[2];
        return File.ReadAllText($"/sys/fs/cgroup{v2}/cgroup.events").Contains("frozen 1");
    }

    [Fact]
    public async Task A_terminal_goes_to_the_console_socket_as_a_pty_master()
    {
        string bundle = MakeBundle(c => c["process"]!["terminal"] = true, "sh", "-c", "tty; echo hi-from-the-pty");
        string id = Support.Unique("mc-oci");
        string socketPath = Path.Combine(_dir, "console.sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        var accepted = listener.AcceptAsync();
        Call("create", "--bundle", bundle, "--console-socket", socketPath, id).Ok("create");
        using var connection = await accepted;
        var (_, master) = MiniContainer.Linux.Kernel.ReceiveFd((int)connection.Handle);
        Assert.True(master >= 0, "no descriptor came over the console socket");
        Call("start", id).Ok("start");
        var text = new System.Text.StringBuilder();
        var buffer = new byte[1024];
        try
        {
            int n;
            while (!text.ToString().Contains("hi-from-the-pty") && (n = MiniContainer.Linux.Kernel.Read(master, buffer)) > 0)
                text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        }
        catch (MiniContainer.Linux.KernelException) { }   // EIO once the last slave is closed
        finally { MiniContainer.Linux.Kernel.Close(master); }
        _output.WriteLine(text.ToString());
        Assert.Contains("/dev/pts/0", text.ToString());   // its stdio is the container's own devpts
        Assert.Contains("hi-from-the-pty", text.ToString());
        Support.WaitUntil(() => (string?)State(id)["status"] == "stopped", Support.TimeLimit(10), "the shell to exit");
        Call("delete", id).Ok("delete");
        AssertNothingLeft(id, bundle);
    }

    [Fact]
    public void State_has_the_shape_runc_gives_it()
    {
        Assert.True(File.Exists(DebianRunc), $"{DebianRunc} (Debian's runc, installed by scripts/install-deps.sh test) is missing");
        string bundle = MakeBundle("sleep", "1000");
        string id = Support.Unique("mc-oci");
        string runcRoot = Path.Combine(_dir, "runc-state");
        Call("create", "--bundle", bundle, id).Ok("create");
        CommandResult theirs;
        try
        {
            // runc reads the same bundle, under its own id and state root (its cgroup, /ID, goes with its delete).
            Run(DebianRunc, ["--root", runcRoot, "create", "--bundle", bundle, id + "-runc"]).Ok("runc create");
            theirs = Run(DebianRunc, ["--root", runcRoot, "state", id + "-runc"]).Ok("runc state");
        }
        finally
        {
            Run(DebianRunc, ["--root", runcRoot, "delete", "--force", id + "-runc"]);
        }
        JsonObject ours = State(id), runc = JsonNode.Parse(theirs.Stdout)!.AsObject();
        _output.WriteLine(ours.ToJsonString() + "\n" + runc.ToJsonString());
        Assert.Equal(runc.Select(p => p.Key), ours.Select(p => p.Key));   // same fields, same order
        Assert.Equal((string?)runc["status"], (string?)ours["status"]);
        Assert.Equal((string?)runc["bundle"], (string?)ours["bundle"]);
        Assert.Equal((string?)runc["rootfs"], (string?)ours["rootfs"]);
        Call("delete", "--force", id).Ok("delete --force");
        AssertNothingLeft(id, bundle);
    }

    // ---- helpers ----

    private string MakeBundle(params string[] args) => MakeBundle(_ => { }, args);

    /// <summary>A bundle in its own directory: the busybox fixture as rootfs, and the config.json `minicontainer-runc spec`
    /// writes (so that is tried too) without a terminal, with a writable root and hostname "oci", edited by
    /// <paramref name="edit"/>.</summary>
    private string MakeBundle(Action<JsonObject> edit, params string[] args)
    {
        string bundle = Path.Combine(_dir, Support.Unique("bundle"));
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        Run("tar", ["-xf", Path.Combine(Daemon.Fixtures, "busybox-rootfs.tar"), "-C", Path.Combine(bundle, "rootfs")]).Ok("tar");
        Call("spec", "--bundle", bundle).Ok("spec");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!.AsObject();
        config["process"]!["terminal"] = false;
        config["root"]!["readonly"] = false;
        config["hostname"] = "oci";
        config["process"]!["args"] = new JsonArray(args.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray());
        edit(config);
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
        return bundle;
    }

    /// <summary>CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10), as /proc/PID/status prints the mask.</summary>
    private static string BoundingMask() => ((1UL << 29) | (1UL << 5) | (1UL << 10)).ToString("x16");

    private CommandResult Call(params string[] args) => Call([], args);

    private CommandResult Call(string[] globals, params string[] args) => Call(globals, args, null);

    private CommandResult Call(string[] globals, string[] args, string? stdoutFile) =>
        Run(Runc, ["--root", _state, .. globals, .. args], stdoutFile);

    /// <summary>Runs a runtime command with stdin from /dev/null and stdout/stderr in files: a container created by it
    /// inherits them, and a pipe would stay open (and a read of it block) for as long as the container runs.</summary>
    private CommandResult Run(string program, string[] args, string? stdoutFile = null)
    {
        string stdout = stdoutFile ?? Path.Combine(_dir, "stdout"), stderr = Path.Combine(_dir, "stderr");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >\"$MC_OUT\" 2>\"$MC_ERR\"");
        psi.ArgumentList.Add(program);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["MC_OUT"] = stdout;
        psi.Environment["MC_ERR"] = stderr;
        using var p = Process.Start(psi)!;
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException($"{program} {string.Join(' ', args)}"); }
        var r = new CommandResult(p.ExitCode, File.ReadAllText(stdout), File.ReadAllText(stderr));
        _output.WriteLine($"$ {Path.GetFileName(program)} {string.Join(' ', args)} → {r.ExitCode} {r.Stderr.Trim()}");
        return r;
    }

    private JsonObject State(string id) => JsonNode.Parse(Call("state", id).Ok("state").Stdout)!.AsObject();

    private static string Cmdline(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
    }

    private static IReadOnlyList<string> CgroupDirs(string id) =>
        Directory.GetDirectories("/sys/fs/cgroup", "*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3 })
            .Where(d => d.EndsWith("/minicontainer-runc/" + id, StringComparison.Ordinal)).ToList();

    private void AssertNothingLeft(string id, string bundle)
    {
        Assert.False(Directory.Exists(Path.Combine(_state, id)), "the state directory is left");
        Assert.Empty(CgroupDirs(id));
        Assert.Empty(HostState.MountsUnder(bundle));
    }

    public void Dispose()
    {
        // A failed test may leave a container: delete --force each one, then the files.
        if (Directory.Exists(_state))
            foreach (string dir in Directory.GetDirectories(_state)) Call("delete", "--force", Path.GetFileName(dir));
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
