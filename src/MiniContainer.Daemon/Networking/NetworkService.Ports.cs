using MiniContainer.Containers;
using MiniContainer.Networking.Firewall;

namespace MiniContainer.Networking;

/// <summary>Published ports (-p, -P): a userland proxy per binding for the host's loopback, DNAT rules for other addresses.</summary>
public sealed partial class NetworkService
{
    private List<PortMapping> PublishedMappings() => new();

    private void PublishPorts(Container c)
    {
        if (c.Record.HostConfig.PortBindings is { Count: > 0 } || c.Record.HostConfig.PublishAllPorts)
            throw new Api.BadRequestException("published ports (-p, -P) are not wired in this build yet");
    }

    private bool UnpublishPorts(Container c) => false;
}
