using System.Text.RegularExpressions;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// container prune and system prune, from our CLI and from the real docker CLI against the same daemon: what goes,
/// what stays (running containers, networks in use, tagged images), the filters, the prompt, and the report's shape.
/// A daemon of its own, since a prune takes whatever it finds.
/// </summary>
public sealed partial class PruneTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose() => _docker.Dispose();

    private CommandResult Mc(params string[] args) => Log(_d.Run(args), args);
    private CommandResult McWithInput(string stdin, params string[] args) => Log(_d.RunWithInput(stdin, args), args);

    private CommandResult Log(CommandResult r, string[] args)
    {
        output.WriteLine($"minicontainer {string.Join(' ', args)} → {r}");
        return r;
    }

    private string Id(string container) => Mc("inspect", "-f", "{{.Id}}", container).Ok().Stdout.Trim();

    [Fact]
    public void Container_prune_removes_stopped_containers_only_and_honours_filters_and_the_prompt()
    {
        Mc("run", "--name", "exited1", "busybox", "true").Ok();
        Mc("create", "--name", "created1", "busybox").Ok();
        Mc("run", "--name", "kept", "--label", "keep=yes", "busybox", "sh", "-c", "head -c 3000 /dev/zero > /data").Ok();
        Mc("run", "-d", "--name", "live", "busybox", "sleep", "600").Ok();
        string exited = Id("exited1"), created = Id("created1"), kept = Id("kept"), live = Id("live");

        // "until" keeps what is younger than an hour; a filter the daemon does not know is refused, by both CLIs.
        Assert.Equal("Total reclaimed space: 0B\n", Mc("container", "prune", "-f", "--filter", "until=1h").Ok().Stdout);
        foreach (var bad in new[] { Mc("container", "prune", "-f", "--filter", "colour=red"), _docker.Run("container", "prune", "-f", "--filter", "colour=red") })
        {
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("invalid filter 'colour'", bad.Stderr);
        }
        // Without -f it asks first; "n" removes nothing.
        var declined = McWithInput("n\n", "container", "prune");
        Assert.Equal(0, declined.ExitCode);
        Assert.StartsWith("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ", declined.Stdout);
        Assert.Equal(4, Mc("ps", "-aq").Ok().Stdout.Lines().Length);

        // label! spares the labelled one; the running one always stays.
        string ours = Mc("container", "prune", "-f", "--filter", "label!=keep=yes").Ok().Stdout;
        Assert.StartsWith("Deleted Containers:\n", ours);
        Assert.Equal(new[] { created, exited }.Order(), ours.Lines()[1..3].Order());
        Assert.EndsWith("\n\nTotal reclaimed space: 0B\n", ours);

        // The docker CLI takes the last stopped one and prints the same report, counting its 3000-byte file.
        Assert.Equal($"Deleted Containers:\n{kept}\n\nTotal reclaimed space: 3kB\n", _docker.Run("container", "prune", "-f").Ok().Stdout);
        Assert.Equal(live, Mc("ps", "-aq", "--no-trunc").Ok().Stdout.Trim());
        Mc("rm", "-f", "live").Ok();
    }

    [Fact]
    public void System_prune_takes_stopped_containers_unused_networks_and_dangling_images_as_the_docker_cli_does()
    {
        // Ours first, then the same scene again for the docker CLI; the two reports must read alike.
        string ours = PruneScene(cli => McWithInput("y\n", cli));
        string theirs = PruneScene(cli => _docker.RunWithInput("y\n", cli));
        Assert.Equal(Normalize(theirs), Normalize(ours));

        Assert.StartsWith("WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n" +
                          "  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ", ours);
        Assert.Contains("Deleted Containers:\n", ours);
        Assert.Contains("Deleted Networks:\n", ours);
        Assert.Contains("Deleted Images:\ndeleted: sha256:", ours);
        Assert.Matches(@"Total reclaimed space: \d+(\.\d+)?[kM]?B\n$", ours);

        // What must stay did: the running container, its network, and the tagged images.
        Assert.Equal(["busybox:latest", "mc-probe:latest"], Mc("images", "--format", "{{.Repository}}:{{.Tag}}").Ok().Stdout.Lines().Order().ToArray());
        Assert.Contains("inuse", Mc("network", "ls", "--format", "{{.Name}}").Ok().Stdout.Lines());
        Mc("rm", "-f", "sp-live").Ok();
        Mc("network", "rm", "inuse").Ok();
    }

    [Fact]
    public void System_df_and_ps_size_count_what_containers_and_volumes_hold_as_the_docker_cli_shows_it()
    {
        string used = Support.Unique("dfused"), idle = Support.Unique("dfidle");
        Mc("volume", "create", idle).Ok();
        Mc("run", "--rm", "-v", idle + ":/v", "busybox", "sh", "-c", "head -c 500 /dev/zero > /v/f").Ok();
        Mc("run", "-d", "--name", "df-live", "-v", used + ":/v", "busybox", "sh", "-c",
            "head -c 2000 /dev/zero > /v/f; head -c 3000 /dev/zero > /w; sleep 600").Ok();
        Mc("run", "--name", "df-stopped", "busybox", "sh", "-c", "head -c 1000 /dev/zero > /w").Ok();
        try
        {
            Support.WaitUntil(() => Mc("exec", "df-live", "stat", "-c", "%s", "/w").Stdout.Trim() == "3000", TimeSpan.FromSeconds(10), "df-live wrote its file");
            string ours = Mc("system", "df").Ok().Stdout;
            Assert.Equal(_docker.Run("system", "df").Ok().Stdout, ours);
            Assert.Matches(@"\nContainers\s+2\s+1\s+4kB\s+1kB \(25%\)\n", ours);
            Assert.Matches(@"\nLocal Volumes\s+2\s+1\s+2\.5kB\s+500B \(20%\)\n", ours);
            Assert.Matches(@"\nBuild Cache\s+0\s+0\s+0B\s+0B\n", ours);
            Assert.Equal("Images 2 1\n", Mc("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}").Ok().Stdout.Lines()[0] + "\n");

            // -v: a table per kind. The two runs may be a second apart, so ages (and the column widths they set) are evened out.
            string verbose = Mc("system", "df", "-v").Ok().Stdout;
            Assert.Equal(Untimed(_docker.Run("system", "df", "-v").Ok().Stdout), Untimed(verbose));
            Assert.Matches(@"\nLocal Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\n", verbose);
            Assert.Matches($@"\n{used} +1 +2kB\n", verbose);
            Assert.Matches($@"\n{idle} +0 +500B\n", verbose);
            Assert.Matches(@" +Up .* +df-live\n", verbose);
            Assert.Contains("\nBuild cache usage: 0B\n", verbose);

            string size = Mc("ps", "-s", "--format", "{{.Size}}", "--filter", "name=df-live").Ok().Stdout;
            Assert.StartsWith("3kB (virtual ", size);
            Assert.Equal(_docker.Run("ps", "-s", "--format", "{{.Size}}", "--filter", "name=df-live").Ok().Stdout, size);
            Assert.Equal("3000\n", Mc("inspect", "-s", "-f", "{{.SizeRw}}", "df-live").Ok().Stdout);
            Assert.Equal("3000\n", _docker.Run("inspect", "-s", "-f", "{{.SizeRw}}", "df-live").Ok().Stdout);
            Assert.Equal("<nil>\n", _docker.Run("inspect", "-f", "{{.SizeRw}}", "df-live").Ok().Stdout);   // only when asked, as from dockerd
        }
        finally
        {
            Mc("rm", "-f", "df-live", "df-stopped");
            Mc("volume", "rm", used, idle);
        }
    }

    /// <summary>A stopped container, an unused network and a dangling image (a nameless commit), plus a running
    /// container on a network in use; then `system prune` by <paramref name="prune"/>, whose output it returns.</summary>
    private string PruneScene(Func<string[], CommandResult> prune)
    {
        Mc("run", "--name", "sp-stopped", "busybox", "sh", "-c", "echo hi > /hi").Ok();
        Mc("commit", "sp-stopped").Ok();
        Mc("network", "create", "unused").Ok();
        if (!Mc("network", "ls", "--format", "{{.Name}}").Ok().Stdout.Lines().Contains("inuse"))
        {
            Mc("network", "create", "inuse").Ok();
            Mc("run", "-d", "--name", "sp-live", "--network", "inuse", "busybox", "sleep", "600").Ok();
        }
        var r = prune(["system", "prune"]).Ok();
        Assert.Empty(Mc("ps", "-aq", "--filter", "status=exited").Ok().Stdout.Trim());
        Assert.DoesNotContain("unused", Mc("network", "ls", "--format", "{{.Name}}").Ok().Stdout.Lines());
        Assert.Empty(Mc("images", "-q", "--filter", "dangling=true").Ok().Stdout.Trim());
        return r.Stdout;
    }

    /// <summary>Ages ("3 seconds ago", "Up 1 second") differ between two runs a moment apart, and so do the widths of
    /// their columns; the rest must not.</summary>
    private static string Untimed(string table) =>
        Spaces().Replace(Age().Replace(table, "<age>"), " ");

    [GeneratedRegex(@"(Less than a second|About a minute|About an hour|\d+ (second|minute|hour|day|week|month|year)s?)")]
    private static partial Regex Age();

    [GeneratedRegex(" {2,}")]
    private static partial Regex Spaces();

    /// <summary>IDs and sizes differ between two runs; the words and the layout must not.</summary>
    private static string Normalize(string report) =>
        Size().Replace(HexId().Replace(report, "<id>"), "<size>");

    [GeneratedRegex("[0-9a-f]{64}")]
    private static partial Regex HexId();

    [GeneratedRegex(@"\d+(\.\d+)?[kMG]?B\b")]
    private static partial Regex Size();
}
