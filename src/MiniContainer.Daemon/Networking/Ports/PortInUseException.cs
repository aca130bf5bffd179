using System.Net;

namespace MiniContainer.Networking.Ports;

/// <summary>The host port of a published port is taken (by another container or any other program).
/// The message is Docker's; the API layer puts "driver failed programming external connectivity on endpoint …" before it.</summary>
public sealed class PortInUseException(IPAddress hostIp, int hostPort, string protocol, Exception? inner = null)
    : Exception($"Bind for {hostIp}:{hostPort} failed: port is already allocated", inner)
{
    public IPAddress HostIp { get; } = hostIp;
    public int HostPort { get; } = hostPort;
    public string Protocol { get; } = protocol;
}
