using MiniContainer.Api;

namespace MiniContainer.Containers;

/// <summary>--pid: the PID namespace a container runs in — its own, the host's, or another running container's.</summary>
public sealed partial class ContainerService
{
    private const string ContainerModePrefix = "container:";

    /// <summary>At create: --pid=host is not combined with a remapped user namespace (its root could not mount the
    /// host's procfs; dockerd wants --userns=host there too). The --pid container:X target is looked up at start, as dockerd does.</summary>
    private void CheckPidMode(HostConfig h)
    {
        if (h.PidMode == "host" && UsernsRemap is not null && h.UsernsMode != "host")
            throw new BadRequestException("--pid=host is incompatible with user namespaces; run the container in the host user namespace (--userns=host)");
    }

    /// <summary>What the shim is told at start: "" (a new PID namespace), "host", or the namespace file of the
    /// --pid container:X target's PID 1, which must be running (dockerd's 409 otherwise).</summary>
    private string PidNamespaceOf(HostConfig h)
    {
        if (!h.PidMode.StartsWith(ContainerModePrefix, StringComparison.Ordinal)) return h.PidMode;
        var target = Get(h.PidMode[ContainerModePrefix.Length..]);
        if (!target.Record.State.Running)
            throw new ConflictException($"cannot join PID of a non running container: {target.Record.Id}");
        return $"/proc/{target.Record.State.Pid}/ns/pid";
    }
}
