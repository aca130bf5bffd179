using MiniContainer.Events;

namespace MiniContainer.Containers;

/// <summary>Volume events of a container's life: its named and anonymous volumes are mounted at start and unmounted at exit.</summary>
public sealed partial class ContainerService
{
    /// <summary>"mount" (with where and how, as dockerd says it) or "unmount", for each volume the container uses.</summary>
    private void PublishVolumeEvents(ContainerRecord r, string action)
    {
        foreach (var m in r.Mounts.Where(m => m.Type == "volume" && m.Name is { Length: > 0 }))
        {
            var extra = action == "mount"
                ? new[] { ("container", r.Id), ("destination", m.Destination), ("propagation", m.Propagation), ("read/write", m.RW ? "true" : "false") }
                : new[] { ("container", r.Id) };
            Events.Volume(action, m.Name!, m.Driver ?? "local", extra);
        }
    }
}
