using MiniContainer.Api;
using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>`docker kill -s …` and STOPSIGNAL: every spelling Docker accepts.</summary>
public sealed class SignalsTests
{
    [Theory]
    [InlineData("SIGTERM", 15)]
    [InlineData("TERM", 15)]
    [InlineData("15", 15)]
    [InlineData("kill", 9)]
    [InlineData("SIGKILL", 9)]
    [InlineData("9", 9)]
    [InlineData("sigint", 2)]
    [InlineData("HUP", 1)]
    [InlineData("SIGQUIT", 3)]
    [InlineData("SIGUSR1", 10)]
    [InlineData("USR2", 12)]
    [InlineData("SIGWINCH", 28)]
    [InlineData("SIGSYS", 31)]
    public void Names_with_or_without_sig_any_case_and_numbers(string text, int expected)
    {
        Assert.Equal(expected, Signals.Parse(text));
    }

    [Theory]
    [InlineData("NOPE")]
    [InlineData("SIGFOO")]
    [InlineData("0")]
    [InlineData("")]
    [InlineData("SIG")]
    public void Anything_else_is_a_bad_request_naming_it(string text)
    {
        var e = Assert.Throws<BadRequestException>(() => Signals.Parse(text));
        Assert.Equal($"Invalid signal: {text}", e.Message);
    }
}

/// <summary>The /etc/hosts a container gets.</summary>
public sealed class EtcFilesTests
{
    [Theory]
    [InlineData("none")]
    [InlineData("default")]
    public void Own_network_namespace_gets_dockers_loopback_hosts_file(string mode)
    {
        string[] lines = EtcFiles.Hosts(mode).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("127.0.0.1\tlocalhost", lines[0]);
        Assert.Contains("::1\tlocalhost ip6-localhost ip6-loopback", lines);
        Assert.Contains("ff02::2\tip6-allrouters", lines);
        Assert.EndsWith("\n", EtcFiles.Hosts(mode));
    }

    [Fact]
    public void Host_network_gets_the_hosts_own_file()
    {
        if (!File.Exists("/etc/hosts")) return;
        Assert.Equal(File.ReadAllText("/etc/hosts"), EtcFiles.Hosts("host"));
    }
}
