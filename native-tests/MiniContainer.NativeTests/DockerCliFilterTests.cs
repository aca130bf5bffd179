using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `--filter` through the real docker CLI, with dockerd's rules: every `label` must match (docker-compose asks for
/// project AND service this way), values of other keys are alternatives, different keys must all hold.
/// </summary>
public sealed class DockerCliFilterTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose() => _docker.Dispose();

    private CommandResult Docker(params string[] args) => _docker.Run(args);

    [Fact]
    public void Docker_ps_with_two_label_filters_lists_only_containers_carrying_both()
    {
        string tag = Support.Unique("flt");
        string both = tag + "-both", onlyA = tag + "-a", onlyB = tag + "-b";
        try
        {
            Docker("create", "--name", both, "--label", $"{tag}.a=1", "--label", $"{tag}.b=2", "busybox", "true").Ok();
            Docker("create", "--name", onlyA, "--label", $"{tag}.a=1", "busybox", "true").Ok();
            Docker("create", "--name", onlyB, "--label", $"{tag}.b=2", "busybox", "true").Ok();

            string Names(params string[] filters) => string.Join(' ', Docker(
                    ["ps", "-a", "--format", "{{.Names}}", .. filters.SelectMany(f => new[] { "--filter", f })]).Ok().Stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());

            Assert.Equal(both, Names($"label={tag}.a=1", $"label={tag}.b=2"));
            Assert.Equal($"{onlyA} {both}", Names($"label={tag}.a=1"));
            // name values (anchored regular expressions here) are alternatives; with a label they must both hold
            Assert.Equal($"{onlyA} {onlyB}", Names($"name=^{onlyA}$", $"name=^{onlyB}$"));
            Assert.Equal(onlyB, Names($"name=^{onlyA}$", $"name=^{onlyB}$", $"label={tag}.b"));
            // the same for volumes and networks
            Docker("volume", "create", "--label", $"{tag}.a=1", "--label", $"{tag}.b=2", both).Ok();
            Docker("volume", "create", "--label", $"{tag}.a=1", onlyA).Ok();
            Assert.Equal(both, Docker("volume", "ls", "-q", "--filter", $"label={tag}.a=1", "--filter", $"label={tag}.b=2").Ok().Stdout.Trim());
            Docker("network", "create", "--label", $"{tag}.a=1", "--label", $"{tag}.b=2", both).Ok();
            Docker("network", "create", "--label", $"{tag}.a=1", onlyA).Ok();
            Assert.Equal(both, Docker("network", "ls", "--format", "{{.Name}}", "--filter", $"label={tag}.a=1", "--filter", $"label={tag}.b=2").Ok().Stdout.Trim());
            // prune takes the same rule: only the container with both labels goes
            Assert.Contains("Total reclaimed space", Docker("container", "prune", "-f", "--filter", $"label={tag}.a=1", "--filter", $"label={tag}.b=2").Ok().Stdout);
            Assert.Equal($"{onlyA} {onlyB}", Names($"name={tag}"));

            CommandResult bad = Docker("ps", "--filter", "colour=blue");
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("invalid filter 'colour'", bad.Stderr);
        }
        finally
        {
            _d.Run("rm", "-f", both, onlyA, onlyB);
            _d.Run("volume", "rm", both, onlyA);
            _d.Run("network", "rm", both, onlyA);
        }
    }
}
