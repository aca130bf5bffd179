using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MiniContainer.Api;
using MiniContainer.Images;

namespace MiniContainer.Containers;

/// <summary>
/// Config.Healthcheck, Docker's HealthConfig: what to run and how often. Durations are nanoseconds as on the wire;
/// 0 means "not set" (the image's value, then Docker's default). Test is ["NONE"], ["CMD", program, args…] or
/// ["CMD-SHELL", "command line"]; an empty Test inherits the image's.
/// </summary>
public sealed class HealthConfig
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<string>? Test { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long Interval { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long Timeout { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long StartPeriod { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long StartInterval { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Retries { get; set; }
}

/// <summary>
/// Where a container's healthcheck comes from: the create request (checked as dockerd checks it), the image's
/// HEALTHCHECK, and dockerd's field-by-field merge of the two.
/// </summary>
public static class Healthchecks
{
    /// <summary>The shortest interval, timeout or start period dockerd accepts (Go's "1ms").</summary>
    public const long MinimumDurationNs = 1_000_000;

    /// <summary>The request's Config.Healthcheck (null when absent), refused with dockerd's messages when a duration
    /// is negative or below 1ms or the retries are negative; also refused, where dockerd would only log a warning and
    /// never probe, is a Test of an unknown type or a CMD without a command.</summary>
    public static HealthConfig? FromRequest(JsonNode? node)
    {
        if (node is not JsonObject o) return null;
        var h = new HealthConfig
        {
            Test = CreateRequest.StringList(o["Test"]),
            Interval = Nanoseconds(o, "Interval"),
            Timeout = Nanoseconds(o, "Timeout"),
            StartPeriod = Nanoseconds(o, "StartPeriod"),
            StartInterval = Nanoseconds(o, "StartInterval"),
            Retries = (int?)o["Retries"] ?? 0,
        };
        if (h.Test is { Count: 0 }) h.Test = null;
        Validate(h);
        return h;
    }

    private static long Nanoseconds(JsonObject o, string field) => (long?)o[field] ?? 0;

    public static void Validate(HealthConfig h)
    {
        static void AtLeastOneMs(long ns, string field)
        {
            if (ns != 0 && ns < MinimumDurationNs) throw new BadRequestException($"{field} in Healthcheck cannot be less than 1ms");
        }
        AtLeastOneMs(h.Interval, "Interval");
        AtLeastOneMs(h.Timeout, "Timeout");
        if (h.Retries < 0) throw new BadRequestException("Retries in Healthcheck cannot be negative");
        AtLeastOneMs(h.StartPeriod, "StartPeriod");
        AtLeastOneMs(h.StartInterval, "StartInterval");
        if (h.Test is not { Count: > 0 } test) return;
        switch (test[0])
        {
            case "NONE": break;
            case "CMD" or "CMD-SHELL" when test.Count < 2 || test.Skip(1).All(string.IsNullOrEmpty):
                throw new BadRequestException($"Healthcheck {test[0]} needs a command: [\"{test[0]}\", …]");
            case "CMD" or "CMD-SHELL": break;
            default:
                throw new BadRequestException($"unknown Healthcheck type \"{test[0]}\" in Test: use [\"CMD\", …], [\"CMD-SHELL\", \"…\"] or [\"NONE\"]");
        }
    }

    /// <summary>The image's HEALTHCHECK (kept in its config as "Healthcheck", the same shape).</summary>
    public static HealthConfig? FromImage(ContainerDefaults? defaults)
    {
        if (defaults?.Extra is null || !defaults.Extra.TryGetValue("Healthcheck", out var element) || element.ValueKind != JsonValueKind.Object)
            return null;
        var o = JsonNode.Parse(element.GetRawText())!.AsObject();
        return new HealthConfig
        {
            Test = CreateRequest.StringList(o["Test"]) is { Count: > 0 } t ? t : null,
            Interval = Nanoseconds(o, "Interval"), Timeout = Nanoseconds(o, "Timeout"),
            StartPeriod = Nanoseconds(o, "StartPeriod"), StartInterval = Nanoseconds(o, "StartInterval"),
            Retries = (int?)o["Retries"] ?? 0,
        };
    }

    /// <summary>The image's SHELL, which a CMD-SHELL probe runs with (dockerd's Config.Shell; /bin/sh -c without one).</summary>
    public static List<string>? ShellOf(ContainerDefaults? defaults) =>
        defaults?.Extra is { } extra && extra.TryGetValue("Shell", out var e) && e.ValueKind == JsonValueKind.Array
            ? e.EnumerateArray().Select(x => x.GetString() ?? "").ToList() is { Count: > 0 } shell ? shell : null
            : null;

    /// <summary>dockerd's merge: the container's healthcheck wins field by field; what it leaves unset (an empty
    /// Test, a zero duration or retries) comes from the image's. No request healthcheck at all: the image's.</summary>
    public static HealthConfig? Merge(HealthConfig? container, HealthConfig? image)
    {
        if (container is null) return image;
        if (image is null) return container;
        return new HealthConfig
        {
            Test = container.Test ?? image.Test,
            Interval = container.Interval != 0 ? container.Interval : image.Interval,
            Timeout = container.Timeout != 0 ? container.Timeout : image.Timeout,
            StartPeriod = container.StartPeriod != 0 ? container.StartPeriod : image.StartPeriod,
            StartInterval = container.StartInterval != 0 ? container.StartInterval : image.StartInterval,
            Retries = container.Retries != 0 ? container.Retries : image.Retries,
        };
    }

    /// <summary>Does this healthcheck run a probe? (Not for NONE, nor for timings without a Test to run.)</summary>
    public static bool HasProbe(HealthConfig? h) => h?.Test is [("CMD" or "CMD-SHELL"), _, ..];

    /// <summary>The probe's argv: CMD runs its program directly; CMD-SHELL runs the line with the shell.</summary>
    public static List<string> ProbeCommand(HealthConfig h, IReadOnlyList<string>? shell) =>
        h.Test![0] == "CMD-SHELL"
            ? [.. (shell is { Count: > 0 } ? shell : ["/bin/sh", "-c"]), .. h.Test.Skip(1)]
            : [.. h.Test.Skip(1)];
}
