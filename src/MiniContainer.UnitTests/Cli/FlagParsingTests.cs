using System.CommandLine;
using System.Text.Json.Nodes;
using MiniContainer.Cli;
using MiniContainer.Cli.Commands;
using MiniContainer.Cli.Flags;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

/// <summary>How a command line becomes a command: docker's rules for flags after the image, bundles, unknown flags.</summary>
public sealed class RunFlagParsingTests
{
    /// <summary>As the CLI does it: run, create and exec get a tree of their command alone.</summary>
    static (ParseResult Parse, RootCommand Root) ParseCli(params string[] args)
    {
        var root = CliApp.BuildRoot(new CliContext(), CliApp.SoleCommand(args));
        var parse = root.Parse(ArgumentPreparer.Prepare(root, args), new ParserConfiguration { ResponseFileTokenReplacer = null });
        Assert.Empty(parse.Errors);
        return (parse, root);
    }

    [Theory]
    [InlineData("run|--rm|busybox|true", "run")]
    [InlineData("-H|unix:///x.sock|exec|web|true", "exec")]
    [InlineData("--host=unix:///x.sock|--no-autostart|create|busybox", "create")]
    [InlineData("-Hunix:///x.sock|run|busybox", "run")]
    [InlineData("ps|-a", null)]
    [InlineData("--help|run", null)]
    [InlineData("-v", null)]
    [InlineData("container|run|busybox", null)]
    [InlineData("--debug|run|busybox", null)]
    [InlineData("", null)]
    public void Only_run_create_and_exec_get_a_tree_of_their_own(string line, string? sole) =>
        Assert.Equal(sole, CliApp.SoleCommand(line.Split('|', StringSplitOptions.RemoveEmptyEntries)));

    [Theory]
    [InlineData("run|-it|--rm|-e|A=1|-v|/a:/b|--name|web|busybox|sh|-c|echo hi")]
    [InlineData("run|--explain|busybox|true")]
    [InlineData("exec|-it|-u|1000|web|sh")]
    [InlineData("create|--memory|64m|-p|8080:80|busybox")]
    public void A_command_built_alone_parses_as_in_the_whole_tree(string line)
    {
        string[] args = line.Split('|');
        var whole = CliApp.BuildRoot(new CliContext());
        var alone = CliApp.BuildRoot(new CliContext(), CliApp.SoleCommand(args));
        Assert.True(alone.Subcommands.Count < whole.Subcommands.Count);
        Assert.Equal(ArgumentPreparer.Prepare(whole, args), ArgumentPreparer.Prepare(alone, args));
        var a = whole.Parse(ArgumentPreparer.Prepare(whole, args));
        var b = alone.Parse(ArgumentPreparer.Prepare(alone, args));
        Assert.Equal(a.Errors.Count, b.Errors.Count);
        Assert.Equal(a.CommandResult.Command.Name, b.CommandResult.Command.Name);
        Assert.Equal(a.Tokens.Select(t => t.Value), b.Tokens.Select(t => t.Value));
    }

    [Fact]
    public void Flags_after_the_image_belong_to_the_command()
    {
        var (parse, _) = ParseCli("run", "-it", "--rm", "busybox", "sh", "-c", "echo hi");
        Assert.Equal("run", parse.CommandResult.Command.Name);
        Assert.Equal("busybox", parse.GetValue<string?>("IMAGE"));
        Assert.Equal(["sh", "-c", "echo hi"], parse.GetValue<string[]>("COMMAND")!);
        Assert.True(parse.GetValue<bool>("--interactive"));
        Assert.True(parse.GetValue<bool>("--tty"));
        Assert.True(parse.GetValue<bool>("--rm"));
    }

    [Fact]
    public void A_command_that_looks_like_our_flags_is_left_alone()
    {
        var (parse, _) = ParseCli("run", "busybox", "ls", "-l", "--name", "x", "-e", "A");
        Assert.Null(parse.GetValue<string?>("--name"));
        Assert.Equal(["ls", "-l", "--name", "x", "-e", "A"], parse.GetValue<string[]>("COMMAND")!);
    }

    [Fact]
    public void Option_values_are_skipped_in_every_spelling()
    {
        var (parse, _) = ParseCli("run", "--name", "web", "-e", "A=1", "-eB=2", "--env=C=3", "-m512m", "-w", "/tmp", "alpine", "env");
        Assert.Equal("web", parse.GetValue<string?>("--name"));
        Assert.Equal(["A=1", "B=2", "C=3"], parse.GetValue<string[]>("--env")!);
        Assert.Equal("512m", parse.GetValue<string?>("--memory"));
        Assert.Equal("alpine", parse.GetValue<string?>("IMAGE"));
        Assert.Equal(["env"], parse.GetValue<string[]>("COMMAND")!);
    }

    [Fact]
    public void A_double_dash_after_the_image_is_part_of_the_command()
    {
        var (parse, _) = ParseCli("run", "busybox", "--", "echo");
        Assert.Equal(["--", "echo"], parse.GetValue<string[]>("COMMAND")!);
    }

    [Fact]
    public void Exec_takes_the_container_then_the_command()
    {
        var (parse, _) = ParseCli("exec", "-it", "-u", "0", "web", "ps", "-ef");
        Assert.Equal("web", parse.GetValue<string?>("CONTAINER"));
        Assert.Equal(["ps", "-ef"], parse.GetValue<string[]>("COMMAND")!);
        Assert.Equal("0", parse.GetValue<string?>("--user"));
    }

    [Fact]
    public void Daemon_passes_everything_through()
    {
        var (parse, _) = ParseCli("daemon", "-H", "unix:///tmp/x.sock", "--debug");
        Assert.Equal(["-H", "unix:///tmp/x.sock", "--debug"], parse.GetValue<string[]>("DAEMON OPTIONS")!);
    }

    [Fact]
    public void Global_host_flag_comes_before_the_command()
    {
        var (parse, _) = ParseCli("-H", "unix:///tmp/mc.sock", "ps", "-a");
        Assert.Equal("unix:///tmp/mc.sock", parse.GetValue<string?>("--host"));
        Assert.True(parse.GetValue<bool>("--all"));
    }

    [Theory]
    [InlineData(new[] { "run", "--foo", "busybox" }, "unknown flag: --foo")]
    [InlineData(new[] { "ps", "-x" }, "unknown shorthand flag: 'x' in -x")]
    [InlineData(new[] { "rm", "-fz", "c" }, "unknown shorthand flag: 'z' in -fz")]
    public void Unknown_flags_are_usage_errors(string[] args, string message)
    {
        var root = CliApp.BuildRoot(new CliContext());
        var e = Assert.Throws<UsageException>(() => ArgumentPreparer.Prepare(root, args));
        Assert.Equal(message, e.Message);
    }
}

/// <summary>The create body the flags produce (no daemon: ContainerFlags on its own command).</summary>
public sealed class ContainerConfigTests
{
    static JsonObject Config(string[] args, Func<string, string?>? env = null)
    {
        var flags = new ContainerFlags();
        var root = new RootCommand();
        var run = new CliCommand("run", "", "") { ForeignArgumentsAfter = 1 };
        flags.AddTo(run);
        var image = new Argument<string?>("IMAGE") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.ZeroOrMore };
        run.Arguments.Add(image);
        run.Arguments.Add(command);
        root.Subcommands.Add(run);
        var parse = root.Parse(ArgumentPreparer.Prepare(root, ["run", .. args]));
        Assert.Empty(parse.Errors);
        return flags.BuildConfig(parse, parse.GetValue(image)!, parse.GetValue(command)!, detached: false, env ?? (_ => null), (24, 80));
    }

    [Fact]
    public void Resources_become_host_config()
    {
        var c = Config(["-m", "512m", "--memory-swap", "-1", "--cpus", "1.5", "--cpu-shares", "512", "--pids-limit", "64", "--read-only", "--init", "--network", "none", "busybox"]);
        var host = c["HostConfig"]!.AsObject();
        Assert.Equal(512L * 1024 * 1024, host["Memory"]!.GetValue<long>());
        Assert.Equal(-1, host["MemorySwap"]!.GetValue<long>());
        Assert.Equal(1_500_000_000, host["NanoCpus"]!.GetValue<long>());
        Assert.Equal(512, host["CpuShares"]!.GetValue<long>());
        Assert.Equal(64, host["PidsLimit"]!.GetValue<long>());
        Assert.True(host["ReadonlyRootfs"]!.GetValue<bool>());
        Assert.True(host["Init"]!.GetValue<bool>());
        Assert.Equal("none", host["NetworkMode"]!.GetValue<string>());
        Assert.Null(c["Cmd"]);   // no command: the image's default
    }

    [Fact]
    public void Interactive_tty_run_attaches_everything()
    {
        var c = Config(["-it", "--rm", "--name", "x", "-h", "box", "-w", "/srv", "-u", "1000:1000", "busybox", "sh"]);
        Assert.True(c["Tty"]!.GetValue<bool>());
        Assert.True(c["OpenStdin"]!.GetValue<bool>());
        Assert.True(c["AttachStdin"]!.GetValue<bool>());
        Assert.True(c["StdinOnce"]!.GetValue<bool>());
        Assert.Equal("box", c["Hostname"]!.GetValue<string>());
        Assert.Equal("/srv", c["WorkingDir"]!.GetValue<string>());
        Assert.Equal("1000:1000", c["User"]!.GetValue<string>());
        Assert.True(c["HostConfig"]!["AutoRemove"]!.GetValue<bool>());
        Assert.Equal("[24,80]", c["HostConfig"]!["ConsoleSize"]!.ToJsonString());
        Assert.Equal("[\"sh\"]", c["Cmd"]!.ToJsonString());
    }

    [Fact]
    public void Env_without_value_comes_from_the_cli_environment()
    {
        var c = Config(["-e", "HOME", "-e", "UNSET", "-e", "A=b=c", "busybox"], name => name == "HOME" ? "/root" : null);
        Assert.Equal("[\"HOME=/root\",\"UNSET\",\"A=b=c\"]", c["Env"]!.ToJsonString());
    }

    [Fact]
    public void Empty_entrypoint_resets_it()
    {
        Assert.Equal("[\"\"]", Config(["--entrypoint", "", "busybox"])["Entrypoint"]!.ToJsonString());
        Assert.Equal("[\"/bin/sh\"]", Config(["--entrypoint", "/bin/sh", "busybox"])["Entrypoint"]!.ToJsonString());
        Assert.Null(Config(["busybox"])["Entrypoint"]);
    }

    [Fact]
    public void Publish_and_volumes()
    {
        var c = Config(["-p", "8080:80", "-p", "127.0.0.1:5353:53/udp", "-v", "/host:/data:ro", "-v", "/anon", "busybox"]);
        Assert.Equal("{\"80/tcp\":{},\"53/udp\":{}}", c["ExposedPorts"]!.ToJsonString());
        Assert.Equal("{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}],\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"5353\"}]}",
            c["HostConfig"]!["PortBindings"]!.ToJsonString());
        Assert.Equal("[\"/host:/data:ro\"]", c["HostConfig"]!["Binds"]!.ToJsonString());
        Assert.Equal("{\"/anon\":{}}", c["Volumes"]!.ToJsonString());
    }

    [Fact]
    public void Bad_memory_is_docker_s_error()
    {
        var e = Assert.Throws<UsageException>(() => Config(["-m", "12q", "busybox"]));
        Assert.Equal("invalid argument \"12q\" for \"-m, --memory\" flag: invalid size: '12q'", e.Message);
    }

    [Fact]
    public void Bad_numbers_name_the_flag()
    {
        Assert.Contains("\"--pids-limit\" flag", Assert.Throws<UsageException>(() => Config(["--pids-limit", "lots", "busybox"])).Message);
        Assert.Contains("\"--cpus\" flag", Assert.Throws<UsageException>(() => Config(["--cpus", "x", "busybox"])).Message);
    }

    [Fact]
    public void Health_flags_become_the_healthcheck_with_durations_in_nanoseconds()
    {
        var c = Config(["--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms", "--health-timeout", "1m30s",
            "--health-retries", "2", "--health-start-period", "1s", "--health-start-interval", "50ms", "busybox"]);
        Assert.Equal("""{"Test":["CMD-SHELL","test -f /tmp/ok"],"Interval":200000000,"Timeout":90000000000,"StartPeriod":1000000000,"StartInterval":50000000,"Retries":2}""",
            c["Healthcheck"]!.ToJsonString());
        // Only what is given: the daemon fills the rest from the image's HEALTHCHECK.
        Assert.Equal("""{"Interval":1000000000}""", Config(["--health-interval", "1s", "busybox"])["Healthcheck"]!.ToJsonString());
        Assert.Equal("""{"Test":["NONE"]}""", Config(["--no-healthcheck", "busybox"])["Healthcheck"]!.ToJsonString());
        Assert.False(Config(["busybox"]).ContainsKey("Healthcheck"));
    }

    [Fact]
    public void Health_flag_errors_are_dockers()
    {
        Assert.Equal("--no-healthcheck conflicts with --health-* options",
            Assert.Throws<UsageException>(() => Config(["--no-healthcheck", "--health-retries", "1", "busybox"])).Message);
        Assert.Equal("--health-interval cannot be negative", Assert.Throws<UsageException>(() => Config(["--health-interval", "-1s", "busybox"])).Message);
        Assert.Equal("--health-retries cannot be negative", Assert.Throws<UsageException>(() => Config(["--health-retries", "-1", "busybox"])).Message);
        Assert.Equal("invalid argument \"soon\" for \"--health-timeout\" flag: time: invalid duration \"soon\"",
            Assert.Throws<UsageException>(() => Config(["--health-timeout", "soon", "busybox"])).Message);
    }
}

public sealed class MemorySizeTests
{
    [Theory]
    [InlineData("512m", 512L << 20)]
    [InlineData("1g", 1L << 30)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("100", 100)]
    [InlineData("100b", 100)]
    [InlineData("64k", 64L << 10)]
    [InlineData("64KiB", 64L << 10)]
    [InlineData("64kb", 64L << 10)]
    [InlineData("10 M", 10L << 20)]
    [InlineData("2t", 2L << 40)]
    public void Parses_docker_units(string text, long bytes) => Assert.Equal(bytes, MemorySize.Parse(text));

    [Theory]
    [InlineData("12q")]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("-1")]
    [InlineData("1.2.3g")]
    [InlineData("1gg")]
    public void Rejects_what_docker_rejects(string text)
    {
        var e = Assert.Throws<FormatException>(() => MemorySize.Parse(text));
        Assert.Equal($"invalid size: '{text}'", e.Message);
    }

    [Fact]
    public void Swap_accepts_minus_one() => Assert.Equal(-1, MemorySize.ParseSwap("-1"));
}

public sealed class EnvFileTests
{
    [Fact]
    public void Parses_docker_env_file_format()
    {
        const string content = "\uFEFF# comment\n\nA=1\n  B=two words  \nC=\"quoted\"\nHOME\nMISSING\r\nD=x=y\n   # indented comment\n";
        var env = EnvFile.Parse(content, name => name == "HOME" ? "/root" : null);
        Assert.Equal(["A=1", "B=two words  ", "C=\"quoted\"", "HOME=/root", "MISSING", "D=x=y"], env);
    }

    [Fact]
    public void Rejects_names_with_spaces_and_empty_names()
    {
        Assert.Equal("variable 'A B' contains whitespaces", Assert.Throws<FormatException>(() => EnvFile.Parse("A B=1", _ => null)).Message);
        Assert.Equal("no variable name on line '=1'", Assert.Throws<FormatException>(() => EnvFile.Parse("=1", _ => null)).Message);
    }

    [Fact]
    public void Flag_values()
    {
        Assert.Equal("A=", EnvFile.ParseFlag("A=", _ => "ignored"));
        Assert.Equal("PATH=/bin", EnvFile.ParseFlag("PATH", _ => "/bin"));
        Assert.Equal("NOPE", EnvFile.ParseFlag("NOPE", _ => null));
        Assert.Throws<FormatException>(() => EnvFile.ParseFlag("=x", _ => null));
    }
}

public sealed class ExitCodeTests
{
    [Theory]
    [InlineData("failed to create task: exec: \"nope\": executable file not found in $PATH", 127)]
    [InlineData("exec /bin/nope: no such file or directory", 127)]
    [InlineData("exec: \"/etc\": permission denied", 126)]
    [InlineData("exec /etc: is a directory", 126)]
    [InlineData("cgroup: something else broke", 125)]
    public void Start_failures_map_like_docker(string message, int code) => Assert.Equal(code, RunCommand.StartFailureExitCode(message));
}

/// <summary>Docker's management commands (`image ls`, `container run`…) are the same commands under a group name.</summary>
public sealed class CommandGroupTests
{
    static ParseResult ParseCli(params string[] args)
    {
        var root = CliApp.BuildRoot(new CliContext());
        var parse = root.Parse(ArgumentPreparer.Prepare(root, args), new ParserConfiguration { ResponseFileTokenReplacer = null });
        Assert.Empty(parse.Errors);
        return parse;
    }

    [Theory]
    [InlineData("image", "ls", "images")]
    [InlineData("image", "rm", "rmi")]
    [InlineData("container", "ls", "ps")]
    [InlineData("container", "rm", "rm")]
    public void An_alias_runs_the_original_action(string group, string alias, string original)
    {
        var root = CliApp.BuildRoot(new CliContext());
        var groupCommand = root.Subcommands.Single(c => c.Name == group);
        var aliasCommand = groupCommand.Subcommands.Single(c => c.Name == alias);
        Assert.Same(root.Subcommands.Single(c => c.Name == original).Action, aliasCommand.Action);
    }

    [Fact]
    public void Flags_and_the_command_line_after_the_image_work_under_the_group()
    {
        var parse = ParseCli("container", "run", "--rm", "-e", "A=1", "busybox", "ls", "-l");
        Assert.Equal("run", parse.CommandResult.Command.Name);
        Assert.True(parse.GetValue<bool>("--rm"));
        Assert.Equal(["ls", "-l"], parse.GetValue<string[]>("COMMAND")!);
        Assert.True(ParseCli("image", "ls", "-q").GetValue<bool>("--quiet"));
    }
}
