using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Bearer-token auth for real: the registry runs with `token` auth and trusts a token server this test runs (JWTs
/// signed with a key whose certificate is in the registry's rootcertbundle). The daemon follows the registry's
/// WWW-Authenticate: Bearer realm/service/scope challenge to the token server, with and without credentials.
/// </summary>
public sealed class RegistryTokenAuthTests : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d;
    private readonly ITestOutputHelper _output;
    private readonly TokenServer _tokens = new(new Dictionary<string, string> { ["tokenuser"] = "t0ken-pass" });
    private readonly LocalRegistry _registry;
    private readonly string _config = Directory.CreateTempSubdirectory("mc-registry-token-").FullName;

    public RegistryTokenAuthTests(DaemonFixture fixture, ITestOutputHelper output)
    {
        _d = fixture.Daemon;
        _output = output;
        _registry = new LocalRegistry(authSection: _tokens.RegistryAuthSection);
        Environment.SetEnvironmentVariable("DOCKER_CONFIG", _config);
    }

    public void Dispose()
    {
        _registry.Dispose();
        _tokens.Dispose();
        Environment.SetEnvironmentVariable("DOCKER_CONFIG", null);
        try { Directory.Delete(_config, recursive: true); } catch (IOException) { }
    }

    private CommandResult Mc(string? stdin, params string[] args)
    {
        var r = _d.RunWithInput(stdin, args);
        _output.WriteLine($"minicontainer {string.Join(' ', args)} → {r}");
        return r;
    }

    [Fact]
    public void Login_push_and_pull_go_through_the_token_server()
    {
        string name = $"{_registry.Address}/tok/{Support.Unique("bb")}:1";
        Mc(null, "tag", "busybox", name).Ok();
        try
        {
            var anonymous = Mc(null, "push", name);
            Assert.NotEqual(0, anonymous.ExitCode);
            Assert.Contains("unauthorized", anonymous.Stderr + anonymous.Stdout);
            Assert.True(_tokens.Requests > 0, "the daemon never asked the token server");

            var wrong = Mc("nope\n", "login", "-u", "tokenuser", "--password-stdin", _registry.Address);
            Assert.NotEqual(0, wrong.ExitCode);
            Assert.Contains("incorrect username or password", wrong.Stderr);

            Mc("t0ken-pass\n", "login", "-u", "tokenuser", "--password-stdin", _registry.Address).Ok("login");
            Assert.Contains(": Pushed", Mc(null, "push", name).Ok("push with a token").Stdout);
            Mc(null, "rmi", name).Ok();
            Mc(null, "pull", name).Ok("pull with a token");
            Assert.Equal("ok\n", Mc(null, "run", "--rm", name, "echo", "ok").Ok().Stdout);

            // A second repository: the blob is mounted, which needs pull on the source and push on the target in one token.
            string other = $"{_registry.Address}/tok2/{Support.Unique("bb")}:1";
            Mc(null, "tag", name, other).Ok();
            Assert.Contains(": Mounted from tok/", Mc(null, "push", other).Ok("push to a second repository").Stdout);
            Mc(null, "rmi", other);
        }
        finally { Mc(null, "rmi", name); }
    }
}
