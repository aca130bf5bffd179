using System.Diagnostics;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Containers outlive the daemon: while it is stopped they keep running and logging (their shims carry on), and the
/// next daemon reattaches to them (ps, logs, exec, stop, exit code) or records how they ended while it was away.
/// A second daemon on the same data root refuses to start.
/// </summary>
public sealed class DaemonRestartTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    private const string Counter = "trap 'echo got-TERM; exit 7' TERM; i=0; while true; do i=$((i+1)); echo line$i; usleep 100000; done";

    private static int CountLines(string logPath) => File.Exists(logPath) ? File.ReadLines(logPath).Count() : 0;

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}");

    [Fact]
    public void A_container_keeps_running_and_logging_while_the_daemon_is_down_and_the_new_daemon_reattaches()
    {
        string name = Support.Unique("survivor");
        try
        {
            _d.Run("run", "-d", "--name", name, "busybox", "sh", "-c", Counter).Ok();
            string id = Support.IdOf(_d, name);
            int pid = int.Parse(Support.Inspect(_d, name, "{{.State.Pid}}"));
            string logPath = Support.Inspect(_d, name, "{{.LogPath}}");
            string startedAt = Support.Inspect(_d, name, "{{.State.StartedAt}}");
            Support.WaitUntil(() => CountLines(logPath) >= 3, TimeSpan.FromSeconds(10), "the first log lines");
            IReadOnlyList<string> shims = Support.ShimsOf(_d);
            output.WriteLine($"container pid {pid}, log {logPath}, shims:\n{string.Join("\n", shims)}");
            Assert.Contains(shims, s => s.Contains(id));

            int oldDaemon = _d.DaemonPid;
            _d.Stop();
            Assert.False(Alive(oldDaemon), "the daemon did not stop");
            int atStop = CountLines(logPath);
            Thread.Sleep(1500);
            int whileDown = CountLines(logPath);
            output.WriteLine($"log lines: {atStop} when the daemon stopped, {whileDown} 1.5 s later");
            Assert.True(Alive(pid), "the container's process died with the daemon");
            Assert.Contains(Support.ShimsOf(_d), s => s.Contains(id));
            Assert.True(whileDown >= atStop + 5, $"the container stopped logging while the daemon was down ({atStop} → {whileDown} lines)");

            _d.Start();
            string ps = _d.Run("ps", "--filter", "name=" + name, "--format", "{{.Names}} {{.Status}}").Ok().Stdout.Trim();
            output.WriteLine("ps after restart: " + ps);
            Assert.StartsWith(name + " Up", ps);
            Assert.Equal($"true {pid} {startedAt}", Support.Inspect(_d, name, "{{.State.Running}} {{.State.Pid}} {{.State.StartedAt}}"));

            // The log carries on without a gap: line1..lineN, including what was written while no daemon was there.
            string[] before = _d.Run("logs", name).Ok().Stdout.Lines();
            Thread.Sleep(1000);
            string[] later = _d.Run("logs", name).Ok().Stdout.Lines();
            Assert.True(later.Length > before.Length, $"the log stopped growing after the restart ({before.Length} → {later.Length})");
            Assert.Equal(Enumerable.Range(1, later.Length).Select(i => "line" + i), later);

            Assert.Equal(id[..12], _d.Run("exec", name, "hostname").Ok("exec after restart").Stdout.Trim());

            var clock = Stopwatch.StartNew();
            _d.Run("stop", name).Ok("stop after restart");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stop took {clock.Elapsed.TotalSeconds:0.0} s: SIGTERM did not reach the reattached container");
            Assert.Equal("exited 7", Support.Inspect(_d, name, "{{.State.Status}} {{.State.ExitCode}}"));
            Assert.Equal("got-TERM", _d.Run("logs", "--tail", "1", name).Ok().Stdout.Trim());
            Assert.False(Alive(pid));
            _d.Run("rm", name).Ok();
            Assert.Empty(HostState.CgroupsOf(id));
            Assert.DoesNotContain(Support.ShimsOf(_d), s => s.Contains(id));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void A_container_that_exits_while_the_daemon_is_down_is_recorded_with_its_exit_code()
    {
        string name = Support.Unique("diedaway");
        try
        {
            // It exits 2 s after starting; the daemon is stopped before that and started again after it.
            _d.Run("run", "-d", "--name", name, "busybox", "sh", "-c", "echo started; sleep 2; echo ending; exit 5").Ok();
            string id = Support.IdOf(_d, name);
            int pid = int.Parse(Support.Inspect(_d, name, "{{.State.Pid}}"));
            _d.Stop();
            Support.WaitUntil(() => !Alive(pid), TimeSpan.FromSeconds(10), "the container to exit while the daemon is down");
            _d.Start();

            Assert.Equal("exited 5 false", Support.Inspect(_d, name, "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}"));
            string ps = _d.Run("ps", "-a", "--filter", "name=" + name, "--format", "{{.Status}}").Ok().Stdout.Trim();
            Assert.StartsWith("Exited (5)", ps);
            Assert.Equal("started\nending\n", _d.Run("logs", name).Ok().Stdout);
            Assert.DoesNotContain(Support.ShimsOf(_d), s => s.Contains(id));
            _d.Run("rm", name).Ok();
            Assert.Empty(HostState.CgroupsOf(id));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    /// <summary>As dockerd does: an --rm container that is not running when the daemon starts is removed then — one
    /// created and never started, and one that exited while the daemon was down. (Its writable layer was mounted
    /// volatile: after a crash of the host it could not be trusted, let alone mounted again.)</summary>
    [Fact]
    public void The_rm_containers_not_running_when_the_daemon_starts_are_removed()
    {
        string created = Support.Unique("rm-created"), exited = Support.Unique("rm-exited"), kept = Support.Unique("kept-created");
        try
        {
            _d.Run("create", "--rm", "--name", created, "busybox", "true").Ok();
            _d.Run("create", "--name", kept, "busybox", "true").Ok();
            _d.Run("run", "-d", "--rm", "--name", exited, "busybox", "sh", "-c", "sleep 1").Ok();
            string createdId = Support.IdOf(_d, created), exitedId = Support.IdOf(_d, exited);
            int pid = int.Parse(Support.Inspect(_d, exited, "{{.State.Pid}}"));
            _d.Stop();
            Support.WaitUntil(() => !Alive(pid), TimeSpan.FromSeconds(10), "the --rm container to exit while the daemon is down");
            _d.Start();

            string all = _d.Run("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}").Ok().Stdout;
            output.WriteLine(all);
            Assert.DoesNotContain(createdId, all);
            Assert.DoesNotContain(exitedId, all);
            Assert.Contains(kept, all);   // without --rm it stays
            Assert.False(Directory.Exists(Path.Combine(_d.DataRoot, "containers", createdId)), "the created --rm container's directory is still there");
            Assert.False(Directory.Exists(Path.Combine(_d.DataRoot, "containers", exitedId)), "the exited --rm container's directory is still there");
            Assert.Empty(HostState.CgroupsOf(exitedId));
        }
        finally { foreach (string n in new[] { created, exited, kept }) _d.Run("rm", "-f", n); }
    }

    /// <summary>
    /// An --rm container's record is saved without an fsync (a crash of the host removes it whatever it says), so what a
    /// crash can leave of it is the older record, an empty one or none. A crash of the daemon alone loses nothing: a
    /// running --rm container is found running and removed when it exits. Records lost that way are removed when the
    /// daemon starts; a record that is there but does not parse is left for a person to look at.
    /// </summary>
    [Fact]
    public void A_running_rm_container_is_reattached_and_records_a_crash_lost_are_removed()
    {
        string live = Support.Unique("rm-live");
        string containers = Path.Combine(_d.DataRoot, "containers");
        string Lost(char c) => Path.Combine(containers, new string(c, 64));
        string unparsable = Lost('d'), notAnId = Path.Combine(containers, Support.Unique("not-an-id"));
        try
        {
            _d.Run("run", "-d", "--rm", "--name", live, "busybox", "sleep", "60").Ok();
            string liveId = Support.IdOf(_d, live);
            _d.Stop();
            foreach (string dir in new[] { Lost('a'), Lost('b'), Lost('c'), unparsable, notAnId })
                Directory.CreateDirectory(Path.Combine(dir, "upper"));
            File.WriteAllBytes(Path.Combine(Lost('a'), "config.v2.json"), []);
            File.WriteAllBytes(Path.Combine(Lost('b'), "config.v2.json"), new byte[4096]);
            // Lost('c') has no record at all: a create cut short before its save.
            File.WriteAllText(Path.Combine(unparsable, "config.v2.json"), "{\"Id\": 12");
            _d.Start();

            Assert.Equal("running", Support.Inspect(_d, live, "{{.State.Status}}"));
            foreach (char c in "abc")
                Assert.False(Directory.Exists(Lost(c)), $"{Lost(c)} (a record lost in a crash) is still there");
            Assert.True(Directory.Exists(unparsable), "a record that does not parse was removed");
            Assert.True(Directory.Exists(notAnId), "a directory not named by a container id was removed");
            Assert.Contains("removing " + Lost('a'), File.ReadAllText(_d.LogFile));

            _d.Run("stop", "-t", "1", live).Ok();
            Support.WaitUntil(() => !_d.Run("ps", "-a", "--no-trunc", "-q").Ok().Stdout.Contains(liveId), TimeSpan.FromSeconds(10), "the --rm container's removal after its exit");
            Assert.False(Directory.Exists(Path.Combine(containers, liveId)));
        }
        finally
        {
            _d.Run("rm", "-f", live);
            foreach (string dir in new[] { Lost('a'), Lost('b'), Lost('c'), unparsable, notAnId })
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_second_daemon_on_the_same_data_root_refuses_to_start_with_a_clear_message()
    {
        string other = Path.Combine(_d.Root, "second");
        Directory.CreateDirectory(other);
        string socket = Path.Combine(other, "second.sock");
        var psi = new ProcessStartInfo(Path.Combine(Daemon.Bin, "minicontainerd")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--data-root", _d.DataRoot, "-H", "unix://" + socket, "--exec-root", Path.Combine(other, "run") }) psi.ArgumentList.Add(a);
        using Process second = Process.Start(psi)!;
        Task<string> stdout = second.StandardOutput.ReadToEndAsync(), stderr = second.StandardError.ReadToEndAsync();
        bool exited = second.WaitForExit(15_000);
        if (!exited) second.Kill(entireProcessTree: true);
        second.WaitForExit();
        string message = stdout.Result + stderr.Result;
        output.WriteLine($"second daemon: exit {second.ExitCode}\n{message}");

        Assert.True(exited, "a second daemon on the same data root kept running");
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains(_d.DataRoot, message);
        Assert.Contains(_d.DaemonPid.ToString(), message);        // names the daemon that holds it
        Assert.False(File.Exists(socket), "the second daemon left a socket behind");
        // The first daemon is unharmed.
        _d.Run("run", "--rm", "busybox", "true").Ok("the first daemon after the second one's attempt");
    }

    /// <summary>
    /// A container's hostname, hosts, resolv.conf and log are written at create without an fsync (they follow from its
    /// record, which is written durably), so a crash right after create may lose or empty them. Its start restores them.
    /// </summary>
    [Fact]
    public void A_start_restores_the_etc_files_and_log_that_a_crash_after_create_lost()
    {
        string name = Support.Unique("lost-etc");
        try
        {
            _d.Run("create", "--name", name, "--hostname", "kept-name", "--dns", "10.9.8.7", "--network", "none",
                "--add-host", "db.example:10.1.2.3", "busybox", "sh", "-c", "cat /etc/hostname /etc/resolv.conf /etc/hosts").Ok();
            string hostname = Support.Inspect(_d, name, "{{.HostnamePath}}"), resolv = Support.Inspect(_d, name, "{{.ResolvConfPath}}"),
                   hosts = Support.Inspect(_d, name, "{{.HostsPath}}"), log = Support.Inspect(_d, name, "{{.LogPath}}");
            File.WriteAllText(hostname, "");   // what a crash before writeback can leave: an empty file, or none
            File.Delete(resolv);
            File.Delete(hosts);
            File.Delete(log);

            _d.Run("start", "-a", name).Ok();
            string seen = _d.Run("logs", name).Ok().Stdout;
            output.WriteLine(seen);
            Assert.Contains("kept-name", seen);
            Assert.Contains("nameserver 10.9.8.7", seen);
            Assert.Contains("10.1.2.3\tdb.example", seen);
            // restored as create writes them: readable by any user inside, writable by root only
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(resolv));
        }
        finally { _d.Run("rm", "-f", name); }
    }
}
