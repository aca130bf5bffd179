using System.Net.Sockets;
using System.Text;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// The daemon's files and socket are root's: another host user (nobody) cannot run what a container planted in
/// its writable layer, read a container's config, or talk to the API, unless the daemon names a group (--group).
/// </summary>
public sealed class HostFilesTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    /// <summary>Runs a program as the host user nobody, with no supplementary groups (or only <paramref name="group"/>).
    /// Through a shell: setpriv keeps root's effective capabilities until its own execve, so the path of the program it
    /// starts is resolved with CAP_DAC_OVERRIDE; sh is started that way, but the program sh execs is not.</summary>
    internal static CommandResult AsNobody(string? group, params string[] command) =>
        Daemon.Exec("setpriv", ["--reuid=nobody", "--regid=nogroup", group is null ? "--clear-groups" : $"--groups={group}",
                                "/bin/sh", "-c", "exec \"$@\"", "sh", .. command]);

    internal static string Mode(string path) => Daemon.Exec("stat", ["-c", "%a %U:%G", path]).Ok().Stdout.Trim();

    [Fact]
    public void Nobody_cannot_run_a_setuid_file_from_a_containers_upper_dir_nor_read_its_config_nor_use_the_socket()
    {
        string name = Support.Unique("hostfiles");
        _d.Run("run", "--name", name, "-e", "DB_PASSWORD=s3cret-pw", "busybox", "sh", "-c",
               "mkdir /plant && cp /bin/busybox /plant/busybox && chmod u+s /plant/busybox").Ok();
        try
        {
            string id = Support.IdOf(_d, name);
            string upper = Support.Inspect(_d, name, "{{.GraphDriver.Data.UpperDir}}");
            string planted = Path.Combine(upper, "plant", "busybox");   // named busybox: the multi-call binary goes by its name
            string dir = Path.Combine(_d.DataRoot, "containers", id);
            string config = Path.Combine(dir, "config.v2.json");

            // The plant is there, setuid root, and the secret is in the config: root sees both.
            Assert.Equal("4755 root:root", Mode(planted));
            Assert.Contains("s3cret-pw", File.ReadAllText(config));
            Assert.Equal("0", Daemon.Exec(planted, ["id", "-u"]).Ok().Stdout.Trim());

            var run = AsNobody(null, planted, "id", "-u");
            output.WriteLine("nobody runs the plant: " + run);
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("Permission denied", run.Stderr);
            var read = AsNobody(null, "cat", config);
            Assert.NotEqual(0, read.ExitCode);
            Assert.DoesNotContain("s3cret-pw", read.Stdout);
            var spec = AsNobody(null, "cat", Path.Combine(dir, "spec.json"));
            Assert.NotEqual(0, spec.ExitCode);

            // The modes themselves, as documented (no --userns-remap, no --group).
            Assert.Equal("710 root:root", Mode(_d.DataRoot));
            Assert.Equal("700 root:root", Mode(Path.Combine(_d.DataRoot, "containers")));
            Assert.Equal("700 root:root", Mode(dir));
            foreach (string sub in new[] { "layers", "volumes", "images", "blobs", "networks", "tmp" })
                Assert.Equal("700 root:root", Mode(Path.Combine(_d.DataRoot, sub)));
            Assert.Equal("700 root:root", Mode(_d.ExecRoot));
            foreach (string file in new[] { "config.v2.json", "spec.json", "exit.json", id + "-json.log" })
                Assert.Equal("600 root:root", Mode(Path.Combine(dir, file)));
            foreach (string file in new[] { "hosts", "resolv.conf", "hostname" })
                Assert.Equal("644 root:root", Mode(Path.Combine(dir, file)));
            Assert.Equal("660 root:root", Mode(_d.Socket));

            var api = AsNobody(null, Daemon.Cli, "-H", _d.Host, "--no-autostart", "version");
            output.WriteLine("nobody uses the socket: " + api);
            Assert.NotEqual(0, api.ExitCode);
            Assert.Contains("permission denied", api.Stderr, StringComparison.OrdinalIgnoreCase);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Files_bind_mounted_into_a_container_stay_readable_by_a_non_root_user_inside()
    {
        var r = _d.Run("run", "--rm", "--user", "1000:1000", "busybox", "sh", "-c", "cat /etc/hostname /etc/hosts /etc/resolv.conf >/dev/null && echo readable");
        output.WriteLine(r.ToString());
        Assert.Equal("readable", r.Ok().Stdout.Trim());
    }

    [Fact]
    public void A_data_root_with_an_older_versions_loose_modes_is_tightened_at_daemon_start()
    {
        using var d = new Daemon();
        string name = Support.Unique("loose");
        d.Run("create", "--name", name, "-e", "DB_PASSWORD=s3cret-pw", "busybox", "true").Ok();
        string id = Support.IdOf(d, name);
        string dir = Path.Combine(d.DataRoot, "containers", id);
        d.Stop();
        // What an older version left: everything world-readable.
        foreach (string p in new[] { d.DataRoot, Path.Combine(d.DataRoot, "containers"), dir, Path.Combine(d.DataRoot, "images"), d.ExecRoot })
            Daemon.Exec("chmod", ["0755", p]).Ok();
        Daemon.Exec("chmod", ["0644", Path.Combine(dir, "config.v2.json"), Path.Combine(d.DataRoot, "images", "repositories.json")]).Ok();
        Assert.Equal(0, AsNobody(null, "cat", Path.Combine(dir, "config.v2.json")).ExitCode);   // the hole the test closes

        d.Start();
        Assert.Equal("710 root:root", Mode(d.DataRoot));
        Assert.Equal("700 root:root", Mode(Path.Combine(d.DataRoot, "containers")));
        Assert.Equal("700 root:root", Mode(dir));
        Assert.Equal("700 root:root", Mode(Path.Combine(d.DataRoot, "images")));
        Assert.Equal("700 root:root", Mode(d.ExecRoot));
        Assert.Equal("600 root:root", Mode(Path.Combine(dir, "config.v2.json")));
        Assert.Equal("600 root:root", Mode(Path.Combine(d.DataRoot, "images", "repositories.json")));
        Assert.Equal("644 root:root", Mode(Path.Combine(dir, "hosts")));
        Assert.NotEqual(0, AsNobody(null, "cat", Path.Combine(dir, "config.v2.json")).ExitCode);
        d.Run("start", "-a", name).Ok();   // and the container still works
    }

    [Fact]
    public void With_group_a_member_may_use_the_socket_and_others_may_not_and_an_unknown_group_is_an_error()
    {
        string group = "mc-sock-" + Guid.NewGuid().ToString("N")[..6];
        Daemon.Exec("groupadd", [group]).Ok();
        try
        {
            string gid = Daemon.Exec("getent", ["group", group]).Ok().Stdout.Split(':')[2];
            using (var d = new Daemon("--group", group))
            {
                Assert.Equal($"660 root:{group}", Mode(d.Socket));
                Assert.Equal($"710 root:{group}", Mode(d.ExecRoot));
                var member = AsNobody(gid, Daemon.Cli, "-H", d.Host, "--no-autostart", "ps");
                output.WriteLine("member: " + member);
                Assert.Equal(0, member.ExitCode);
                var other = AsNobody(null, Daemon.Cli, "-H", d.Host, "--no-autostart", "version");
                Assert.NotEqual(0, other.ExitCode);
            }

            string root = Directory.CreateTempSubdirectory("mc-test-group-").FullName;
            try
            {
                var unknown = Daemon.Exec(Path.Combine(Daemon.Bin, "minicontainerd"),
                    ["--group", "mc-no-such-group", "--data-root", Path.Combine(root, "data"), "--exec-root", Path.Combine(root, "run"), "--bridge", "none"]);
                output.WriteLine(unknown.ToString());
                Assert.Equal(1, unknown.ExitCode);
                Assert.Contains("no group \"mc-no-such-group\"", unknown.Stderr);
            }
            finally { Directory.Delete(root, recursive: true); }
        }
        finally { Daemon.Exec("groupdel", [group]); }
    }
}

/// <summary>The API's edge: body size limit, type errors, and the -H addresses the daemon and the CLI accept.</summary>
public sealed class ApiEdgeTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    private static long RssKb(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    /// <summary>Sends a request head and then up to <paramref name="bodyBytes"/> of body, stopping when the daemon answers.</summary>
    private async Task<string> SendHugeAsync(bool chunked, long bodyBytes)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_d.Socket));
        using var stream = new NetworkStream(socket);
        string head = "POST /v1.47/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n" +
                      (chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {bodyBytes}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var reply = new StringBuilder();
        var read = Task.Run(async () =>
        {
            byte[] buf = new byte[4096];
            int n;
            try { while ((n = await stream.ReadAsync(buf)) > 0) reply.Append(Encoding.UTF8.GetString(buf, 0, n)); }
            catch (IOException) { }
        });
        byte[] block = Encoding.ASCII.GetBytes("{\"Env\":[\"" + new string('x', 1 << 20));
        Array.Fill(block, (byte)'x', 10, block.Length - 10);
        try
        {
            for (long sent = 0; sent < bodyBytes && !read.IsCompleted; sent += block.Length)
            {
                if (chunked) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{block.Length:x}\r\n"));
                await stream.WriteAsync(block);
                if (chunked) await stream.WriteAsync("\r\n"u8.ToArray());
            }
        }
        catch (IOException) { }   // the daemon answered and closed: the rest is not wanted
        await read.WaitAsync(TimeSpan.FromSeconds(30));
        return reply.ToString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_64_MB_JSON_body_is_refused_with_413_and_the_daemon_stays_small(bool chunked)
    {
        string reply = await SendHugeAsync(chunked, 64L << 20);
        output.WriteLine(reply);
        Assert.StartsWith("HTTP/1.1 413", reply);
        Assert.Contains("\"message\":\"request body too large", reply);
        long rss = RssKb(_d.DaemonPid);
        output.WriteLine($"daemon VmRSS after the refusal: {rss} kB");
        Assert.True(rss < 100 * 1024, $"daemon RSS {rss} kB");
        _d.Run("version").Ok();   // and it still answers
    }

    [Fact]
    public void The_limit_is_configurable_and_streamed_uploads_are_not_limited()
    {
        using var d = new Daemon("--max-request-body", "2k");
        var big = d.Run("run", "--rm", "-e", "X=" + new string('x', 3000), "busybox", "true");
        output.WriteLine(big.ToString());
        Assert.NotEqual(0, big.ExitCode);
        Assert.Contains("request body too large", big.Stderr);
        Assert.Contains("2048 bytes", big.Stderr);
        d.Run("run", "--rm", "-e", "X=small", "busybox", "true").Ok();

        // cp's upload is a stream (a tar of 1 MiB here): not limited.
        string name = Support.Unique("limit");
        string file = Path.Combine(d.Root, "one-mib");
        File.WriteAllBytes(file, new byte[1 << 20]);
        d.Run("create", "--name", name, "busybox", "true").Ok();
        d.Run("cp", file, name + ":/one-mib").Ok();
        d.Run("rm", name).Ok();
    }

    [Fact]
    public void Type_errors_in_a_create_body_answer_400_naming_the_field()
    {
        var memory = _d.Run("run", "--rm", "busybox", "true");   // control: works
        memory.Ok();
        foreach (var (body, field) in new[]
                 {
                     ("{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":\"lots\"}}", "HostConfig.Memory"),
                     ("{\"Image\":\"busybox\",\"Env\":5}", "Env"),
                     ("[1,2]", "JSON object"),
                 })
        {
            var r = Daemon.Exec("curl", ["-s", "-w", "\n%{http_code}", "--unix-socket", _d.Socket, "-H", "Content-Type: application/json",
                                         "-d", body, "http://docker/v1.47/containers/create"]);
            output.WriteLine(r.Stdout);
            string[] lines = r.Stdout.Lines();
            Assert.Equal("400", lines[^1]);
            Assert.Contains(field, lines[0]);
            Assert.StartsWith("{\"message\":", lines[0]);
        }
    }

    [Fact]
    public void Tcp_hosts_are_refused_by_the_daemon_and_the_cli_and_make_no_file()
    {
        string cwd = Directory.CreateTempSubdirectory("mc-test-tcp-").FullName;
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(Daemon.Bin, "minicontainerd"))
            {
                WorkingDirectory = cwd, RedirectStandardError = true, RedirectStandardOutput = true,
            };
            foreach (string a in new[] { "-H", "tcp://127.0.0.1:23750", "--data-root", Path.Combine(cwd, "data"), "--exec-root", Path.Combine(cwd, "run") })
                psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(10_000));
            output.WriteLine(err);
            Assert.NotEqual(0, p.ExitCode);
            Assert.Contains("TLS", err);
            Assert.Contains("unix://", err);
            Assert.Empty(Directory.GetFileSystemEntries(cwd));   // no ./tcp:/127.0.0.1:23750 socket, no data root

            var cli = Daemon.Exec(Daemon.Cli, ["-H", "tcp://127.0.0.1:23750", "ps"]);
            Assert.NotEqual(0, cli.ExitCode);
            Assert.Contains("TLS", cli.Stderr);
            var relative = Daemon.Exec(Daemon.Cli, ["-H", "unix://relative.sock", "ps"]);
            Assert.NotEqual(0, relative.ExitCode);
            Assert.Contains("absolute", relative.Stderr);
        }
        finally { Directory.Delete(cwd, recursive: true); }
    }

    [Fact]
    public void The_cli_does_not_start_a_daemon_for_a_socket_given_with_H()
    {
        string socket = $"/tmp/mc-test-nodaemon-{Guid.NewGuid().ToString("N")[..8]}.sock";
        var r = Daemon.Exec(Daemon.Cli, ["-H", "unix://" + socket, "ps"]);
        output.WriteLine(r.ToString());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"Cannot connect to the MiniContainer daemon at unix://{socket}. Is minicontainerd running?", r.Stderr);
        Assert.False(File.Exists(socket));
        Assert.DoesNotContain(Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)),
            pid => { try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains(socket); } catch (IOException) { return false; } });
    }
}
