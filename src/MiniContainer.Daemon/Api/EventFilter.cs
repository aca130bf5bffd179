using MiniContainer.Events;

namespace MiniContainer.Api;

/// <summary>
/// GET /events' filters, with dockerd's rules: type, event (an exact action; health_status, exec_create and exec_start
/// also match their "…: detail" forms), container / network / volume / daemon (the actor's ID, a prefix of it, or its
/// name), image (ID or name, with or without tag), scope, and label (every one, against the actor's attributes).
/// Values of one key are alternatives, except label; different keys must all hold.
/// </summary>
public sealed class EventFilter
{
    private static readonly string[] Accepted =
        ["config", "container", "daemon", "event", "image", "label", "network", "node", "plugin", "scope", "secret", "service", "type", "volume"];
    private static readonly string[] PrefixActions = ["health_status", "exec_create", "exec_start"];
    private readonly FilterArgs _f;

    public EventFilter(FilterArgs filters)
    {
        filters.Validate(Accepted);
        _f = filters;
    }

    public bool Includes(DaemonEvent e) =>
        MatchAction(e)
        && _f.ExactMatch("type", e.Type)
        && _f.ExactMatch("scope", "local")
        && ActorMatch(e, EventTypes.Daemon)
        && ActorMatch(e, EventTypes.Container)
        && ActorMatch(e, EventTypes.Volume)
        && ActorMatch(e, EventTypes.Network)
        && MatchImage(e)
        // swarm objects: this daemon has none, so a filter on them matches nothing
        && !_f.Contains("node") && !_f.Contains("service") && !_f.Contains("secret") && !_f.Contains("config") && !_f.Contains("plugin")
        && _f.MatchLabels("label", e.Attributes);

    private bool MatchAction(DaemonEvent e)
    {
        bool fuzzy = _f.Get("event").Any(v => PrefixActions.Contains(v));
        return fuzzy ? _f.ExactMatch("event", e.Action) || _f.Get("event").Any(v => e.Action.StartsWith(v, StringComparison.Ordinal))
                     : _f.ExactMatch("event", e.Action);
    }

    /// <summary>dockerd's fuzzy name match: with a `container=` (etc.) filter, only events whose actor's ID or name
    /// attribute equals or starts with a value. (dockerd does not look at the event's type here, and neither do we.)</summary>
    private bool ActorMatch(DaemonEvent e, string key) =>
        !_f.Contains(key) || _f.PrefixMatch(key, e.ActorId) || (e.Attributes.TryGetValue("name", out string? name) && _f.PrefixMatch(key, name));

    private bool MatchImage(DaemonEvent e)
    {
        if (!_f.Contains("image")) return true;
        string imageName = e.Attributes.GetValueOrDefault(e.Type == EventTypes.Image ? "name" : "image") ?? "";
        return _f.ExactMatch("image", e.ActorId) || _f.ExactMatch("image", imageName)
            || _f.ExactMatch("image", StripTag(e.ActorId)) || _f.ExactMatch("image", StripTag(imageName));
    }

    /// <summary>"busybox:latest" → "busybox" (a registry port "host:5000/x" is not a tag).</summary>
    private static string StripTag(string reference)
    {
        int colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') && !reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference[..colon] : reference;
    }
}
