using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

/// <summary>
/// Which program `docker run IMAGE CMD` executes, and the exit codes scripts test for when it cannot:
/// 127 not found, 126 found but not executable — with Docker's messages.
/// </summary>
public sealed class CommandLookupTests
{
    private const string NoEntry = "no such file or directory", Denied = "permission denied", IsDir = "is a directory";

    /// <summary>A fake container filesystem: path → null (executable file) or why it cannot be executed. Records every probe.</summary>
    private sealed class FakeFs(Dictionary<string, string?> files)
    {
        public List<string> Probes { get; } = new();
        public string? Check(string path)
        {
            Probes.Add(path);
            return files.TryGetValue(path, out var problem) ? problem : NoEntry;
        }
    }

    private static readonly string[] Env = ["HOSTNAME=abc", "PATH=/usr/local/bin:/usr/bin:/bin"];

    private static (string? Path, int ExitCode, string Message) Lookup(string command, IEnumerable<string> env, Dictionary<string, string?> files)
    {
        try { return (CommandLookup.Resolve(command, env, new FakeFs(files).Check), 0, ""); }
        catch (CommandLookup.LookupException e) { return (null, e.ExitCode, e.Message); }
    }

    [Fact]
    public void A_bare_name_is_searched_in_path_order_and_the_first_executable_wins()
    {
        var fs = new FakeFs(new() { ["/usr/bin/env"] = null, ["/bin/env"] = null });
        Assert.Equal("/usr/bin/env", CommandLookup.Resolve("env", Env, fs.Check));
        Assert.Equal(["/usr/local/bin/env", "/usr/bin/env"], fs.Probes);
    }

    [Fact]
    public void A_directory_or_a_denied_file_early_in_path_does_not_hide_an_executable_later()
    {
        var files = new Dictionary<string, string?> { ["/usr/local/bin/sh"] = IsDir, ["/usr/bin/sh"] = Denied, ["/bin/sh"] = null };
        Assert.Equal("/bin/sh", Lookup("sh", Env, files).Path);
    }

    [Fact]
    public void Not_found_anywhere_is_127_with_dockers_message()
    {
        var (path, code, message) = Lookup("nope", Env, new());
        Assert.Null(path);
        Assert.Equal(127, code);
        Assert.Equal("exec: \"nope\": executable file not found in $PATH", message);
    }

    [Fact]
    public void An_empty_command_is_127()
    {
        var (_, code, message) = Lookup("", Env, new());
        Assert.Equal(127, code);
        Assert.Equal("exec: \"\": executable file not found in $PATH", message);
    }

    [Fact]
    public void A_name_found_only_without_execute_permission_is_still_not_found_as_in_docker()
    {
        // runc resolves a bare name with Go's exec.LookPath, which skips non-executable files and ends in
        // ErrNotFound; dockerd maps that to 127. (126 is for a path given with a slash: see below.)
        var (_, code, message) = Lookup("script.sh", Env, new() { ["/usr/bin/script.sh"] = Denied });
        Assert.Equal(127, code);
        Assert.Equal("exec: \"script.sh\": executable file not found in $PATH", message);
    }

    [Fact]
    public void An_absolute_path_is_used_as_is_without_a_path_search()
    {
        var fs = new FakeFs(new() { ["/opt/app/run"] = null, ["/usr/bin/run"] = null });
        Assert.Equal("/opt/app/run", CommandLookup.Resolve("/opt/app/run", Env, fs.Check));
        Assert.Equal(["/opt/app/run"], fs.Probes);
    }

    [Fact]
    public void A_missing_absolute_path_is_127_with_the_stat_error()
    {
        var (_, code, message) = Lookup("/bin/nope", Env, new());
        Assert.Equal(127, code);
        Assert.Equal("exec: \"/bin/nope\": stat /bin/nope: no such file or directory", message);
    }

    [Theory]
    [InlineData(Denied)]
    [InlineData(IsDir)]
    public void An_absolute_path_that_cannot_be_executed_is_126(string problem)
    {
        // `docker run busybox /etc/passwd` → exit 126, exec: "/etc/passwd": permission denied
        var (_, code, message) = Lookup("/etc/passwd", Env, new() { ["/etc/passwd"] = problem });
        Assert.Equal(126, code);
        Assert.Equal($"exec: \"/etc/passwd\": {problem}", message);
    }

    [Fact]
    public void A_relative_path_with_a_slash_is_not_searched()
    {
        var fs = new FakeFs(new() { ["./run.sh"] = null });
        Assert.Equal("./run.sh", CommandLookup.Resolve("./run.sh", Env, fs.Check));
        Assert.Equal(["./run.sh"], fs.Probes);
    }

    [Fact]
    public void Without_path_in_the_env_dockers_default_path_is_searched()
    {
        var fs = new FakeFs(new() { ["/sbin/ip"] = null });
        Assert.Equal("/sbin/ip", CommandLookup.Resolve("ip", ["HOSTNAME=x"], fs.Check));
        Assert.Equal(["/usr/local/sbin/ip", "/usr/local/bin/ip", "/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip"], fs.Probes);
    }

    [Fact]
    public void The_last_path_in_the_env_is_the_one_used()
    {
        var fs = new FakeFs(new() { ["/second/tool"] = null, ["/first/tool"] = null });
        Assert.Equal("/second/tool", CommandLookup.Resolve("tool", ["PATH=/first", "PATH=/second"], fs.Check));
    }

    [Fact]
    public void An_empty_path_entry_means_the_current_directory()
    {
        var fs = new FakeFs(new() { ["./tool"] = null });
        Assert.Equal("./tool", CommandLookup.Resolve("tool", ["PATH=/usr/bin::/bin"], fs.Check));
        Assert.Equal(["/usr/bin/tool", "./tool"], fs.Probes);
    }
}
