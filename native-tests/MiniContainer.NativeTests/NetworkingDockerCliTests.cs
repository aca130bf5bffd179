using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>The tutorial scenario through the real docker CLI against our daemon (own config dir, own socket).</summary>
public sealed class NetworkingDockerCliTests : IDisposable
{
    private readonly NetworkDaemon _net;
    private readonly DockerCli _docker;

    public NetworkingDockerCliTests(ITestOutputHelper output)
    {
        _net = new NetworkDaemon();
        _docker = new DockerCli(_net.Daemon, output);
    }

    public void Dispose()
    {
        _net.Dispose();
        _docker.Dispose();
        Assert.Empty(_net.Leftovers());
    }

    private CommandResult Docker(params string[] args) => _docker.Run(args);

    [Fact]
    public void Docker_network_create_ls_inspect_connect_disconnect_and_publish()
    {
        Docker("network", "create", "authnet").Ok();
        Docker("network", "create", "--subnet", $"10.{_net.Octet}.91.0/24", "--label", "app=notes", "frontnet").Ok();
        string ls = Docker("network", "ls", "--format", "{{.Name}} {{.Driver}}").Ok().Stdout;
        Assert.Contains("authnet bridge", ls);
        Assert.Contains("frontnet bridge", ls);
        Assert.Contains("none null", ls);
        Assert.Equal($"10.{_net.Octet}.91.0/24 10.{_net.Octet}.91.1 app=notes",
            Docker("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{range $k, $v := .Labels}}{{$k}}={{$v}}{{end}}", "frontnet").Ok().Stdout.Trim());

        Docker("run", "-d", "--name", "userauth", "--network", "authnet", "--network-alias", "auth", "busybox", "sleep", "600").Ok();
        Docker("run", "-d", "--name", "notes", "--network", "frontnet", "-p", "127.0.0.1::80", "busybox", "sleep", "600").Ok();
        Assert.Contains("->80/tcp", Docker("ps", "--format", "{{.Ports}}", "--filter", "name=notes").Ok().Stdout);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", Docker("port", "notes", "80").Ok().Stdout.Trim());

        Assert.NotEqual(0, Docker("exec", "notes", "ping", "-c1", "-W1", "auth").ExitCode);
        Docker("network", "connect", "authnet", "notes").Ok();
        Docker("exec", "notes", "ping", "-c1", "-W1", "auth").Ok();
        string containers = Docker("network", "inspect", "-f", "{{range .Containers}}{{.Name}}={{.IPv4Address}} {{end}}", "authnet").Ok().Stdout;
        Assert.Contains("notes=", containers);
        Assert.Contains("userauth=", containers);
        Assert.Matches(@"^02:42:", Docker("inspect", "-f", "{{.NetworkSettings.Networks.authnet.MacAddress}}", "notes").Ok().Stdout.Trim());
        Docker("network", "disconnect", "authnet", "notes").Ok();
        Assert.NotEqual(0, Docker("exec", "notes", "ping", "-c1", "-W1", "auth").ExitCode);

        var rm = Docker("network", "rm", "authnet");
        Assert.NotEqual(0, rm.ExitCode);
        Assert.Contains("has active endpoints", rm.Stderr);
        Docker("rm", "-f", "userauth").Ok();
        Docker("network", "rm", "authnet").Ok();
        Assert.Contains("frontnet", Docker("network", "ls").Ok().Stdout);
    }

    /// <summary>On a user-defined network a link is a name only the linking container resolves (docker-compose 1.29's
    /// `run` links its one-off container to the project's services); a legacy link from the default bridge to it is dockerd's error.</summary>
    [Fact]
    public void A_link_on_a_user_network_is_an_alias_only_its_container_resolves()
    {
        Docker("network", "create", "linknet").Ok();
        Docker("run", "-d", "--name", "db-linked", "--network", "linknet", "busybox", "sleep", "600").Ok();
        Docker("run", "-d", "--name", "other", "--network", "linknet", "busybox", "sleep", "600").Ok();
        string dbIp = Docker("inspect", "-f", "{{.NetworkSettings.Networks.linknet.IPAddress}}", "db-linked").Ok().Stdout.Trim();
        string answer = Docker("run", "--rm", "--network", "linknet", "--link", "db-linked:database", "busybox", "nslookup", "database").Ok().Stdout;
        Assert.Contains(dbIp, answer);
        Assert.NotEqual(0, Docker("exec", "other", "nslookup", "database").ExitCode);   // the alias is the linker's alone
        var missing = Docker("run", "--rm", "--network", "linknet", "--link", "nosuch:x", "busybox", "true");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("No such container: nosuch", missing.Stderr);
        var legacy = Docker("run", "--rm", "--link", "db-linked:database", "busybox", "true");
        Assert.NotEqual(0, legacy.ExitCode);
        Assert.Contains("Cannot link to /db-linked, as it does not belong to the default network", legacy.Stderr);
        Docker("rm", "-f", "db-linked", "other").Ok();
        Docker("network", "rm", "linknet").Ok();
    }

    /// <summary>Docker's legacy links on the default bridge: the linking container gets /etc/hosts lines and the
    /// ALIAS_* environment describing the linked one, the linked one a name "/linker/alias" (ps --no-trunc), which
    /// `docker rm --link` removes, leaving both containers.</summary>
    [Fact]
    public void Legacy_links_on_the_default_bridge_give_hosts_lines_and_environment_and_rm_link_removes_them()
    {
        Docker("run", "-d", "--name", "ldb", "-e", "FOO=1", "--expose", "5432", "busybox", "sleep", "600").Ok();
        string ip = Docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "ldb").Ok().Stdout.Trim();
        var env = Docker("run", "--rm", "--name", "lweb", "--link", "ldb:database", "busybox", "env").Ok().Stdout.Lines();
        Assert.Contains("DATABASE_NAME=/lweb/database", env);
        Assert.Contains("DATABASE_ENV_FOO=1", env);
        Assert.Contains($"DATABASE_PORT=tcp://{ip}:5432", env);
        Assert.Contains($"DATABASE_PORT_5432_TCP=tcp://{ip}:5432", env);
        Assert.Contains($"DATABASE_PORT_5432_TCP_ADDR={ip}", env);
        Assert.DoesNotContain(env, l => l.StartsWith("DATABASE_ENV_PATH=", StringComparison.Ordinal));
        string hosts = Docker("run", "--rm", "--link", "ldb:database", "busybox", "cat", "/etc/hosts").Ok().Stdout;
        Assert.Contains($"{ip}\tdatabase ", hosts);
        Docker("run", "--rm", "--link", "ldb:database", "busybox", "ping", "-c1", "-W2", "database").Ok();

        Docker("run", "-d", "--name", "lweb2", "--link", "ldb:db", "busybox", "sleep", "600").Ok();
        Assert.Contains("lweb2/db", Docker("ps", "--no-trunc", "--filter", "name=ldb", "--format", "{{.Names}}").Ok().Stdout);
        Docker("rm", "--link", "lweb2/db").Ok();
        Assert.DoesNotContain("lweb2/db", Docker("ps", "--no-trunc", "--format", "{{.Names}}").Ok().Stdout);
        Assert.Equal("true true", Docker("inspect", "-f", "{{.State.Running}}", "ldb").Ok().Stdout.Trim() + " " +
                                  Docker("inspect", "-f", "{{.State.Running}}", "lweb2").Ok().Stdout.Trim());
        Docker("rm", "-f", "ldb", "lweb2").Ok();
        var stopped = Docker("run", "--rm", "--link", "nosuch:x", "busybox", "true");
        Assert.NotEqual(0, stopped.ExitCode);
        Assert.Contains("No such container: nosuch", stopped.Stderr);
    }

    [Fact]
    public void Network_prune_removes_unused_user_networks_and_their_bridges_only_in_both_clis()
    {
        var d = _net.Daemon;
        d.Run("network", "create", "--label", "keep=no", "idle1").Ok();
        d.Run("network", "create", "idle2").Ok();
        d.Run("network", "create", "busy").Ok();
        d.Run("run", "-d", "--name", "user", "--network", "busy", "busybox", "sleep", "600").Ok();
        int Bridges() => _net.Leftovers().Count(l => l.StartsWith($"mct{_net.Tag}-", StringComparison.Ordinal));
        Assert.Equal(3, Bridges());

        // A label filter narrows it; without -f the prompt comes first, and "n" prunes nothing.
        string ours = d.Run("network", "prune", "-f", "--filter", "label=keep=no").Ok().Stdout;
        Assert.Equal(0, d.RunWithInput("n\n", "network", "prune").ExitCode);
        Assert.Contains("idle2", d.Run("network", "ls").Ok().Stdout);
        string docker = Docker("network", "prune", "-f").Ok().Stdout;
        Assert.Equal(ours.Replace("idle1", "idle2"), docker);   // the same report from both CLIs
        Assert.StartsWith("Deleted Networks:\nidle1\n", ours);

        Assert.Equal(["bridge", "busy", "host", "none"], d.Run("network", "ls", "--format", "{{.Name}}").Ok().Stdout.Lines().Order().ToArray());
        Assert.Equal(1, Bridges());   // busy's bridge alone is left
        Assert.Equal("", d.Run("network", "prune", "-f").Ok().Stdout);
        Assert.Equal("", Docker("network", "prune", "-f").Ok().Stdout);
    }
}
