using MiniContainer.Containers;

namespace MiniContainer.Events;

/// <summary>Docker's attributes for each kind of event, and the publishing calls the services use.</summary>
public static class EventAttributes
{
    /// <summary>A container event's attributes, as dockerd's: the container's labels, then image and name, then the extras
    /// (exitCode, signal, oldName, execID…), later ones winning.</summary>
    public static Dictionary<string, string> ForContainer(ContainerRecord r, params (string Key, string Value)[] extra)
    {
        var a = new Dictionary<string, string>(r.Config.Labels, StringComparer.Ordinal)
        {
            ["image"] = string.IsNullOrEmpty(r.Config.Image) ? r.Image : r.Config.Image,
            ["name"] = r.PlainName,
        };
        foreach (var (k, v) in extra) a[k] = v;
        return a;
    }

    /// <summary>Publishes a container event (<paramref name="action"/>: create, start, die, …).</summary>
    public static DaemonEvent Container(this EventBus bus, ContainerRecord r, string action, params (string Key, string Value)[] extra) =>
        bus.Publish(EventTypes.Container, action, r.Id, ForContainer(r, extra));

    /// <summary>
    /// The health supervisor's call when a container's health changes: `docker events` then shows
    /// "health_status: healthy" (or starting / unhealthy) for the container, as dockerd's does.
    /// </summary>
    public static DaemonEvent HealthStatus(this EventBus bus, ContainerRecord r, string status) =>
        bus.Container(r, "health_status: " + status);

    /// <summary>An image event: the actor is the image ID (or the reference, for pull), name the reference, plus the image's labels.</summary>
    public static DaemonEvent Image(this EventBus bus, string action, string actorId, string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var a = labels is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(labels, StringComparer.Ordinal);
        a["name"] = name;
        return bus.Publish(EventTypes.Image, action, actorId, a);
    }

    /// <summary>A network event: the actor is the network ID; name and type (driver), and the container for connect/disconnect.</summary>
    public static DaemonEvent Network(this EventBus bus, string action, string networkId, string name, string driver, string? containerId = null)
    {
        var a = new Dictionary<string, string>(StringComparer.Ordinal) { ["name"] = name, ["type"] = driver };
        if (containerId is not null) a["container"] = containerId;
        return bus.Publish(EventTypes.Network, action, networkId, a);
    }

    /// <summary>A volume event: the actor is the volume's name; its driver, and for mount/unmount the container (and where).</summary>
    public static DaemonEvent Volume(this EventBus bus, string action, string name, string driver = "local", params (string Key, string Value)[] extra)
    {
        var a = new Dictionary<string, string>(StringComparer.Ordinal) { ["driver"] = driver };
        foreach (var (k, v) in extra) a[k] = v;
        return bus.Publish(EventTypes.Volume, action, name, a);
    }
}
