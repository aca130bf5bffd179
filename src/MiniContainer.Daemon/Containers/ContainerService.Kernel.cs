using MiniContainer.Api;
using MiniContainer.Inspection;

namespace MiniContainer.Containers;

/// <summary>`minicontainer inspect --kernel`: a running container as the kernel holds it (see <see cref="KernelReader"/>).</summary>
public sealed partial class ContainerService
{
    /// <summary>
    /// GET /containers/{id}/kernel (MiniContainer's own extension of the Engine API). Read live at each call; the
    /// daemon adds only what the kernel cannot say: which host veth and bridge it gave each interface, and where it
    /// assembled the overlay before pivot_root. A container that is not running has no kernel state: 409, as
    /// dockerd answers `top` or `exec` on a stopped container.
    /// </summary>
    public KernelView InspectKernel(Container c)
    {
        var r = c.Record;
        if (!r.State.Running || r.State.Pid <= 0) throw new ConflictException($"Container {r.Id} is not running");
        var endpoints = new List<VethEndpoint>();
        if (Networking is { } net)
            lock (net.Store.Lock)   // endpoints change under this lock when containers start, stop or connect
                foreach (var n in net.Store.All)
                    if (n.Endpoints.TryGetValue(r.Id, out var ep)) endpoints.Add(new VethEndpoint(ep.InterfaceName, ep.HostVeth, n.Bridge));
        r.GraphDriver.Data.TryGetValue("MergedDir", out string? merged);
        try { return KernelReader.Read(r.Id, r.PlainName, r.State.Pid, endpoints, merged); }
        catch (IOException) when (!File.Exists($"/proc/{r.State.Pid}/status") || !r.State.Running)
        {
            // PID 1 exited while we read: the same answer as asking a moment later.
            throw new ConflictException($"Container {r.Id} is not running");
        }
    }
}
