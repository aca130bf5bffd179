using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `docker rename` through the real docker CLI: a running container on a user network is renamed, another container
/// on that network resolves the new name (and no longer the old one) through the embedded DNS, the name survives a
/// daemon restart, and bad renames get dockerd's errors and docker's exit status.
/// </summary>
public sealed class DockerCliRenameTests : IDisposable
{
    private readonly NetworkDaemon _net;
    private readonly DockerCli _docker;

    public DockerCliRenameTests(ITestOutputHelper output)
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
    public void Docker_rename_a_running_container_and_its_dns_name_follows()
    {
        Docker("network", "create", "renet").Ok();
        Docker("run", "-d", "--name", "web", "--network", "renet", "--network-alias", "www", "busybox", "sleep", "600").Ok();
        Docker("run", "-d", "--name", "client", "--network", "renet", "busybox", "sleep", "600").Ok();
        Docker("exec", "client", "ping", "-c1", "-W1", "web").Ok();

        CommandResult renamed = Docker("rename", "web", "frontend").Ok();
        Assert.Equal("", renamed.Stdout + renamed.Stderr);
        Assert.Equal("/frontend true", Docker("inspect", "-f", "{{.Name}} {{.State.Running}}", "frontend").Ok().Stdout.Trim());
        Assert.Contains("frontend", Docker("ps", "--format", "{{.Names}}").Ok().Stdout.Lines());
        Docker("exec", "client", "ping", "-c1", "-W1", "frontend").Ok();
        Docker("exec", "client", "ping", "-c1", "-W1", "www").Ok();   // the alias stays
        Assert.NotEqual(0, Docker("exec", "client", "ping", "-c1", "-W1", "web").ExitCode);

        // The name is on disk: a restarted daemon knows the container, and its DNS the name, as renamed.
        _net.Daemon.Stop();
        _net.Daemon.Start();
        Assert.Equal("/frontend", Docker("inspect", "-f", "{{.Name}}", "frontend").Ok().Stdout.Trim());
        Support.WaitUntil(() => Docker("exec", "client", "ping", "-c1", "-W1", "frontend").ExitCode == 0, TimeSpan.FromSeconds(10), "frontend to resolve after the restart");

        CommandResult taken = Docker("rename", "frontend", "client");
        Assert.Equal(1, taken.ExitCode);
        Assert.Contains("Conflict. The container name \"/client\" is already in use by container", taken.Stderr);
        Assert.Contains("Error: failed to rename container named frontend", taken.Stderr);
        CommandResult missing = Docker("rename", "nope", "other");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No such container: nope", missing.Stderr);
        CommandResult invalid = Docker("rename", "frontend", "bad/name");
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("Invalid container name (bad/name)", invalid.Stderr);
        Assert.Equal("/frontend", Docker("inspect", "-f", "{{.Name}}", "frontend").Ok().Stdout.Trim());

        // our own CLI says the same
        CommandResult ours = _net.Daemon.Run("rename", "frontend", "client");
        Assert.Equal(1, ours.ExitCode);
        Assert.Contains("Error: failed to rename container named frontend", ours.Stderr);
        _net.Daemon.Run("rename", "frontend", "web2").Ok();
        Assert.Equal("/web2", Docker("inspect", "-f", "{{.Name}}", "web2").Ok().Stdout.Trim());
        _net.Daemon.Run("container", "rename", "web2", "web3").Ok();

        Docker("rm", "-f", "web3", "client").Ok();
        Docker("network", "rm", "renet").Ok();
    }
}
