using MiniContainer.Api;
using MiniContainer.Events;

namespace MiniContainer.Containers;

/// <summary>
/// POST /containers/{id}/update as parsed: each field null (or 0, as dockerd reads the body) means "keep". Only the
/// fields MiniContainer can change on a live cgroup are here; the route refuses the rest.
/// </summary>
public sealed record ContainerUpdate
{
    public long Memory { get; init; }
    public long MemorySwap { get; init; }
    public long MemoryReservation { get; init; }
    public long NanoCpus { get; init; }
    public long CpuQuota { get; init; }
    public long CpuPeriod { get; init; }
    public long CpuShares { get; init; }
    public long? PidsLimit { get; init; }
    public string CpusetCpus { get; init; } = "";
    public string CpusetMems { get; init; } = "";
    /// <summary>null or an empty Name: keep the policy.</summary>
    public RestartPolicy? RestartPolicy { get; init; }
}

/// <summary>`docker update`: new resource limits written to a running container's cgroup, and kept in its record.</summary>
public sealed partial class ContainerService
{
    /// <summary>
    /// Merges <paramref name="u"/> into the container's HostConfig with dockerd's rules (its conflicts and words),
    /// validates the result as create would, writes every limit to the live cgroup when the container runs, and only
    /// then saves the record: a limit the kernel refuses leaves the record as it was. Returns the warnings.
    /// </summary>
    public async Task<List<string>> UpdateAsync(Container c, ContainerUpdate u)
    {
        await c.Gate.WaitAsync();
        try
        {
            if (c.Removed) throw new NotFoundException($"No such container: {c.Record.Id}");
            var r = c.Record;
            var old = r.HostConfig;
            var h = Merge(old, u);
            CreateRequest.ValidateResources(h);
            var warnings = ContainerResources.Validate(h);
            if (r.State.Running)
            {
                var limits = ContainerResources.LimitsOf(h);
                var cgroupWarnings = new List<string>();
                await CgroupActionAsync(c, cg => { cg.Apply(limits); cgroupWarnings.AddRange(cg.Warnings); }, "update");
                warnings.AddRange(cgroupWarnings.Where(w => !warnings.Contains(w)));
            }
            r.HostConfig = h;
            c.Save();
            Log.Info($"container {r.ShortId} updated");
            Events.Container(r, "update");
            return warnings;
        }
        catch (ArgumentException e) { throw new BadRequestException(e.Message); }
        finally { c.Gate.Release(); }
    }

    /// <summary>A copy of <paramref name="h"/> with the update's set fields, refusing what dockerd refuses.</summary>
    internal static HostConfig Merge(HostConfig h, ContainerUpdate u)
    {
        // NanoCpus stands for period and quota together: once one way is set, the other cannot be updated.
        if (u.NanoCpus > 0 && h.CpuPeriod > 0) throw new ConflictException("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
        if (u.NanoCpus > 0 && h.CpuQuota > 0) throw new ConflictException("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
        if (u.CpuPeriod > 0 && h.NanoCpus > 0) throw new ConflictException("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
        if (u.CpuQuota > 0 && h.NanoCpus > 0) throw new ConflictException("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
        // Docker stores the default swap (twice the memory) at create; ours is 0 for "default", which is pinned to
        // what it meant before the memory changes, so an update keeps the swap the container had, as with dockerd.
        long swap = h.MemorySwap == 0 && h.Memory > 0 ? 2 * h.Memory : h.MemorySwap;
        if (u.Memory != 0 && u.MemorySwap == 0 && swap > 0 && u.Memory > swap)
            throw new ConflictException("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
        if (u.RestartPolicy is { Name.Length: > 0 } rp && rp.Name != "no" && h.AutoRemove)
            throw new ConflictException("Restart policy cannot be updated because AutoRemove is enabled for the container");

        var n = System.Text.Json.JsonSerializer.Deserialize(
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(h, DaemonJson.Default.HostConfig), DaemonJson.Default.HostConfig)!;
        if (u.Memory != 0) { n.Memory = u.Memory; if (u.MemorySwap == 0 && h.Memory > 0) n.MemorySwap = swap; }
        if (u.MemorySwap != 0) n.MemorySwap = u.MemorySwap;
        if (u.MemoryReservation != 0) n.MemoryReservation = u.MemoryReservation;
        if (u.NanoCpus != 0) n.NanoCpus = u.NanoCpus;
        if (u.CpuQuota != 0) n.CpuQuota = u.CpuQuota;
        if (u.CpuPeriod != 0) n.CpuPeriod = u.CpuPeriod;
        if (u.CpuShares != 0) n.CpuShares = u.CpuShares;
        if (u.PidsLimit is not null) n.PidsLimit = u.PidsLimit;
        if (u.CpusetCpus.Length > 0) n.CpusetCpus = u.CpusetCpus;
        if (u.CpusetMems.Length > 0) n.CpusetMems = u.CpusetMems;
        if (u.RestartPolicy is { Name.Length: > 0 } policy) n.RestartPolicy = policy;
        return n;
    }
}
