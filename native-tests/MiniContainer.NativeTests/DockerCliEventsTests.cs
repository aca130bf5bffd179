using System.Globalization;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// `docker events` (the real docker CLI) and `minicontainer events` against the daemon: a container's life replayed in
/// order with --since/--until, a live stream that ends at --until, exec events, filters and docker's output formats.
/// </summary>
public sealed class DockerCliEventsTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>, IDisposable
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly DockerCli _docker = new(fixture.Daemon, output);

    public void Dispose() => _docker.Dispose();

    private CommandResult Docker(params string[] args) => _docker.Run(args);

    private static string Unix(DateTimeOffset t) => (t.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    [Fact]
    public void Docker_events_since_until_shows_a_containers_life_in_order()
    {
        string name = Support.Unique("evt");
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        try
        {
            Docker("run", "--name", name, "--label", "evt.test=1", "busybox", "true").Ok();
            Docker("rm", name).Ok();
            var until = DateTimeOffset.UtcNow.AddSeconds(1);
            Thread.Sleep(1200);   // until is now in the past: the replay ends by itself

            string[] actions = Docker("events", "--since", Unix(since), "--until", Unix(until), "--filter", "container=" + name,
                "--filter", "type=container", "--format", "{{.Action}}").Ok().Stdout.Lines();
            Assert.Equal(["create", "attach", "start", "die", "destroy"], actions);

            // event values are alternatives; the label filter matches the container's labels in the attributes
            string[] picked = Docker("events", "--since", Unix(since), "--until", Unix(until), "--filter", "label=evt.test=1",
                "--filter", "event=start", "--filter", "event=destroy", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Status}}").Ok().Stdout.Lines();
            Assert.Equal([$"container start {name} start", $"container destroy {name} destroy"], picked);

            string json = Docker("events", "--since", Unix(since), "--until", Unix(until), "--filter", "container=" + name,
                "--filter", "event=die", "--format", "{{json .}}").Ok().Stdout.Trim();
            Assert.Contains("\"Type\":\"container\"", json);
            Assert.Contains("\"exitCode\":\"0\"", json);
            Assert.Contains("\"scope\":\"local\"", json);

            // our CLI: docker's default line
            string line = _d.Run("events", "--since", Unix(since), "--until", Unix(until), "--filter", "container=" + name, "--filter", "event=create").Ok().Stdout.Trim();
            Assert.Matches($@"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{9}}(Z|[+-]\d\d:\d\d) container create [0-9a-f]{{64}} \(evt\.test=1, image=busybox, name={name}\)$", line);

            CommandResult bad = Docker("events", "--until", Unix(until), "--filter", "colour=blue");
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("invalid filter 'colour'", bad.Stderr);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public async Task Docker_events_streams_live_until_the_until_time_with_exec_and_kill_events()
    {
        string name = Support.Unique("evl");
        try
        {
            var until = DateTimeOffset.UtcNow.AddSeconds(8);
            var stream = Task.Run(() => Docker("events", "--until", Unix(until), "--filter", "container=" + name, "--format", "{{.Action}}"));
            Thread.Sleep(1000);   // the stream is open before anything happens
            Docker("run", "-d", "--name", name, "busybox", "sleep", "600").Ok();
            Docker("exec", name, "true").Ok();
            Docker("kill", "-s", "USR1", name).Ok();
            Docker("rm", "-f", name).Ok();
            var result = await stream.WaitAsync(TimeSpan.FromSeconds(30));   // ends at `until`, by itself
            string[] actions = result.Ok().Stdout.Lines();
            Assert.Equal(["create", "start", "exec_create: true", "exec_start: true", "exec_die", "kill", "kill", "die", "destroy"], actions);   // USR1, then rm -f's SIGKILL
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Network_volume_and_image_events_come_in_order()
    {
        string net = Support.Unique("evn"), vol = Support.Unique("evv"), tag = Support.Unique("evimg") + ":1";
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        try
        {
            Docker("network", "create", net).Ok();
            Docker("volume", "create", vol).Ok();
            Docker("run", "--rm", "--network", net, "-v", vol + ":/data", "busybox", "true").Ok();
            Docker("network", "rm", net).Ok();
            Docker("volume", "rm", vol).Ok();
            Docker("tag", "busybox", tag).Ok();
            Docker("rmi", tag).Ok();
            var until = DateTimeOffset.UtcNow.AddSeconds(1);
            Thread.Sleep(1200);

            string[] Events(params string[] filters) => Docker(["events", "--since", Unix(since), "--until", Unix(until),
                .. filters.SelectMany(f => new[] { "--filter", f }), "--format", "{{.Type}} {{.Action}}"]).Ok().Stdout.Lines();
            Assert.Equal(["network create", "network connect", "network disconnect", "network destroy"], Events("network=" + net));
            Assert.Equal(["volume create", "volume mount", "volume unmount", "volume destroy"], Events("volume=" + vol));
            Assert.Equal(["image tag", "image untag"], Events("type=image", "event=tag", "event=untag", "event=delete"));   // not the fixture's loads
            Assert.Equal(tag, Docker("events", "--since", Unix(since), "--until", Unix(until), "--filter", "event=tag",
                "--format", "{{.Actor.Attributes.name}}").Ok().Stdout.Trim());
        }
        finally
        {
            _d.Run("network", "rm", net);
            _d.Run("volume", "rm", vol);
            _d.Run("rmi", tag);
        }
    }
}
