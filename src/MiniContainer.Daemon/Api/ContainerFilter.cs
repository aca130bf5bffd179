using System.Globalization;
using MiniContainer.Containers;

namespace MiniContainer.Api;

/// <summary>
/// GET /containers/json's filters, checked once up front (as dockerd's foldFilter does) and then applied to each
/// container. Values of one key are ORed — name (regular expressions, with or without the leading slash), id (prefix),
/// status, exited, health, ancestor (the image or any image built on it), network (name or ID prefix), volume (name or
/// mount point), before/since, publish/expose — except label, whose values must all hold. Different keys are ANDed.
/// </summary>
public sealed class ContainerFilter
{
    private static readonly string[] Accepted =
        ["ancestor", "before", "exited", "id", "isolation", "label", "name", "status", "health", "since", "volume", "network", "is-task", "publish", "expose"];
    private static readonly string[] States = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];
    private static readonly string[] Healths = ["starting", "healthy", "unhealthy", "none"];

    private readonly FilterArgs _f;
    private readonly HashSet<int> _exited = new();
    private readonly HashSet<string>? _images;
    private readonly DateTimeOffset? _before, _since;
    private readonly bool? _isTask;
    private readonly HashSet<string> _publish = new(), _expose = new();

    /// <param name="all">every container, for before/since (by ID or name)</param>
    /// <param name="imageAndDescendants">an image reference → that image's ID and the IDs of every image built on it,
    /// or null when there is no such image (dockerd then ignores that value)</param>
    public ContainerFilter(FilterArgs filters, IReadOnlyCollection<Container> all, Func<string, IEnumerable<string>?> imageAndDescendants)
    {
        _f = filters;
        filters.Validate(Accepted);
        foreach (string v in filters.Get("exited"))
            _exited.Add(int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int code) ? code : throw FilterArgs.Invalid("exited", [v]));
        foreach (string v in filters.Get("status"))
            if (!States.Contains(v)) throw FilterArgs.Invalid("status", [v]);
        foreach (string v in filters.Get("health"))
            if (!Healths.Contains(v)) throw new BadRequestException("Unrecognised filter value for health: " + v);
        if (filters.Contains("is-task"))
            _isTask = filters.ExactMatch("is-task", "true") ? true : filters.ExactMatch("is-task", "false") ? false : throw FilterArgs.Invalid("is-task", filters.Get("is-task"));
        foreach (string v in filters.Get("before")) _before = Reference(all, v).Record.Created;
        foreach (string v in filters.Get("since")) _since = Reference(all, v).Record.Created;
        if (filters.Contains("ancestor"))
        {
            _images = new HashSet<string>(StringComparer.Ordinal);
            foreach (string v in filters.Get("ancestor")) _images.UnionWith(imageAndDescendants(v) ?? []);
        }
        foreach (string v in filters.Get("publish")) AddPorts(_publish, "publish", v);
        foreach (string v in filters.Get("expose")) AddPorts(_expose, "expose", v);
    }

    /// <summary>A status filter lists stopped containers without --all, as dockerd does.</summary>
    public bool ImpliesAll => _f.Contains("status");

    public bool Includes(Container c)
    {
        var r = c.Record;
        if (_before is { } before && r.Created >= before) return false;
        if (_since is { } since && r.Created <= since) return false;
        if (!_f.Match("name", r.Name) && !_f.Match("name", r.Name.TrimStart('/'))) return false;
        if (!_f.PrefixMatch("id", r.Id)) return false;
        if (_isTask == true) return false;   // no container here is a swarm task
        if (!_f.MatchLabels("label", r.Config.Labels)) return false;
        if (_exited.Count > 0 && (r.State.Running || r.State.StartedAt == ContainerState.ZeroTime || !_exited.Contains(r.State.ExitCode))) return false;
        if (!_f.ExactMatch("status", r.State.Status)) return false;
        if (!_f.ExactMatch("health", HealthOf(r))) return false;
        if (_f.Contains("volume") && !_f.Get("volume").Any(v => r.Mounts.Any(m => m.Destination == v || (m.Name is { Length: > 0 } n ? n == v : m.Source == v))))
            return false;
        if (_images is not null && !_images.Contains(r.Image)) return false;
        if (_f.Contains("network") && !_f.Get("network").Any(v =>
                r.NetworkSettings.Networks.Any(n => n.Key == v || (n.Value is not null && n.Value.NetworkID.StartsWith(v, StringComparison.Ordinal)))))
            return false;
        if (_publish.Count + _expose.Count > 0 && !Networking.NetworkService.PortSummary(r).Any(p =>
                _publish.Contains($"{p.PublicPort}/{p.Type}") || _expose.Contains($"{p.PrivatePort}/{p.Type}")))
            return false;
        return true;
    }

    /// <summary>Docker's health word for the filter: the healthcheck's state, or "none" for a container without one.</summary>
    private static string HealthOf(ContainerRecord r) => r.State.Health?.Status ?? MiniContainer.Containers.HealthRules.None;

    private static Container Reference(IReadOnlyCollection<Container> all, string value)
    {
        string name = "/" + value.TrimStart('/');
        return all.FirstOrDefault(c => c.Record.Id == value)
            ?? all.FirstOrDefault(c => c.Record.Name == name)
            ?? (all.Where(c => c.Record.Id.StartsWith(value, StringComparison.Ordinal)).ToList() is [var only] ? only : null)
            ?? throw new NotFoundException("No such container: " + value);
    }

    /// <summary>"80", "80/udp" or "8000-8010/tcp" (no host part) into "port/proto" keys.</summary>
    private static void AddPorts(HashSet<string> into, string key, string value)
    {
        if (value.Contains(':')) throw new BadRequestException($"filter for '{key}' should not contain ':': {value}");
        int slash = value.IndexOf('/');
        string port = slash < 0 ? value : value[..slash], proto = slash < 0 ? "tcp" : value[(slash + 1)..];
        string[] range = port.Split('-', 2);
        if (!ushort.TryParse(range[0], out ushort start) || !ushort.TryParse(range.Length == 2 ? range[1] : range[0], out ushort end) || end < start)
            throw new BadRequestException($"error while looking up for {key} {value}: invalid port");
        for (int p = start; p <= end; p++) into.Add($"{p}/{proto}");
    }
}
