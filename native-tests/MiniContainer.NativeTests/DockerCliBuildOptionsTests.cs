using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// docker build's options for RUN steps and the cache, through the real docker CLI (classic builder): --add-host
/// lines in the RUN containers' /etc/hosts, --network none (only loopback) and host, and --cache-from, which limits
/// cache hits to the named images and what was built on the way to them.
/// </summary>
public sealed class DockerCliBuildOptionsTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    private static string Context(string dockerfile)
    {
        string dir = Directory.CreateTempSubdirectory("mc-build-opts-").FullName;
        File.WriteAllText(Path.Combine(dir, "Dockerfile"), dockerfile);
        return dir;
    }

    [Fact]
    public void Add_host_and_network_reach_the_RUN_steps()
    {
        using var docker = new DockerCli(_d, output);
        string ctx = Context("FROM busybox\nRUN grep -E '^127.0.0.1\\s+hello.test$' /etc/hosts && ping -c1 -W1 hello.test\nRUN ls /sys/class/net > /nets\n");
        string tag = Support.Unique("mcbuildopts");
        try
        {
            docker.Run("build", "--no-cache", "--add-host", "hello.test:127.0.0.1", "--network", "none", "-t", tag, ctx).Ok("docker build");
            Assert.Equal("lo\n", _d.Run("run", "--rm", tag, "cat", "/nets").Ok().Stdout);
            docker.Run("build", "--no-cache", "--add-host", "hello.test:127.0.0.1", "--network", "host", "-t", tag, ctx).Ok("docker build");
            var hostNets = Directory.GetFileSystemEntries("/sys/class/net").Select(Path.GetFileName).Order(StringComparer.Ordinal);
            Assert.Equal(string.Join("\n", hostNets) + "\n", _d.Run("run", "--rm", tag, "cat", "/nets").Ok().Stdout);
            // Without --add-host the name is unknown: the step fails with ping's status.
            var failed = docker.Run("build", "--no-cache", "-t", tag + "-fails", ctx);
            Assert.NotEqual(0, failed.ExitCode);
            Assert.Contains("returned a non-zero code: 1", failed.Stderr + failed.Stdout);
        }
        finally
        {
            _d.Run("rmi", tag);
            Directory.Delete(ctx, recursive: true);
        }
    }

    [Fact]
    public void Cache_from_uses_only_the_named_images_chain()
    {
        using var docker = new DockerCli(_d, output);
        string ctx = Context($"FROM busybox\nENV MARK={Guid.NewGuid():N}\nRUN touch /baz\n");
        string first = Support.Unique("mccachefrom"), second = first + "-2";
        try
        {
            docker.Run("build", "-t", first, ctx).Ok("docker build");
            var cached = docker.Run("build", "--cache-from", first, "-t", second, ctx).Ok("docker build");
            Assert.Equal(2, cached.Stdout.Split("Using cache").Length - 1);
            var uncached = docker.Run("build", "--cache-from", "mc-nosuch-image", "-t", second, ctx).Ok("docker build");
            Assert.DoesNotContain("Using cache", uncached.Stdout);
        }
        finally
        {
            _d.Run("rmi", first, second);
            Directory.Delete(ctx, recursive: true);
        }
    }
}
