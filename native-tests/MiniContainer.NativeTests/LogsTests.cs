using System.Diagnostics;
using System.Globalization;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `logs` returns exactly what the container wrote, per stream and in order: stdout lines on stdout, stderr lines on
/// stderr, `--tail`, `-t` timestamps that order the two streams, and `-f` that streams while the container runs and ends
/// when it exits.
/// </summary>
public sealed class LogsTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    /// <summary>out1 err1 out2 err2 ... with a pause between writes, so the order across the two streams is well defined.</summary>
    private const string Interleaved = "for i in 1 2 3 4 5; do echo out$i; usleep 30000; echo err$i >&2; usleep 30000; done";

    private string RunToCompletion(string prefix, params string[] command)
    {
        string name = Support.Unique(prefix);
        _d.Run(new[] { "run", "-d", "--name", name }.Concat(command).ToArray()).Ok();
        Assert.Equal("0", _d.Run("wait", name).Ok().Stdout.Trim());
        return name;
    }

    [Fact]
    public void Logs_returns_each_stream_exactly_on_its_own_stream()
    {
        string name = RunToCompletion("logs", "busybox", "sh", "-c", Interleaved);
        try
        {
            CommandResult r = _d.Run("logs", name).Ok();
            Assert.Equal("out1\nout2\nout3\nout4\nout5\n", r.Stdout);
            Assert.Equal("err1\nerr2\nerr3\nerr4\nerr5\n", r.Stderr);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Logs_keeps_blank_lines_spaces_tabs_long_lines_and_a_final_partial_line()
    {
        string longLine = new('x', 20_000);   // longer than Docker's 16 KiB log message: split on disk, joined by logs
        string name = RunToCompletion("logsexact", "busybox", "sh", "-c",
            "echo; echo '  spaced  '; printf 'tab\\there\\n'; head -c 20000 /dev/zero | tr '\\0' x; echo; printf 'é ü 日本\\n'; printf partial");
        try
        {
            CommandResult r = _d.Run("logs", name).Ok();
            Assert.Equal("\n  spaced  \ntab\there\n" + longLine + "\né ü 日本\npartial", r.Stdout);
            Assert.Equal("", r.Stderr);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Logs_t_timestamps_every_line_and_the_timestamps_order_the_two_streams()
    {
        DateTimeOffset before = DateTimeOffset.UtcNow.AddSeconds(-2);
        string name = RunToCompletion("logsts", "busybox", "sh", "-c", Interleaved);
        DateTimeOffset after = DateTimeOffset.UtcNow.AddSeconds(2);
        try
        {
            CommandResult r = _d.Run("logs", "-t", name).Ok();
            output.WriteLine(r.ToString());
            var stamped = r.Stdout.Lines().Concat(r.Stderr.Lines()).Select(line =>
            {
                int space = line.IndexOf(' ');
                Assert.True(space > 0, $"no timestamp on \"{line}\"");
                Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$", line[..space]);
                var time = DateTimeOffset.Parse(TrimToTicks(line[..space]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                Assert.InRange(time, before, after);
                return (time, text: line[(space + 1)..]);
            }).ToList();
            Assert.Equal(10, stamped.Count);
            Assert.Equal(new[] { "out1", "err1", "out2", "err2", "out3", "err3", "out4", "err4", "out5", "err5" },
                stamped.OrderBy(s => s.time).Select(s => s.text));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    /// <summary>.NET parses at most 7 fractional digits; Docker prints up to 9.</summary>
    private static string TrimToTicks(string rfc3339)
    {
        int dot = rfc3339.IndexOf('.');
        if (dot < 0) return rfc3339;
        string fraction = rfc3339[(dot + 1)..^1];
        return rfc3339[..(dot + 1)] + fraction[..Math.Min(7, fraction.Length)] + "Z";
    }

    [Fact]
    public void Logs_tail_gives_the_last_lines_of_the_log()
    {
        string name = RunToCompletion("logstail", "busybox", "sh", "-c", Interleaved);
        try
        {
            CommandResult two = _d.Run("logs", "--tail", "2", name).Ok();
            Assert.Equal("out5\n", two.Stdout);   // the last two lines written were out5 (stdout) then err5 (stderr)
            Assert.Equal("err5\n", two.Stderr);
            CommandResult three = _d.Run("logs", "--tail", "3", name).Ok();
            Assert.Equal("out5\n", three.Stdout);
            Assert.Equal("err4\nerr5\n", three.Stderr);
            CommandResult zero = _d.Run("logs", "--tail", "0", name).Ok();
            Assert.Equal("", zero.Stdout + zero.Stderr);
            CommandResult all = _d.Run("logs", "--tail", "all", name).Ok();
            Assert.Equal(5, all.Stdout.Lines().Length);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public async Task Logs_f_streams_while_the_container_runs_and_ends_when_it_exits()
    {
        string name = Support.Unique("logsf");
        try
        {
            _d.Run("run", "-d", "--name", name, "busybox", "sh", "-c", "echo first; echo first-err >&2; sleep 2; echo second; echo second-err >&2").Ok();
            var psi = new ProcessStartInfo(Daemon.Cli) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-H", _d.Host, "--no-autostart", "logs", "-f", name }) psi.ArgumentList.Add(a);
            var clock = Stopwatch.StartNew();
            using Process follow = Process.Start(psi)!;
            Task<string> stderr = follow.StandardError.ReadToEndAsync();

            // The first line arrives while the container is still running (it sleeps 2 s before the second).
            string? first = await follow.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("first", first);
            Assert.Equal("true", Support.Inspect(_d, name, "{{.State.Running}}"));
            Assert.False(follow.HasExited, "logs -f returned before the container exited");

            string rest = await follow.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.True(follow.WaitForExit(10_000), "logs -f did not end after the container exited");
            output.WriteLine($"logs -f ended after {clock.ElapsedMilliseconds} ms");
            Assert.Equal(0, follow.ExitCode);
            Assert.Equal("second\n", rest);
            Assert.Equal("first-err\nsecond-err\n", await stderr);
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.5), "logs -f ended before the container's second write");
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Logs_of_a_tty_container_holds_what_the_terminal_showed()
    {
        string name = Support.Unique("logstty");
        try
        {
            _d.Run("run", "-d", "-t", "--name", name, "busybox", "sh", "-c", "echo to-out; echo to-err >&2").Ok();
            _d.Run("wait", name).Ok();
            CommandResult r = _d.Run("logs", name).Ok();
            Assert.Equal("to-out\r\nto-err\r\n", r.Stdout);   // one stream, with the pty's CRLF
            Assert.Equal("", r.Stderr);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Logs_of_an_unknown_container_fails_clearly()
    {
        CommandResult r = _d.Run("logs", Support.Unique("nosuch"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("No such container", r.Stderr);
    }
}
