using System.Diagnostics;
using System.Net;
using MiniContainer.Networking.Dns;
using Xunit;

namespace MiniContainer.UnitTests.Networking.Dns;

/// <summary>
/// The embedded DNS server asked by real resolver clients (installed by scripts/install-deps.sh test): BIND's dig
/// (bind9-dnsutils), which sends EDNS with a cookie by default, over UDP and TCP; and busybox nslookup, which
/// like the stub resolvers in containers asks A and AAAA at once.
/// </summary>
public sealed class RealClientTests : IAsyncLifetime
{
    private readonly FakeRecords _records = new FakeRecords().Add("db-notes", "172.18.0.2", "fd00::2").Add("v4only", "172.18.0.3");
    private FakeUpstream _upstream = null!;
    private EmbeddedDnsServer _server = null!;

    public Task InitializeAsync()
    {
        _upstream = new FakeUpstream((q, _) => q.Questions[0].Name.StartsWith("userauth", StringComparison.Ordinal)
            ? FakeUpstream.Reply(q, DnsRcode.NXDomain)
            : FakeUpstream.Reply(q, DnsRcode.NoError, "192.0.2.7"));
        _server = EmbeddedDnsServer.Start(new IPEndPoint(IPAddress.Loopback, 0), _records, () => [_upstream.Endpoint], TimeSpan.FromSeconds(5));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData("+notcp")]
    [InlineData("+tcp")]
    [InlineData("+noedns")]
    public async Task Dig_resolves_a_container_name(string option)
    {
        var output = await Dig(option, "db-notes", "A");
        Assert.Contains("status: NOERROR", output);
        Assert.Matches(@"\ndb-notes\.\s+600\s+IN\s+A\s+172\.18\.0\.2\n", output);
        Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase); // e.g. "recursion requested but not available"
        if (option != "+noedns") Assert.Contains("; EDNS: version: 0", output);
        Assert.Empty(_upstream.Queries);
    }

    [Fact]
    public async Task Dig_gets_aaaa_and_nodata()
    {
        Assert.Matches(@"\nDB-NOTES\.\s+600\s+IN\s+AAAA\s+fd00::2\n", await Dig("+notcp", "DB-NOTES", "AAAA"));
        var nodata = await Dig("+notcp", "v4only", "AAAA");
        Assert.Contains("status: NOERROR", nodata);
        Assert.Contains("ANSWER: 0,", nodata);
    }

    [Fact]
    public async Task Dig_gets_forwarded_answers_and_nxdomain()
    {
        Assert.Matches(@"\nexample\.org\.\s+300\s+IN\s+A\s+192\.0\.2\.7\n", await Dig("+notcp", "example.org", "A"));
        Assert.Contains("status: NXDOMAIN", await Dig("+tcp", "userauth", "A"));
    }

    [Fact]
    public async Task Dig_gets_reverse_names() =>
        Assert.Matches(@"\n2\.0\.18\.172\.in-addr\.arpa\.\s+600\s+IN\s+PTR\s+db-notes\.testnet\.\n", await Dig("+notcp", "-x", "172.18.0.2"));

    [Fact]
    public async Task Busybox_nslookup_asks_a_and_aaaa_at_once_as_container_resolvers_do()
    {
        var (exit, output) = await Run("busybox", "nslookup", "db-notes", $"127.0.0.1:{_server.Endpoint.Port}");
        Assert.Equal(0, exit);
        Assert.Contains("Name:\tdb-notes\nAddress: 172.18.0.2\n", output);
        Assert.Contains("Name:\tdb-notes\nAddress: fd00::2\n", output);
        (exit, output) = await Run("busybox", "nslookup", "v4only", $"127.0.0.1:{_server.Endpoint.Port}");
        Assert.Equal(0, exit);
        Assert.Contains("Address: 172.18.0.3\n", output);
        (exit, output) = await Run("busybox", "nslookup", "userauth", $"127.0.0.1:{_server.Endpoint.Port}");
        Assert.NotEqual(0, exit);
        Assert.Contains("can't find userauth: NXDOMAIN", output);
    }

    private async Task<string> Dig(string option, string name, string type)
    {
        string[] args = [$"@{_server.Endpoint.Address}", "-p", _server.Endpoint.Port.ToString(), "+tries=1", "+time=5", option, name, type];
        var (exit, output) = await Run("dig", args);
        Assert.True(exit == 0, $"dig {string.Join(' ', args)} exited {exit}: {output}");
        return output;
    }

    /// <summary>Runs a client program to its end: its exit code and its stdout then stderr.</summary>
    private static async Task<(int Exit, string Output)> Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is missing: run scripts/install-deps.sh test (busybox-static, bind9-dnsutils)", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, (await stdout + await stderr).Replace("\r", ""));
        }
    }
}
