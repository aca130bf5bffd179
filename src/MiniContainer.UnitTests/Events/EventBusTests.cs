using MiniContainer.Events;
using Xunit;

namespace MiniContainer.UnitTests.Events;

/// <summary>The daemon's event log: live delivery in order, replay of the kept past for `since`/`until`, a bounded ring.</summary>
public sealed class EventBusTests
{
    [Fact]
    public async Task A_subscriber_receives_events_published_after_it_subscribed_in_order()
    {
        var bus = new EventBus();
        bus.Publish(EventTypes.Container, "create", "before");
        using var sub = bus.Subscribe(since: null, until: null);
        Assert.Empty(sub.Past);   // no since: no replay, as dockerd
        bus.Publish(EventTypes.Container, "start", "c1");
        bus.Publish(EventTypes.Container, "die", "c1");
        Assert.Equal("start", (await sub.Live.ReadAsync()).Action);
        Assert.Equal("die", (await sub.Live.ReadAsync()).Action);
    }

    [Fact]
    public void Since_and_until_replay_the_kept_events_in_that_range_inclusively()
    {
        var bus = new EventBus();
        var a = bus.Publish(EventTypes.Container, "create", "c1");
        var b = bus.Publish(EventTypes.Container, "start", "c1");
        var c = bus.Publish(EventTypes.Container, "die", "c1");
        Assert.Equal(["start", "die"], bus.Subscribe(b.Time, null).Past.Select(e => e.Action));
        Assert.Equal(["create", "start"], bus.Subscribe(null, b.Time).Past.Select(e => e.Action));
        Assert.Equal(["start"], bus.Recent(b.Time, b.Time).Select(e => e.Action));
        Assert.True(a.Time < b.Time && b.Time < c.Time);   // strictly increasing, even within one clock tick
        Assert.True(a.TimeNano < b.TimeNano);
    }

    [Fact]
    public void The_ring_keeps_only_the_most_recent_events()
    {
        var bus = new EventBus(capacity: 3);
        for (int i = 0; i < 5; i++) bus.Publish(EventTypes.Volume, "create", "v" + i);
        Assert.Equal(["v2", "v3", "v4"], bus.Recent(DateTimeOffset.MinValue, null).Select(e => e.ActorId));
    }

    [Fact]
    public async Task A_disposed_subscription_ends_its_stream()
    {
        var bus = new EventBus();
        var sub = bus.Subscribe(null, null);
        sub.Dispose();
        bus.Publish(EventTypes.Container, "start", "c1");
        Assert.False(await sub.Live.WaitToReadAsync());
    }

    [Fact]
    public void Health_status_is_a_container_event_with_the_status_in_the_action()
    {
        var bus = new EventBus();
        var r = new MiniContainer.Containers.ContainerRecord
        {
            Id = "abc", Name = "/web", Image = "sha256:x",
            Config = new MiniContainer.Containers.ContainerConfig { Image = "busybox", Labels = new() { ["tier"] = "front" } },
        };
        var e = bus.HealthStatus(r, "healthy");
        Assert.Equal(("container", "health_status: healthy", "abc"), (e.Type, e.Action, e.ActorId));
        Assert.Equal("busybox", e.Attributes["image"]);
        Assert.Equal("web", e.Attributes["name"]);
        Assert.Equal("front", e.Attributes["tier"]);
    }
}
