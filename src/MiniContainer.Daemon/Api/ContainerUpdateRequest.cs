using System.Text.Json.Nodes;
using MiniContainer.Containers;

namespace MiniContainer.Api;

/// <summary>
/// The body of POST /containers/{id}/update (moby's UpdateConfig: the Resources fields plus RestartPolicy) parsed into
/// a <see cref="ContainerUpdate"/>. A field MiniContainer cannot change live that carries a value is a 400 naming it;
/// zero values are what clients send for "leave alone" (the docker CLI sends every Resources field).
/// </summary>
public static class ContainerUpdateRequest
{
    public static readonly IReadOnlyDictionary<string, JsonKind> Schema = new Dictionary<string, JsonKind>
    {
        ["Memory"] = JsonKind.Integer, ["MemorySwap"] = JsonKind.Integer, ["MemoryReservation"] = JsonKind.Integer,
        ["NanoCpus"] = JsonKind.Integer, ["NanoCPUs"] = JsonKind.Integer, ["CpuQuota"] = JsonKind.Integer, ["CpuPeriod"] = JsonKind.Integer,
        ["CpuShares"] = JsonKind.Integer, ["PidsLimit"] = JsonKind.Integer, ["CpusetCpus"] = JsonKind.String,
        ["CpusetMems"] = JsonKind.String, ["RestartPolicy"] = JsonKind.Object, ["RestartPolicy.Name"] = JsonKind.String,
        ["RestartPolicy.MaximumRetryCount"] = JsonKind.Integer,
    };

    public static ContainerUpdate Parse(JsonObject body)
    {
        var refused = body.Where(kv => !Schema.ContainsKey(kv.Key) && !UnsupportedOptions.IsZero(kv.Value)).Select(kv => kv.Key).ToList();
        if (refused.Count > 0)
            throw new BadRequestException($"cannot update {string.Join(", ", refused)}: not supported by MiniContainer (it can update " +
                                          "Memory, MemorySwap, MemoryReservation, NanoCpus, CpuQuota, CpuPeriod, CpuShares, PidsLimit, CpusetCpus, CpusetMems and RestartPolicy)");
        if ((long?)body["Memory"] is < 0) throw new BadRequestException("Invalid value: memory limit can not be negative");
        if (((long?)body["NanoCpus"] ?? (long?)body["NanoCPUs"]) is < 0)
            throw new BadRequestException($"Range of CPUs is from 0.01 to {Environment.ProcessorCount}.00, as there are only {Environment.ProcessorCount} CPUs available");
        return new ContainerUpdate
        {
            Memory = (long?)body["Memory"] ?? 0,
            MemorySwap = (long?)body["MemorySwap"] ?? 0,
            MemoryReservation = (long?)body["MemoryReservation"] ?? 0,
            NanoCpus = (long?)body["NanoCpus"] ?? (long?)body["NanoCPUs"] ?? 0,
            CpuQuota = (long?)body["CpuQuota"] ?? 0,
            CpuPeriod = (long?)body["CpuPeriod"] ?? 0,
            CpuShares = (long?)body["CpuShares"] ?? 0,
            PidsLimit = (long?)body["PidsLimit"],
            CpusetCpus = (string?)body["CpusetCpus"] ?? "",
            CpusetMems = (string?)body["CpusetMems"] ?? "",
            RestartPolicy = body["RestartPolicy"] is JsonObject rp && (string?)rp["Name"] is { Length: > 0 } name
                ? new RestartPolicy { Name = name, MaximumRetryCount = (int?)rp["MaximumRetryCount"] ?? 0 }
                : null,
        };
    }
}
