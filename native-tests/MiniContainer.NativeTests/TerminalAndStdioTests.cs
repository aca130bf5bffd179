using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// stdin with -i, a real pseudo-terminal with -t (window size, job control, ^C), and `exec` into a running container:
/// all of its namespaces, -e -w -u -i -d, exit codes, and a clear failure when the container is stopped.
/// The terminal is driven by util-linux `script` (a pty whose size is set with stty) and by tmux (a window that is resized
/// and sent keys), both run against this class's daemon.
/// </summary>
public sealed class TerminalAndStdioTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    // ---- stdin ----

    [Fact]
    public void Run_i_streams_stdin_to_the_container_and_ends_it_at_EOF()
    {
        CommandResult r = _d.RunWithInput("x\n", "run", "-i", "--rm", "busybox", "cat");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("x\n", r.Stdout);
    }

    [Fact]
    public void Run_i_carries_two_megabytes_of_stdin_intact()
    {
        string data = Convert.ToBase64String(RandomNumberGenerator.GetBytes(1536 * 1024));   // 2 MiB of text
        string expected = Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(data)));
        CommandResult r = _d.RunWithInput(data, "run", "-i", "--rm", "busybox", "sh", "-c", "md5sum; wc -c < /dev/null");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith(expected, r.Stdout);
    }

    [Fact]
    public void Without_i_the_container_does_not_read_the_callers_stdin()
    {
        CommandResult r = _d.RunWithInput("should not arrive\n", "run", "--rm", "busybox", "cat");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stdout);
    }

    // ---- a real terminal ----

    /// <summary>Runs <paramref name="commandLine"/> under `script` in a pty of <paramref name="rows"/>x<paramref name="cols"/>.</summary>
    /// <remarks>
    /// `script` reads EOF on its stdin at once and then writes the terminal's EOF character into the pty; the CLI, in raw
    /// mode, passes it on and the container's terminal echoes it ("^@" or "^D"). Those echoes are removed here.
    /// </remarks>
    private CommandResult InPty(int rows, int cols, string commandLine)
    {
        CommandResult r = Daemon.Exec("script", ["-qec", $"stty rows {rows} cols {cols}; {commandLine}", "/dev/null"], stdin: "", timeoutMs: 60_000);
        output.WriteLine($"script -qec \"... {commandLine}\": {r}");
        return r with { Stdout = r.Stdout.Replace("^@", "").Replace("^D", "") };
    }

    [Fact]
    public void Run_it_gives_a_pty_of_the_callers_size_as_dev_pts_0()
    {
        CommandResult r = InPty(33, 111, $"{Support.CliLine(_d)} run -it --rm busybox sh -c 'stty size; tty; test -t 0 && test -t 1 && test -t 2 && echo all-ttys'");
        string[] lines = r.Stdout.Lines();
        Assert.Contains("33 111", lines);
        Assert.Contains("/dev/pts/0", lines);
        Assert.Contains("all-ttys", lines);
    }

    [Fact]
    public void Run_t_makes_the_pty_the_controlling_terminal_of_a_session_leader()
    {
        // Fields 6, 7, 8 of /proc/PID/stat: session id, controlling tty (nonzero when there is one), foreground process group.
        CommandResult r = InPty(24, 80, $"{Support.CliLine(_d)} run -it --rm busybox sh -c 'echo stat: $(cut -d\" \" -f6,7,8 /proc/$$/stat)'");
        string[] f = r.Stdout.Lines().Single(l => l.StartsWith("stat: ", StringComparison.Ordinal))[6..].Split(' ');
        Assert.Equal("1", f[0]);      // PID 1 leads its own session
        Assert.NotEqual("0", f[1]);   // and has the pty as its controlling terminal
        Assert.NotEqual("-1", f[2]);  // with a foreground process group
    }

    [Fact]
    public void Run_it_under_tmux_follows_resizes_and_has_job_control()
    {
        string name = Support.Unique("tty");
        string socket = Path.Combine(_d.Root, name + ".tmux");   // a private tmux server, removed with the daemon's root
        string exitFile = Path.Combine(_d.Root, name + ".exit");
        CommandResult Tmux(params string[] args) => Daemon.Exec("tmux", new[] { "-S", socket }.Concat(args).ToArray(), timeoutMs: 10_000);
        string Pane() => Tmux("capture-pane", "-p", "-t", "t", "-S", "-200").Stdout;
        void WaitForPane(string text, string what)
        {
            try { Support.WaitUntil(() => Pane().Contains(text), TimeSpan.FromSeconds(10), what); }
            catch (TimeoutException) { output.WriteLine("pane:\n" + Pane()); throw; }
        }
        try
        {
            Tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30",
                $"{Support.CliLine(_d)} run -it --rm --name {name} busybox sh; echo $? > {exitFile}; sleep 60").Ok("tmux new-session");
            WaitForPane("/ #", "the shell prompt");

            // Resized the moment the prompt shows, while the CLI's own first resize may still be on its way (the two
            // once raced and the old size won), then again later; the shell sees each new size.
            void ResizeAndSee(int cols, int rows)
            {
                Tmux("resize-window", "-t", "t", "-x", cols.ToString(), "-y", rows.ToString()).Ok("tmux resize-window");
                // The resize travels tmux → SIGWINCH → CLI → POST /resize → shim → TIOCSWINSZ; on a loaded machine that
                // can take longer than one prompt, so ask again until it arrives (or the wait times out).
                string expected = $"{rows} {cols}";
                var sw = System.Diagnostics.Stopwatch.StartNew();
                try
                {
                    Support.WaitUntil(() =>
                    {
                        if (Pane().Contains(expected)) return true;
                        Tmux("send-keys", "-t", "t", "stty size", "Enter");
                        Thread.Sleep(200);
                        return Pane().Contains(expected);
                    }, TimeSpan.FromSeconds(10), $"stty size to follow the resize to {expected} (SIGWINCH → resize of the container's pty)");
                }
                catch (TimeoutException)
                {
                    // Which hop lost it: the pane's own size (tmux's side), and the daemon's log of each request (--debug),
                    // which tells a resize that never left the CLI from one the daemon answered.
                    output.WriteLine("tmux's pane: " + Tmux("display-message", "-p", "-t", "t", "#{pane_height} #{pane_width}").Stdout);
                    output.WriteLine("pane:\n" + Pane());
                    output.WriteLine("the daemon's resize requests:\n" + string.Join("\n",
                        File.ReadLines(_d.LogFile).Where(l => l.Contains("/resize"))));
                    throw;
                }
                output.WriteLine($"the resize to {expected} reached the container within {sw.ElapsedMilliseconds} ms");
            }
            ResizeAndSee(120, 40);
            ResizeAndSee(90, 25);

            // ^C interrupts the foreground job, not the shell.
            Tmux("send-keys", "-t", "t", "sleep 1000", "Enter");
            Thread.Sleep(500);
            Tmux("send-keys", "-t", "t", "C-c");
            Thread.Sleep(300);
            Tmux("send-keys", "-t", "t", "echo after-int-$?", "Enter");
            WaitForPane("after-int-130", "^C to end sleep with SIGINT (status 130)");

            // ^Z stops it; the shell's job table shows it.
            Tmux("send-keys", "-t", "t", "sleep 1000", "Enter");
            Thread.Sleep(500);
            Tmux("send-keys", "-t", "t", "C-z");
            Thread.Sleep(300);
            Tmux("send-keys", "-t", "t", "jobs", "Enter");
            WaitForPane("Stopped", "^Z to stop sleep (job control)");
            Tmux("send-keys", "-t", "t", "kill -9 %1; wait; echo killed-job", "Enter");
            WaitForPane("killed-job", "the stopped job to be killed");
            Tmux("send-keys", "-t", "t", "jobs", "Enter");   // reports "Killed" and forgets the job, so exit does not warn
            WaitForPane("Killed", "the shell to report the killed job");

            Tmux("send-keys", "-t", "t", "exit 3", "Enter");
            try { Support.WaitUntil(() => File.Exists(exitFile) && File.ReadAllText(exitFile).Trim().Length > 0, TimeSpan.FromSeconds(10), "the CLI to exit"); }
            finally { output.WriteLine("pane:\n" + Pane()); }
            Assert.Equal("3", File.ReadAllText(exitFile).Trim());
        }
        finally
        {
            Tmux("kill-server");
            _d.Run("rm", "-f", name);
        }
    }

    [Fact]
    public async Task A_resize_is_applied_when_the_daemon_answers_and_the_last_of_many_wins()
    {
        string name = Support.Unique("resize");
        _d.Run("run", "-d", "-t", "--name", name, "busybox", "sh").Ok();
        try
        {
            using var api = _d.ApiClient(new Uri("http://docker/v1.47/"));
            async Task Resize(int rows, int cols) =>
                (await api.PostAsync($"containers/{name}/resize?h={rows}&w={cols}", null)).EnsureSuccessStatusCode();
            string Seen() => _d.Run("exec", name, "stty", "-F", "/dev/pts/0", "size").Ok().Stdout.Trim();

            // Each answer means the container's terminal has the new size: the next look sees it, no waiting.
            for (int i = 0; i < 10; i++)
            {
                await Resize(20 + i, 60 + i);
                Assert.Equal($"{20 + i} {60 + i}", Seen());
            }
            // Back to back, as a window dragged by its corner sends them: the last one is the size that stays.
            for (int i = 0; i < 30; i++) await Resize(30 + i, 70 + i);
            Assert.Equal("59 99", Seen());
        }
        finally { _d.Run("rm", "-f", name); }
    }

    // ---- exec ----

    private string StartSleeper(string prefix, params string[] runFlags)
    {
        string name = Support.Unique(prefix);
        _d.Run(new[] { "run", "-d", "--name", name }.Concat(runFlags).Concat(new[] { "mc-probe", "sh", "-c", "nsinfo; exec sleep 1000" }).ToArray()).Ok();
        Support.WaitUntil(() => _d.Run("logs", name).Stdout.Contains('{'), TimeSpan.FromSeconds(10), "the container's nsinfo");
        return name;
    }

    [Fact]
    public void Exec_joins_every_namespace_and_the_cgroup_of_the_container()
    {
        string name = StartSleeper("exns");
        try
        {
            NsInfo main = Support.ParseNsInfo(_d.Run("logs", name).Ok().Stdout);
            NsInfo exec = Support.ParseNsInfo(_d.Run("exec", name, "nsinfo").Ok().Stdout);
            Assert.NotEqual(1, exec.Pid);
            foreach (string ns in new[] { "pid", "mnt", "net", "uts", "ipc", "cgroup", "user" })
                Assert.True(main.Ns[ns] == exec.Ns[ns], $"exec is not in the container's {ns} namespace: {main.Ns[ns]} vs {exec.Ns[ns]}");
            Assert.Equal(main.Hostname, exec.Hostname);
            Assert.Equal(main.Cgroups, exec.Cgroups);

            // The same from a shell: /proc/1/ns/* (the container's init) against /proc/self/ns/*.
            CommandResult r = _d.Run("exec", name, "sh", "-c",
                "for n in pid mnt net uts ipc cgroup user; do [ \"$(readlink /proc/1/ns/$n)\" = \"$(readlink /proc/self/ns/$n)\" ] && echo same-$n || echo differ-$n; done").Ok();
            Assert.DoesNotContain("differ", r.Stdout);
            Assert.Equal(7, r.Stdout.Lines().Length);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Exec_honours_e_w_u_and_inherits_the_containers_environment()
    {
        string name = StartSleeper("exenv", "-e", "FROM_RUN=yes");
        try
        {
            CommandResult r = _d.Run("exec", "-e", "FOO=bar baz", "-w", "/tmp", "-u", "nobody", name, "sh", "-c", "echo \"$FOO\"; echo $FROM_RUN; pwd; id -u; id -g").Ok();
            Assert.Equal(new[] { "bar baz", "yes", "/tmp", "65534", "65534" }, r.Stdout.Lines());
            CommandResult root = _d.Run("exec", name, "sh", "-c", "id -u; pwd").Ok();
            Assert.Equal(new[] { "0", "/" }, root.Stdout.Lines());
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Exec_returns_the_commands_exit_code_and_126_for_an_unknown_command()
    {
        string name = StartSleeper("excode");
        try
        {
            Assert.Equal(7, _d.Run("exec", name, "sh", "-c", "exit 7").ExitCode);
            CommandResult nope = _d.Run("exec", name, "nope");
            output.WriteLine(nope.ToString());
            Assert.Equal(126, nope.ExitCode);   // dockerd's code for any exec that could not start (127 is run's)
            Assert.Contains("executable file not found", nope.Stderr + nope.Stdout);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Exec_i_streams_stdin_and_exec_d_runs_in_the_background()
    {
        string name = StartSleeper("exio");
        try
        {
            CommandResult r = _d.RunWithInput("hello\nworld\n", "exec", "-i", name, "sh", "-c", "cat > /tmp/in; wc -l < /tmp/in");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("2", r.Stdout.Trim());

            _d.Run("exec", "-d", name, "sh", "-c", "sleep 0.3; echo done > /tmp/flag").Ok();
            Support.WaitUntil(() => _d.Run("exec", name, "cat", "/tmp/flag").Stdout.Trim() == "done", TimeSpan.FromSeconds(10), "the detached exec to finish");
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Exec_it_gives_a_shell_a_pty_of_the_callers_size_in_the_containers_namespaces()
    {
        string name = StartSleeper("exit");
        try
        {
            CommandResult r = InPty(21, 77, $"{Support.CliLine(_d)} exec -it {name} sh -c 'stty size; tty; [ \"$(readlink /proc/1/ns/pid)\" = \"$(readlink /proc/self/ns/pid)\" ] && echo same-pidns; hostname'");
            string[] lines = r.Stdout.Lines();
            Assert.Contains("21 77", lines);
            Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^/dev/pts/[0-9]+$"));
            Assert.Contains("same-pidns", lines);
            Assert.Contains(Support.IdOf(_d, name)[..12], lines);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Exec_into_a_stopped_container_fails_clearly()
    {
        string name = Support.Unique("exstop");
        try
        {
            _d.Run("run", "--name", name, "busybox", "true").Ok();
            CommandResult r = _d.Run("exec", name, "true");
            output.WriteLine(r.ToString());
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("is not running", r.Stderr);
            Assert.Equal("exited", Support.Inspect(_d, name, "{{.State.Status}}"));
        }
        finally { _d.Run("rm", "-f", name); }
    }
}
