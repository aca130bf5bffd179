using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// The two compose tutorials this product teaches, on busybox stand-ins, through both clients a user has:
/// Debian's docker-compose 1.29 (Python, docker-py underneath) and our own <c>minicontainer compose</c>, each against
/// a private daemon. What is checked is what a tutorial reader sees: services up in dependency order and gated on
/// health, an unchanged project left alone, a changed service (and only it) recreated, <c>restart: always</c>
/// bringing back a killed container but not a stopped one, networks that isolate, and <c>down -v</c> leaving nothing.
/// Services are found by <c>ps -q SERVICE</c>, so the two clients' naming schemes (<c>p_db_1</c>, <c>p-db-1</c>) do
/// not matter.
/// </summary>
public sealed class ComposeTutorialTests : IDisposable
{
    public const string DockerCompose = "/usr/bin/docker-compose";
    private readonly NetworkDaemon _net;
    private readonly DockerCli _docker;
    private readonly ITestOutputHelper _output;
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-compose-").FullName;
    private readonly string _project;

    public ComposeTutorialTests(ITestOutputHelper output)
    {
        _output = output;
        _net = new NetworkDaemon();
        _docker = new DockerCli(_net.Daemon, output);
        _project = "mcc" + _net.Tag;
    }

    public void Dispose()
    {
        _net.Dispose();
        _docker.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        Assert.Empty(_net.Leftovers());
    }

    /// <summary>One compose command through the client under test, from the project's directory's files.</summary>
    private CommandResult Compose(string client, IEnumerable<string>? env, params string[] args)
    {
        string file = Path.Combine(_dir, "compose.yaml");
        string[] argv = client == "docker-compose"
            ? [DockerCompose, "-H", _net.Daemon.Host, "-p", _project, "-f", file, .. args]
            : [Daemon.Cli, "-H", _net.Daemon.Host, "--no-autostart", "compose", "-p", _project, "-f", file, .. args];
        if (client == "docker-compose") Assert.True(File.Exists(DockerCompose), "docker-compose 1.29 is not installed (scripts/install-deps.sh test)");
        var r = Daemon.Exec("env", [.. env ?? [], .. argv], timeoutMs: 90_000);
        _output.WriteLine($"{client} {string.Join(' ', args)} → {r}");
        return r;
    }

    private CommandResult Compose(string client, params string[] args) => Compose(client, null, args);

    private string Id(string client, string service)
    {
        var ids = Compose(client, "ps", "-q", service).Ok().Stdout.Lines();
        Assert.True(ids.Length == 1, $"ps -q {service} should list exactly one container, listed: {string.Join(", ", ids)}");
        return ids[0].Trim();
    }

    private string Inspect(string format, string id) => _docker.Run("inspect", "-f", format, id).Ok().Stdout.Trim();

    private static void Eventually(Func<bool> condition, string what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"within {seconds} s: {what}");
            Thread.Sleep(100);
        }
    }

    private const string AppDbCache = """
        services:
          db:
            image: busybox
            command: sh -c "sleep 1; touch /tmp/ready; exec nc -ll -p 3306 -e echo db"
            environment:
              DB_PASSWORD: ${DB_PASSWORD:-secret}
            volumes:
              - dbdata:/var/lib/db
            healthcheck:
              test: ["CMD", "test", "-f", "/tmp/ready"]
              interval: 200ms
              timeout: 2s
              retries: 20
          cache:
            image: busybox
            command: ["sh", "-c", "exec nc -ll -p 6379 -e echo PONG"]
            expose: ["6379"]
          app:
            image: busybox
            command: sh -c "ping -c1 -W1 db && ping -c1 -W1 cache && touch /tmp/reached; exec sleep 600"
            depends_on:
              db:
                condition: service_healthy
              cache:
                condition: service_started
            environment:
              GREETING: ${GREETING:-hello}
            restart: always
        volumes:
          dbdata:
        """;

    [Theory]
    [InlineData("docker-compose")]
    [InlineData("minicontainer")]
    public void App_with_db_and_cache_comes_up_gated_on_health_is_left_alone_recreates_only_what_changed_and_goes_down(string client)
    {
        File.WriteAllText(Path.Combine(_dir, "compose.yaml"), AppDbCache);
        Compose(client, "up", "-d").Ok();

        string db = Id(client, "db"), cache = Id(client, "cache"), app = Id(client, "app");
        Assert.Equal(3, _docker.Run("ps", "-q", "--filter", $"label=com.docker.compose.project={_project}").Ok().Stdout.Lines().Length);
        Assert.Equal("healthy", Inspect("{{.State.Health.Status}}", db));
        // app waited for db's health: db makes itself healthy a second after it starts.
        var dbStarted = DateTimeOffset.Parse(Inspect("{{.State.StartedAt}}", db));
        var appStarted = DateTimeOffset.Parse(Inspect("{{.State.StartedAt}}", app));
        Assert.True(appStarted - dbStarted > TimeSpan.FromSeconds(0.9), $"app started {appStarted - dbStarted} after db, before db was healthy");
        // ... and reaches both by their service names on the project's network.
        Eventually(() => _docker.Run("exec", app, "test", "-f", "/tmp/reached").ExitCode == 0, "app pinged db and cache by name");
        Assert.Contains("GREETING=hello", _docker.Run("exec", app, "env").Ok().Stdout);
        // A one-off container of a `restart: always` service: the policy is the service's, not the one-off's.
        Assert.Contains("one-off", Compose(client, "run", "--rm", "-T", "app", "echo", "one-off").Ok().Stdout);

        // An unchanged project is left alone.
        Compose(client, "up", "-d").Ok();
        Assert.Equal((db, cache, app), (Id(client, "db"), Id(client, "cache"), Id(client, "app")));

        // A changed environment recreates that service only.
        Compose(client, ["GREETING=changed"], "up", "-d").Ok();
        Assert.Equal((db, cache), (Id(client, "db"), Id(client, "cache")));
        string app2 = Id(client, "app");
        Assert.NotEqual(app, app2);
        Assert.Contains("GREETING=changed", _docker.Run("exec", app2, "env").Ok().Stdout);
        Assert.Equal(3, _docker.Run("ps", "-aq", "--filter", $"label=com.docker.compose.project={_project}").Ok().Stdout.Lines().Length);

        // restart: always brings back a container whose process was killed, but not one the user stopped.
        string pid = Inspect("{{.State.Pid}}", app2);
        Daemon.Exec("kill", ["-KILL", pid]).Ok();
        Eventually(() => Inspect("{{.RestartCount}} {{.State.Running}}", app2) is var s && s.EndsWith("true") && !s.StartsWith("0 "),
            "the killed app came back with a RestartCount above 0");
        _docker.Run("stop", "-t", "1", app2).Ok();
        Thread.Sleep(1500);
        Assert.Equal("false", Inspect("{{.State.Running}}", app2));

        Compose(client, "down", "-v").Ok();
        Assert.Empty(_docker.Run("ps", "-aq", "--filter", $"label=com.docker.compose.project={_project}").Ok().Stdout.Lines());
        Assert.DoesNotContain(_project, _docker.Run("network", "ls", "--format", "{{.Name}}").Ok().Stdout);
        Assert.DoesNotContain(_project, _docker.Run("volume", "ls", "--format", "{{.Name}}").Ok().Stdout);
    }

    [Theory]
    [InlineData("docker-compose")]
    [InlineData("minicontainer")]
    public void A_dependency_that_never_becomes_healthy_is_unhealthy_after_three_failures_and_up_says_so(string client)
    {
        File.WriteAllText(Path.Combine(_dir, "compose.yaml"), """
            services:
              db:
                image: busybox
                command: sleep 600
                healthcheck:
                  test: ["CMD-SHELL", "echo probing; exit 1"]
                  interval: 200ms
                  timeout: 2s
                  retries: 3
              app:
                image: busybox
                command: sleep 600
                depends_on:
                  db:
                    condition: service_healthy
            """);
        var up = Compose(client, "up", "-d");
        Assert.NotEqual(0, up.ExitCode);
        Assert.Contains("unhealthy", up.Stdout + up.Stderr);
        string db = Id(client, "db");
        Assert.Equal("unhealthy", Inspect("{{.State.Health.Status}}", db));
        Assert.True(int.Parse(Inspect("{{.State.Health.FailingStreak}}", db)) >= 3);
        Assert.Contains("probing", Inspect("{{range .State.Health.Log}}{{.Output}}{{end}}", db));
        Assert.Empty(Compose(client, "ps", "-q", "app").Stdout.Lines().Where(l => _docker.Run("inspect", "-f", "{{.State.Running}}", l).Stdout.Trim() == "true"));
        Compose(client, "down", "-v").Ok();
    }

    [Theory]
    [InlineData("docker-compose")]
    [InlineData("minicontainer")]
    public void Two_networks_isolate_their_services_and_a_service_on_both_reaches_each(string client)
    {
        string external = $"mcfront{_net.Tag}";
        _docker.Run("network", "create", external).Ok();
        File.WriteAllText(Path.Combine(_dir, "notes.env"), "NOTES_DB=notes-data\n");
        File.WriteAllText(Path.Combine(_dir, "compose.yaml"), $$"""
            services:
              userauth:
                image: busybox
                command: sleep 600
                networks: [authnet]
              notes:
                image: busybox
                command: sleep 600
                env_file: notes.env
                networks: [frontnet]
              gateway:
                image: busybox
                command: sleep 600
                networks:
                  authnet:
                  frontnet:
                    aliases: [gw]
            networks:
              authnet:
              frontnet:
                external: true
                name: {{external}}
            """);
        Compose(client, "up", "-d").Ok();
        string notes = Id(client, "notes"), gateway = Id(client, "gateway"), userauth = Id(client, "userauth");
        Assert.Contains("NOTES_DB=notes-data", _docker.Run("exec", notes, "env").Ok().Stdout);
        _docker.Run("exec", gateway, "ping", "-c1", "-W1", "userauth").Ok();
        _docker.Run("exec", gateway, "ping", "-c1", "-W1", "notes").Ok();
        _docker.Run("exec", notes, "ping", "-c1", "-W1", "gw").Ok();
        Assert.NotEqual(0, _docker.Run("exec", notes, "nslookup", "userauth").ExitCode);
        Assert.NotEqual(0, _docker.Run("exec", userauth, "nslookup", "notes").ExitCode);
        // Not by address either: the two bridges do not forward to each other.
        string authIp = Inspect("{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", userauth);
        Assert.NotEqual(0, _docker.Run("exec", notes, "ping", "-c1", "-W1", authIp).ExitCode);

        Compose(client, "down", "-v").Ok();
        Assert.Contains(external, _docker.Run("network", "ls", "--format", "{{.Name}}").Ok().Stdout);   // external: not compose's to remove
        Assert.DoesNotContain($"{_project}_authnet", _docker.Run("network", "ls", "--format", "{{.Name}}").Ok().Stdout);
        _docker.Run("network", "rm", external).Ok();
    }
}
