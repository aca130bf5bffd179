namespace MiniContainer.Events;

/// <summary>
/// One thing that happened to an object the daemon manages, as `docker events` reports it: the object's kind
/// (<see cref="Type"/>: container, image, network, volume, daemon), what happened (<see cref="Action"/>: create, start,
/// die, "exec_start: sh -c …", "health_status: healthy", …), which object (<see cref="ActorId"/>) and Docker's
/// attributes for it (for a container: its image, its name and its labels; for a die: exitCode; …).
/// </summary>
public sealed record DaemonEvent(string Type, string Action, string ActorId, IReadOnlyDictionary<string, string> Attributes, DateTimeOffset Time)
{
    /// <summary>Nanoseconds since the Unix epoch (.NET keeps 100 ns ticks; the last two digits are zero).</summary>
    public long TimeNano => (Time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}

/// <summary>The event types Docker knows.</summary>
public static class EventTypes
{
    public const string Container = "container", Image = "image", Network = "network", Volume = "volume", Daemon = "daemon";
}
