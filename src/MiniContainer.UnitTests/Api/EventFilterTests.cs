using MiniContainer.Api;
using MiniContainer.Events;
using Xunit;

namespace MiniContainer.UnitTests.Api;

/// <summary>GET /events: which events each filter keeps (dockerd's rules), the JSON line's shape, and since/until parsing.</summary>
public sealed class EventFilterTests
{
    private static DaemonEvent Ev(string type, string action, string id, params (string K, string V)[] attributes) =>
        new(type, action, id, attributes.ToDictionary(a => a.K, a => a.V), DateTimeOffset.UtcNow);

    private static bool Keeps(string filters, DaemonEvent e) => new EventFilter(FilterArgs.Parse(filters)).Includes(e);

    private static readonly DaemonEvent Start = Ev("container", "start", "c0ffee11", ("image", "busybox:latest"), ("name", "web"), ("tier", "front"));
    private static readonly DaemonEvent Exec = Ev("container", "exec_start: sh -c true", "c0ffee11", ("image", "busybox"), ("name", "web"), ("execID", "e1"));
    private static readonly DaemonEvent Connect = Ev("network", "connect", "n1", ("name", "front"), ("type", "bridge"), ("container", "c0ffee11"));
    private static readonly DaemonEvent Tag = Ev("image", "tag", "sha256:1234", ("name", "hello:1"));

    [Fact]
    public void No_filter_keeps_everything() => Assert.True(Keeps("", Start));

    [Fact]
    public void Type_and_event_are_exact_and_ORed_within_the_key()
    {
        Assert.True(Keeps("{\"type\":[\"container\"]}", Start));
        Assert.False(Keeps("{\"type\":[\"container\"]}", Connect));
        Assert.True(Keeps("{\"type\":[\"container\",\"network\"]}", Connect));
        Assert.True(Keeps("{\"event\":[\"start\",\"die\"]}", Start));
        Assert.False(Keeps("{\"event\":[\"star\"]}", Start));
    }

    [Fact]
    public void Exec_and_health_events_match_their_bare_action_names()
    {
        Assert.True(Keeps("{\"event\":[\"exec_start\"]}", Exec));
        Assert.False(Keeps("{\"event\":[\"exec_create\"]}", Exec));
        Assert.True(Keeps("{\"event\":[\"health_status\"]}", Ev("container", "health_status: healthy", "c1")));
    }

    [Fact]
    public void Container_matches_the_actor_id_prefix_or_name()
    {
        Assert.True(Keeps("{\"container\":[\"web\"]}", Start));
        Assert.True(Keeps("{\"container\":[\"c0ff\"]}", Start));
        Assert.False(Keeps("{\"container\":[\"db\"]}", Start));
        Assert.True(Keeps("{\"container\":[\"db\",\"web\"]}", Start));
    }

    [Fact]
    public void Image_matches_the_image_with_or_without_its_tag()
    {
        Assert.True(Keeps("{\"image\":[\"busybox\"]}", Start));
        Assert.True(Keeps("{\"image\":[\"busybox:latest\"]}", Start));
        Assert.True(Keeps("{\"image\":[\"hello\"]}", Tag));
        Assert.True(Keeps("{\"image\":[\"sha256:1234\"]}", Tag));
        Assert.False(Keeps("{\"image\":[\"alpine\"]}", Start));
    }

    [Fact]
    public void Labels_are_ANDed_against_the_attributes_and_keys_are_ANDed()
    {
        Assert.True(Keeps("{\"label\":[\"tier=front\"]}", Start));
        Assert.False(Keeps("{\"label\":[\"tier=front\",\"env=prod\"]}", Start));
        Assert.False(Keeps("{\"type\":[\"container\"],\"event\":[\"die\"]}", Start));
        Assert.True(Keeps("{\"network\":[\"front\"]}", Connect));
        Assert.False(Keeps("{\"volume\":[\"data\"]}", Connect));
        Assert.True(Keeps("{\"scope\":[\"local\"]}", Connect));
        Assert.False(Keeps("{\"service\":[\"x\"]}", Connect));   // no swarm here
    }

    [Fact]
    public void An_unknown_filter_is_refused() =>
        Assert.Equal("invalid filter 'colour'", Assert.Throws<BadRequestException>(() => new EventFilter(FilterArgs.Parse("{\"colour\":[\"x\"]}"))).Message);

    [Fact]
    public void The_message_has_dockers_shape_with_the_legacy_fields_for_containers()
    {
        var json = EventRoutes.Message(Start).ToJsonString();
        Assert.StartsWith("{\"status\":\"start\",\"id\":\"c0ffee11\",\"from\":\"busybox:latest\",\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"c0ffee11\",\"Attributes\":{\"image\":\"busybox:latest\",\"name\":\"web\",\"tier\":\"front\"}},\"scope\":\"local\",\"time\":", json);
        Assert.Contains("\"timeNano\":" + Start.TimeNano, json);
        var network = EventRoutes.Message(Connect).ToJsonString();
        Assert.StartsWith("{\"Type\":\"network\",\"Action\":\"connect\"", network);
    }

    [Fact]
    public void Since_and_until_read_unix_seconds_with_nanoseconds_rfc3339_and_durations()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(1234567), EventRoutes.ParseTime("1700000000.123456789", now));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), EventRoutes.ParseTime("1700000000", now));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), EventRoutes.ParseTime("2026-01-02T03:04:05Z", now));
        Assert.Equal(now.AddMinutes(-5), EventRoutes.ParseTime("5m", now));
        Assert.Null(EventRoutes.ParseTime("", now));
        Assert.Throws<BadRequestException>(() => EventRoutes.ParseTime("yesterday", now));
    }
}
