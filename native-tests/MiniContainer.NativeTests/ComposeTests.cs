using MiniContainer.NativeTests.Harness;
using Xunit;

namespace MiniContainer.NativeTests;

/// <summary>
/// `minicontainer compose` against a private daemon, on the shapes of the two compose tutorials with busybox stand-ins:
/// an app with a db and a cache, and two networks that keep their services apart.
/// </summary>
public sealed class ComposeTests : IDisposable
{
    private readonly NetworkDaemon _net = new();
    private readonly string _dir = Path.Combine("/tmp", "mc-test-compose-" + Guid.NewGuid().ToString("N")[..8]);
    private Daemon D => _net.Daemon;

    public ComposeTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        _net.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        Assert.Empty(_net.Leftovers());
    }

    private string Write(string yaml, string name = "compose.yaml")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private CommandResult Compose(string file, string project, params string[] args)
        => D.Run(new[] { "compose", "-f", file, "-p", project }.Concat(args).ToArray());

    private string Id(string container) => D.Run("inspect", "-f", "{{.Id}}", container).Ok().Stdout.Trim();

    private const string Tutorial = """
        services:
          app:
            image: busybox
            command: ["sh", "-c", "echo app started as $$GREETING; exec sleep 600"]
            environment:
              GREETING: hello
              DB_HOST: db
            depends_on:
              db:
                condition: service_started
              cache:
                condition: service_started
            ports: ["127.0.0.1::8080"]
            init: true
          db:
            image: busybox
            command: httpd -f -p 3306 -h /
            volumes: [dbdata:/var/lib/db]
            stop_grace_period: 1s
          cache:
            image: busybox
            command: nc -ll -p 6379 -e echo PONG
            stop_signal: SIGKILL
        volumes:
          dbdata:
        """;

    [Fact]
    public void Tutorial_project_comes_up_in_order_keeps_what_is_unchanged_and_goes_down_without_a_trace()
    {
        string file = Write(Tutorial);
        var up = Compose(file, "tut", "up", "-d").Ok();
        string log = up.Stderr;
        Assert.True(log.IndexOf(" Container tut-db-1  Started", StringComparison.Ordinal) < log.IndexOf(" Container tut-app-1  Creating", StringComparison.Ordinal), log);
        Assert.True(log.IndexOf(" Container tut-cache-1  Started", StringComparison.Ordinal) < log.IndexOf(" Container tut-app-1  Creating", StringComparison.Ordinal), log);
        Assert.Contains(" Network tut_default  Created", log);
        Assert.Contains(" Volume tut_dbdata  Created", log);

        string ps = Compose(file, "tut", "ps").Ok().Stdout;
        foreach (string name in new[] { "tut-app-1", "tut-db-1", "tut-cache-1" }) Assert.Contains(name, ps);
        Assert.Matches(@"127\.0\.0\.1:\d+->8080/tcp", ps);
        Assert.Equal(["app", "cache", "db"], Compose(file, "tut", "ps", "--services").Ok().Stdout.Lines().Order());

        // Labels docker compose and docker-compose 1.29 look for.
        string labels = D.Run("inspect", "-f", "{{index .Config.Labels \"com.docker.compose.project\"}} {{index .Config.Labels \"com.docker.compose.service\"}} {{index .Config.Labels \"com.docker.compose.container-number\"}} {{index .Config.Labels \"com.docker.compose.oneoff\"}}", "tut-app-1").Ok().Stdout.Trim();
        Assert.Equal("tut app 1 False", labels);
        Assert.Equal("true 1 SIGKILL", D.Run("inspect", "-f", "{{.HostConfig.Init}}", "tut-app-1").Ok().Stdout.Trim() + " "
            + D.Run("inspect", "-f", "{{.Config.StopTimeout}}", "tut-db-1").Ok().Stdout.Trim() + " "
            + D.Run("inspect", "-f", "{{.Config.StopSignal}}", "tut-cache-1").Ok().Stdout.Trim());
        Assert.Equal("tut_default", D.Run("network", "inspect", "-f", "{{index .Labels \"com.docker.compose.project\"}}_{{index .Labels \"com.docker.compose.network\"}}", "tut_default").Ok().Stdout.Trim());

        // Service names and container names resolve on the project network.
        D.Run("exec", "tut-app-1", "ping", "-c1", "-W1", "db").Ok("app → db");
        D.Run("exec", "tut-app-1", "ping", "-c1", "-W1", "tut-cache-1").Ok("app → tut-cache-1");
        Assert.Equal("PONG", D.Run("exec", "tut-app-1", "nc", "cache", "6379").Ok().Stdout.Trim());

        var deadline = DateTime.UtcNow.AddSeconds(10);
        string logs;
        while (!(logs = Compose(file, "tut", "logs", "app").Ok().Stdout).Contains("app started") && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.Contains("tut-app-1  | app started as hello", logs);
        Assert.Equal("app started as hello", Compose(file, "tut", "logs", "--no-log-prefix", "--tail", "1", "app").Ok().Stdout.Trim());

        // up again: nothing is recreated.
        var ids = new[] { "tut-app-1", "tut-db-1", "tut-cache-1" }.ToDictionary(n => n, Id);
        var again = Compose(file, "tut", "up", "-d").Ok();
        Assert.DoesNotContain("Creat", again.Stderr);
        Assert.DoesNotContain("Recreate", again.Stderr);
        foreach (var (name, id) in ids) Assert.Equal(id, Id(name));

        // One service's environment changes: only that service is recreated.
        Write(Tutorial.Replace("GREETING: hello", "GREETING: changed"));
        var changed = Compose(file, "tut", "up", "-d").Ok();
        Assert.Contains(" Container tut-app-1  Recreate", changed.Stderr);
        Assert.NotEqual(ids["tut-app-1"], Id("tut-app-1"));
        Assert.Equal(ids["tut-db-1"], Id("tut-db-1"));
        Assert.Equal(ids["tut-cache-1"], Id("tut-cache-1"));
        Assert.Equal("GREETING=changed", D.Run("exec", "tut-app-1", "sh", "-c", "env | grep GREETING").Ok().Stdout.Trim());

        // --force-recreate recreates all of them.
        Compose(file, "tut", "up", "-d", "--force-recreate", "cache").Ok();
        Assert.NotEqual(ids["tut-cache-1"], Id("tut-cache-1"));

        Compose(file, "tut", "stop").Ok();
        Assert.Equal("", Compose(file, "tut", "ps", "-q").Ok().Stdout.Trim());
        Assert.Equal(3, Compose(file, "tut", "ps", "-a", "-q").Ok().Stdout.Lines().Length);
        Compose(file, "tut", "start").Ok();
        Assert.Equal(3, Compose(file, "tut", "ps", "-q").Ok().Stdout.Lines().Length);

        Compose(file, "tut", "down", "-v").Ok();
        Assert.Equal("", D.Run("ps", "-aq").Ok().Stdout.Trim());
        Assert.DoesNotContain("tut_", D.Run("network", "ls", "--format", "{{.Name}}").Ok().Stdout);
        Assert.Equal("", D.Run("volume", "ls", "-q").Ok().Stdout.Trim());
    }

    [Fact]
    public void Two_networks_keep_their_services_apart_and_a_service_on_both_reaches_each()
    {
        string file = Write("""
            services:
              auth:
                image: busybox
                command: sleep 600
                init: true
                networks: [authnet]
              front:
                image: busybox
                command: sleep 600
                init: true
                networks:
                  frontnet:
                    aliases: [www]
              gateway:
                image: busybox
                command: sleep 600
                init: true
                networks: [authnet, frontnet]
            networks:
              authnet: {}
              frontnet: {}
            """);
        Compose(file, "twonet", "up", "-d").Ok();
        Assert.NotEqual(0, D.Run("exec", "twonet-front-1", "nslookup", "auth").ExitCode);
        Assert.NotEqual(0, D.Run("exec", "twonet-front-1", "ping", "-c1", "-W1", "auth").ExitCode);
        Assert.NotEqual(0, D.Run("exec", "twonet-auth-1", "ping", "-c1", "-W1", "front").ExitCode);
        D.Run("exec", "twonet-gateway-1", "ping", "-c1", "-W1", "auth").Ok("gateway → auth");
        D.Run("exec", "twonet-gateway-1", "ping", "-c1", "-W1", "front").Ok("gateway → front");
        D.Run("exec", "twonet-gateway-1", "ping", "-c1", "-W1", "www").Ok("gateway → www (alias)");
        D.Run("exec", "twonet-auth-1", "ping", "-c1", "-W1", "gateway").Ok("auth → gateway");

        // front leaves the file: its container is an orphan, reported by up and removed with --remove-orphans.
        string yaml = File.ReadAllText(file);
        int from = yaml.IndexOf("  front:", StringComparison.Ordinal), to = yaml.IndexOf("  gateway:", StringComparison.Ordinal);
        File.WriteAllText(file, yaml[..from] + yaml[to..]);
        Assert.Contains("Found orphan containers ([twonet-front-1])", Compose(file, "twonet", "up", "-d").Ok().Stderr);
        Compose(file, "twonet", "up", "-d", "--remove-orphans").Ok();
        Assert.NotEqual(0, D.Run("inspect", "twonet-front-1").ExitCode);
        Compose(file, "twonet", "down").Ok();
        Assert.Equal("", D.Run("ps", "-aq").Ok().Stdout.Trim());
        Assert.DoesNotContain("twonet_", D.Run("network", "ls", "--format", "{{.Name}}").Ok().Stdout);
    }

    [Fact]
    public void A_bad_file_names_file_line_and_key_and_creates_nothing()
    {
        string file = Write("""
            services:
              app:
                image: busybox
                privileged: true
            """);
        var r = Compose(file, "bad", "up", "-d");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith(file + ":4: services.app.privileged: key \"privileged\" is not supported", r.Stderr);
        Assert.DoesNotContain("bad_", D.Run("network", "ls", "--format", "{{.Name}}").Ok().Stdout);
        Assert.Equal("", D.Run("ps", "-aq").Ok().Stdout.Trim());

        // An image that cannot be built fails before anything is created.
        file = Write("services:\n  app:\n    image: busybox\n  web:\n    image: mc-no-such-image:1\n    build: .\n");
        r = Compose(file, "bad", "up", "-d");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Dockerfile", r.Stderr);
        Assert.Equal("", D.Run("ps", "-aq").Ok().Stdout.Trim());
        Assert.DoesNotContain("bad_", D.Run("network", "ls", "--format", "{{.Name}}").Ok().Stdout);
    }

    [Fact]
    public void Completed_successfully_gates_a_service_and_a_failed_gate_leaves_what_was_made_to_down()
    {
        string file = Write("""
            services:
              migrate:
                image: busybox
                command: sh -c 'sleep 1; exit 0'
              app:
                image: busybox
                command: sleep 600
                init: true
                depends_on:
                  migrate: {condition: service_completed_successfully}
            """);
        Compose(file, "gate", "up", "-d").Ok();
        Assert.Equal("exited 0", D.Run("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "gate-migrate-1").Ok().Stdout.Trim());
        Assert.Equal("running", D.Run("inspect", "-f", "{{.State.Status}}", "gate-app-1").Ok().Stdout.Trim());
        Compose(file, "gate", "down").Ok();

        Write("""
            services:
              migrate:
                image: busybox
                command: sh -c 'exit 3'
              app:
                image: busybox
                command: sleep 600
                init: true
                depends_on:
                  migrate: {condition: service_completed_successfully}
            """);
        var r = Compose(file, "gate", "up", "-d");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("service \"migrate\" didn't complete successfully: exit 3", r.Stderr);
        Assert.Contains("it created: network gate_default, container gate-migrate-1", r.Stderr);
        Compose(file, "gate", "down").Ok();
        Assert.Equal("", D.Run("ps", "-aq").Ok().Stdout.Trim());
        Assert.DoesNotContain("gate_", D.Run("network", "ls", "--format", "{{.Name}}").Ok().Stdout);
    }

    [Fact]
    public void Build_exec_and_a_one_off_run()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "web"));
        File.WriteAllText(Path.Combine(_dir, "web", "Dockerfile"), "FROM busybox\nARG MSG=none\nRUN echo \"$MSG\" > /built\nCMD [\"sleep\", \"600\"]\n");
        string file = Write("""
            services:
              web:
                build:
                  context: ./web
                  args:
                    MSG: ${MSG:-from-compose}
                init: true
              db:
                image: busybox
                command: httpd -f -p 3306 -h /
                stop_signal: SIGKILL
            """);
        var up = Compose(file, "bld", "up", "-d").Ok();
        Assert.Contains(" Service web  Built", up.Stderr);
        Assert.Equal("from-compose", Compose(file, "bld", "exec", "-T", "web", "cat", "/built").Ok().Stdout.Trim());
        Assert.Equal(4, Compose(file, "bld", "exec", "-T", "web", "sh", "-c", "exit 4").ExitCode);
        Assert.Contains("bld-web-1", Compose(file, "bld", "images").Ok().Stdout);

        // up --build with a changed build arg: a new image, so web (and only web) is recreated.
        string webId = D.Run("inspect", "-f", "{{.Id}}", "bld-web-1").Ok().Stdout.Trim();
        string dbId = D.Run("inspect", "-f", "{{.Id}}", "bld-db-1").Ok().Stdout.Trim();
        File.WriteAllText(file, File.ReadAllText(file).Replace("from-compose", "rebuilt"));
        Compose(file, "bld", "up", "-d", "--build").Ok();
        Assert.NotEqual(webId, D.Run("inspect", "-f", "{{.Id}}", "bld-web-1").Ok().Stdout.Trim());
        Assert.Equal(dbId, D.Run("inspect", "-f", "{{.Id}}", "bld-db-1").Ok().Stdout.Trim());
        Assert.Equal("rebuilt", Compose(file, "bld", "exec", "-T", "web", "cat", "/built").Ok().Stdout.Trim());

        // A one-off container: on the project network, labelled oneoff, gone after --rm; its exit status is ours.
        var run = Compose(file, "bld", "run", "--rm", "-T", "web", "sh", "-c", "ping -c1 -W1 db >/dev/null && echo db-ok; exit 3");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("db-ok", run.Stdout.Trim());
        Assert.Equal(["bld-db-1", "bld-web-1"], D.Run("ps", "-a", "--format", "{{.Names}}").Ok().Stdout.Lines().Order());
        Assert.Contains("bld", Compose(file, "bld", "ls").Ok().Stdout);

        Compose(file, "bld", "down", "--rmi", "local").Ok();
        Assert.NotEqual(0, D.Run("image", "inspect", "bld-web").ExitCode);
        Assert.Equal(0, D.Run("image", "inspect", "busybox").ExitCode);
    }

    [Fact]
    public async Task Attached_up_prefixes_the_logs_and_ctrl_c_stops_the_project()
    {
        string file = Write("""
            services:
              talker:
                image: busybox
                command: sh -c 'echo talking; exec sleep 600'
                init: true
            """);
        var psi = Daemon.CliAtATerminal("-H", D.Host, "--no-autostart", "compose", "-f", file, "-p", "att", "up");
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var seen = new System.Text.StringBuilder();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (!seen.ToString().Contains("att-talker-1  | talking"))
            {
                string? line = await p.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null) break;
                seen.AppendLine(line);
            }
        Assert.Contains("att-talker-1  | talking", seen.ToString());
        Daemon.Exec("kill", ["-INT", p.Id.ToString()]).Ok();
        using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await p.WaitForExitAsync(exit.Token);
        Assert.Contains("Gracefully stopping...", await stderr);
        Assert.Equal("exited", D.Run("inspect", "-f", "{{.State.Status}}", "att-talker-1").Ok().Stdout.Trim());
        Compose(file, "att", "down").Ok();
    }

    /// <summary>Needs the daemon's healthchecks (branch h-health): before them, creating a service with a healthcheck is refused.</summary>
    [Fact]
    public void Service_healthy_gates_a_dependent_and_wait_reports_an_unhealthy_service()
    {
        string file = Write("""
            services:
              db:
                image: busybox
                command: sh -c 'sleep 1; touch /ready; exec sleep 600'
                init: true
                healthcheck:
                  test: ["CMD", "test", "-f", "/ready"]
                  interval: 300ms
                  retries: 20
              app:
                image: busybox
                command: sleep 600
                init: true
                depends_on:
                  db: {condition: service_healthy}
              broken:
                image: busybox
                command: sleep 600
                init: true
                profiles: [broken]
                healthcheck:
                  test: exit 1
                  interval: 200ms
                  retries: 3
            """);
        var up = Compose(file, "hl", "up", "-d", "--wait").Ok();
        Assert.True(up.Stderr.IndexOf(" Container hl-db-1  Started", StringComparison.Ordinal) < up.Stderr.IndexOf(" Container hl-app-1  Creating", StringComparison.Ordinal), up.Stderr);
        Assert.Equal("healthy", D.Run("inspect", "-f", "{{.State.Health.Status}}", "hl-db-1").Ok().Stdout.Trim());
        Assert.Contains("(healthy)", Compose(file, "hl", "ps", "db").Ok().Stdout);

        var wait = D.Run("compose", "-f", file, "-p", "hl", "--profile", "broken", "up", "-d", "--wait", "broken");
        Assert.Equal(1, wait.ExitCode);
        Assert.Contains("container hl-broken-1 is unhealthy", wait.Stderr);
        D.Run("compose", "-f", file, "-p", "hl", "--profile", "broken", "down").Ok();
        Assert.Equal("", D.Run("ps", "-aq").Ok().Stdout.Trim());
    }
}
