using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// login, logout, pull and push against a registry with htpasswd (bcrypt) users, from our CLI and from the real docker
/// CLI against our daemon. Credentials land in a private DOCKER_CONFIG/config.json, as docker stores them (mode 0600).
/// </summary>
public sealed class RegistryAuthTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly LocalRegistry _registry = new(new Dictionary<string, string> { ["mcuser"] = "s3cret-pass" });
    private readonly string _config = SetUpConfig();

    private static string SetUpConfig()
    {
        string dir = Directory.CreateTempSubdirectory("mc-registry-auth-").FullName;
        Environment.SetEnvironmentVariable("DOCKER_CONFIG", dir);
        return dir;
    }

    public void Dispose()
    {
        _registry.Dispose();
        Environment.SetEnvironmentVariable("DOCKER_CONFIG", null);
        try { Directory.Delete(_config, recursive: true); } catch (IOException) { }
    }

    private CommandResult Mc(string? stdin, params string[] args)
    {
        var r = _d.RunWithInput(stdin, args);
        output.WriteLine($"minicontainer {string.Join(' ', args)} → {r}");
        return r;
    }

    private CommandResult Docker(params string[] args) => new DockerCli(_d, output, Path.Combine(_config, "docker")).Run(args);

    [Fact]
    public void Login_with_a_wrong_password_fails_and_stores_nothing()
    {
        var r = Mc("wrong\n", "login", "-u", "mcuser", "--password-stdin", _registry.Address);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("401 Unauthorized", r.Stderr);
        Assert.False(File.Exists(Path.Combine(_config, "config.json")) && File.ReadAllText(Path.Combine(_config, "config.json")).Contains(_registry.Address));
    }

    [Fact]
    public void Push_needs_login_and_login_stores_credentials_like_docker()
    {
        string name = $"{_registry.Address}/private/{Support.Unique("bb")}:1";
        Mc(null, "tag", "busybox", name).Ok();
        try
        {
            var denied = Mc(null, "push", name);
            Assert.NotEqual(0, denied.ExitCode);
            Assert.Contains("unauthorized", denied.Stderr + denied.Stdout);
            Assert.NotEqual(0, Mc(null, "pull", name).ExitCode);

            var login = Mc("s3cret-pass\n", "login", "-u", "mcuser", "--password-stdin", _registry.Address).Ok("login");
            Assert.Contains("Login Succeeded", login.Stdout);
            string file = Path.Combine(_config, "config.json");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            var auths = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!["auths"]![_registry.Address]!;
            Assert.Equal(Convert.ToBase64String("mcuser:s3cret-pass"u8.ToArray()), auths["auth"]!.GetValue<string>());

            Assert.Contains(": Pushed", Mc(null, "push", name).Ok("push after login").Stdout);
            Mc(null, "rmi", name).Ok();
            Mc(null, "pull", name).Ok("pull after login");
            Assert.Equal("ok\n", Mc(null, "run", "--rm", name, "echo", "ok").Ok().Stdout);

            Assert.Contains($"Removing login credentials for {_registry.Address}", Mc(null, "logout", _registry.Address).Ok().Stdout);
            Assert.DoesNotContain(_registry.Address, File.ReadAllText(file));
            Assert.Contains("Not logged in", Mc(null, "logout", _registry.Address).Ok().Stdout);
        }
        finally { Mc(null, "rmi", name); }
    }

    [Fact]
    public void The_docker_cli_logs_in_pushes_and_pulls_through_our_daemon()
    {
        Assert.True(File.Exists(DockerCli.Path), $"the docker CLI is not at {DockerCli.Path}");
        var wrong = Docker("login", "-u", "mcuser", "-p", "nope", _registry.Address);
        Assert.NotEqual(0, wrong.ExitCode);
        Docker("login", "-u", "mcuser", "-p", "s3cret-pass", _registry.Address).Ok("docker login");

        string name = $"{_registry.Address}/viadocker/{Support.Unique("bb")}:2";
        Docker("tag", "busybox", name).Ok();
        try
        {
            var push = Docker("push", name).Ok("docker push");
            Assert.Contains("digest: sha256:", push.Stdout);
            Docker("rmi", name).Ok();
            var pull = Docker("pull", name).Ok("docker pull");
            Assert.Contains("Digest: sha256:", pull.Stdout);
            Assert.Contains(name, Docker("images", "--format", "{{.Repository}}:{{.Tag}}").Ok().Stdout);
        }
        finally { Docker("rmi", name); }
    }
}
