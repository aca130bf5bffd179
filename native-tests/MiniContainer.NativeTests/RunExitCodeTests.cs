using System.Diagnostics;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `run`'s exit code is Docker's: the container's own code, 125 when the daemon or the flags are wrong, 126 when the
/// command cannot be invoked, 127 when it is not found, 128+N when the container is killed by signal N.
/// </summary>
public sealed class RunExitCodeTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(255)]
    public void Run_exits_with_the_containers_own_code(int code)
    {
        CommandResult r = _d.Run("run", "--rm", "busybox", "sh", "-c", $"echo out; exit {code}");
        Assert.Equal(code, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
    }

    [Fact]
    public void Run_of_an_unknown_command_is_127_with_dockers_message()
    {
        CommandResult r = _d.Run("run", "--rm", "busybox", "nope");
        output.WriteLine(r.ToString());
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("exec: \"nope\": executable file not found in $PATH", r.Stderr);
    }

    [Fact]
    public void Run_of_a_file_that_cannot_be_executed_is_126()
    {
        CommandResult r = _d.Run("run", "--rm", "busybox", "/etc/passwd");
        output.WriteLine(r.ToString());
        Assert.Equal(126, r.ExitCode);
        Assert.Contains("/etc/passwd", r.Stderr);
        Assert.Contains("permission denied", r.Stderr);
    }

    [Fact]
    public void Run_of_a_missing_path_is_127()
    {
        CommandResult r = _d.Run("run", "--rm", "busybox", "/no/such/file");
        output.WriteLine(r.ToString());
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("no such file or directory", r.Stderr);
    }

    [Theory]
    [InlineData("unknown flag", "--bogus-flag")]
    [InlineData("bad memory value", "-m", "12q")]
    [InlineData("unknown image", "IMAGE:mc-no-such-image-7f3a")]
    public void Run_with_bad_input_is_125(string what, params string[] flags)
    {
        string image = flags.FirstOrDefault(f => f.StartsWith("IMAGE:"))?[6..] ?? "busybox";
        string[] args = new[] { "run", "--rm" }.Concat(flags.Where(f => !f.StartsWith("IMAGE:"))).Concat(new[] { image, "true" }).ToArray();
        CommandResult r = _d.Run(args);
        output.WriteLine($"{what}: {r}");
        Assert.Equal(125, r.ExitCode);
        Assert.NotEqual("", r.Stderr.Trim());
    }

    [Fact]
    public void Run_with_a_name_in_use_is_125()
    {
        string name = Support.Unique("dup");
        try
        {
            _d.Run("create", "--name", name, "busybox", "true").Ok();
            CommandResult r = _d.Run("run", "--rm", "--name", name, "busybox", "true");
            output.WriteLine(r.ToString());
            Assert.Equal(125, r.ExitCode);
            Assert.Contains("already in use", r.Stderr);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void A_container_killed_with_SIGKILL_exits_137_and_wait_and_inspect_say_so()
    {
        string name = Support.Unique("kill");
        try
        {
            _d.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").Ok();
            _d.Run("kill", name).Ok();
            CommandResult wait = _d.Run("wait", name).Ok();
            Assert.Equal("137", wait.Stdout.Trim());
            Assert.Equal("137 false exited", Support.Inspect(_d, name, "{{.State.ExitCode}} {{.State.Running}} {{.State.Status}}"));
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Run_in_the_foreground_reports_137_when_the_container_is_killed_from_outside()
    {
        string name = Support.Unique("fgkill");
        Task<CommandResult> run = Task.Run(() => _d.Run("run", "--rm", "--name", name, "busybox", "sleep", "1000"));
        Support.WaitUntil(() => _d.Run("inspect", "-f", "{{.State.Running}}", name).Stdout.Trim() == "true", TimeSpan.FromSeconds(20), "the container to run");
        _d.Run("kill", name).Ok();
        Assert.True(run.Wait(TimeSpan.FromSeconds(20)), "run did not return after the container was killed");
        Assert.Equal(137, run.Result.ExitCode);
    }

    /// <summary>A process that ends at once races everything after its start: the daemon's connection to the shim,
    /// its read of exit.json (which the shim still holds open while it flushes it to disk). Its own code must come
    /// through every time, for containers and execs alike, never a "shim died" 137.</summary>
    [Fact]
    public void Processes_that_end_at_once_report_their_own_code_every_time()
    {
        string sleeper = Support.Unique("quick-exec");
        var codes = new List<string>();
        try
        {
            for (int i = 0; i < 25; i++)
                codes.Add($"run {_d.Run("run", "--rm", "--network", "none", "busybox", "sh", "-c", "exit 3").ExitCode}");
            for (int i = 0; i < 10; i++)
            {
                string id = _d.Run("run", "-d", "--network", "none", "busybox", "sh", "-c", "exit 4").Ok().Stdout.Trim();
                codes.Add($"run -d {_d.Run("wait", id).Ok().Stdout.Trim()}");
                _d.Run("rm", id).Ok();
            }
            _d.Run("run", "-d", "--name", sleeper, "busybox", "sleep", "60").Ok();
            for (int i = 0; i < 25; i++) codes.Add($"exec {_d.Run("exec", sleeper, "sh", "-c", "exit 5").ExitCode}");
        }
        finally { _d.Run("rm", "-f", sleeper); }
        output.WriteLine(string.Join(", ", codes));
        Assert.All(codes, c => Assert.EndsWith(c.StartsWith("run -d") ? " 4" : c.StartsWith("run") ? " 3" : " 5", c));
        Assert.DoesNotContain("shim died", File.ReadAllText(_d.LogFile));
    }

    [Fact]
    public void Run_rm_removes_the_container_whatever_its_exit_code()
    {
        string name = Support.Unique("rmexit");
        Assert.Equal(3, _d.Run("run", "--rm", "--name", name, "busybox", "sh", "-c", "exit 3").ExitCode);
        Assert.Equal(127, _d.Run("run", "--rm", "--name", name + "x", "busybox", "nope").ExitCode);
        Support.WaitUntil(() => !_d.Run("ps", "-a", "--format", "{{.Names}}").Stdout.Lines().Any(n => n.StartsWith(name)),
            TimeSpan.FromSeconds(10), "the --rm containers to be removed");
    }
}
