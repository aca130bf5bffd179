using System.Globalization;
using System.Text.Json;
using MiniContainer.Cgroups;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// `update`: new cgroup limits for a running container, as runc 1.1 takes them —
///   update --resources FILE|-  ID     a linux.resources object (config-linux.md's format; "-" reads stdin)
///   update [--memory N] [--memory-reservation N] [--memory-swap N] [--cpu-share N] [--cpu-quota N] [--cpu-period N]
///          [--cpuset-cpus S] [--cpuset-mems S] [--pids-limit N] ID
/// The change is laid over the container's resources as they stand (config.json's linux.resources, then earlier
/// updates, kept in ROOT/ID/resources.json), translated by the same OciBundle code `create` uses (so what create
/// refuses, update refuses) and written through the same ICgroup, v1 or v2. Device rules are never rewritten.
/// runc's flags for what we do not do (--blkio-weight, --cpu-rt-*, --kernel-memory*, --l3-cache-schema,
/// --mem-bw-schema) are refused; so is --resources together with flags (runc ignores the flags then).
/// </summary>
public static class OciUpdate
{
    public const string FileName = "resources.json";

    private static readonly Dictionary<string, string> RefusedFlags = new()
    {
        ["--blkio-weight"] = "block I/O weights (linux.resources.blockIO)",
        ["--cpu-rt-period"] = "the CPU realtime period", ["--cpu-rt-runtime"] = "the CPU realtime runtime",
        ["--kernel-memory"] = "kernel memory limits", ["--kernel-memory-tcp"] = "kernel TCP memory limits",
        ["--l3-cache-schema"] = "Intel RDT", ["--mem-bw-schema"] = "Intel RDT",
    };

    /// <summary>The command line → (container id, the change as a linux.resources object). stdin is read for "--resources -".</summary>
    public static (string Id, OciResources Change) Parse(string[] args, TextReader stdin)
    {
        string? resourcesFile = null, id = null;
        var change = new OciResources();
        bool flags = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-')) { id = id is null ? arg : throw new OciConfigException($"update: one container id expected, got \"{arg}\" too"); continue; }
            int eq = arg.IndexOf('=');
            string name = eq > 0 ? arg[..eq] : arg;
            string Value() => eq > 0 ? arg[(eq + 1)..] : ++i < args.Length ? args[i] : throw new OciConfigException($"flag needs an argument: {name}");
            if (name.StartsWith("--", StringComparison.Ordinal) is false && name != "-r") throw new OciConfigException($"flag provided but not defined: {name}");
            if (RefusedFlags.TryGetValue(name, out string? what))
                throw new OciConfigException($"update {name}: {what} not supported by minicontainer-runc (refused rather than ignored)");
            switch (name)
            {
                case "--resources" or "-r": resourcesFile = Value(); continue;
                case "--memory": (change.Memory ??= new()).Limit = Bytes(name, Value()); break;
                case "--memory-reservation": (change.Memory ??= new()).Reservation = Bytes(name, Value()); break;
                case "--memory-swap": (change.Memory ??= new()).Swap = Bytes(name, Value()); break;
                case "--cpu-share": (change.Cpu ??= new()).Shares = (ulong)Number(name, Value(), min: 1); break;
                case "--cpu-quota": (change.Cpu ??= new()).Quota = Number(name, Value(), min: -1); break;
                case "--cpu-period": (change.Cpu ??= new()).Period = (ulong)Number(name, Value(), min: 1); break;
                case "--cpuset-cpus": (change.Cpu ??= new()).Cpus = Value(); break;
                case "--cpuset-mems": (change.Cpu ??= new()).Mems = Value(); break;
                case "--pids-limit":
                    long pids = Number(name, Value(), min: -1);
                    // runc reads 0 as "leave it"; a flag that changes nothing is refused here instead.
                    if (pids == 0) throw new OciConfigException("update --pids-limit 0: give a limit, or -1 for unlimited");
                    change.Pids = new OciPids { Limit = pids };
                    break;
                default: throw new OciConfigException($"flag provided but not defined: {name}");
            }
            flags = true;
        }
        if (id is null) throw new OciConfigException("\"update\" requires exactly 1 argument: the container id");
        if (resourcesFile is null) return flags ? (id, change) : throw new OciConfigException("update: nothing to change (give --resources FILE or a flag such as --memory)");
        if (flags) throw new OciConfigException("update: give --resources or flags, not both (runc ignores the flags then)");
        string json = resourcesFile == "-" ? stdin.ReadToEnd() : File.ReadAllText(resourcesFile);
        try { return (id, JsonSerializer.Deserialize(json, OciJson.Default.OciResources) ?? throw new OciConfigException("update --resources: empty")); }
        catch (JsonException e) { throw new OciConfigException($"update --resources: {e.Message}"); }
    }

    /// <summary>The current resources with the change laid over them. Device rules and anything else update does not
    /// change in runc are refused in the change (never dropped).</summary>
    public static OciResources Merge(OciResources? current, OciResources change)
    {
        if (change.Devices is not null) throw new OciConfigException("update: linux.resources.devices cannot be changed by update (runc does not either); refused rather than ignored");
        foreach (var (key, value) in change.Unknown ?? [])
            if (value.ValueKind is not JsonValueKind.Null)
                throw new OciConfigException($"update: linux.resources.{key} is not supported by minicontainer-runc (refused rather than ignored)");
        var merged = current is null ? new OciResources()
            : JsonSerializer.Deserialize(JsonSerializer.Serialize(current, OciJson.Default.OciResources), OciJson.Default.OciResources)!;   // a copy
        if (change.Memory is { } m)
        {
            var to = merged.Memory ??= new();
            to.Limit = m.Limit ?? to.Limit; to.Reservation = m.Reservation ?? to.Reservation; to.Swap = m.Swap ?? to.Swap;
            to.Swappiness = m.Swappiness ?? to.Swappiness;
            to.Kernel = m.Kernel ?? to.Kernel; to.KernelTCP = m.KernelTCP ?? to.KernelTCP;   // refused by the translation
            to.DisableOOMKiller = m.DisableOOMKiller ?? to.DisableOOMKiller; to.CheckBeforeUpdate = m.CheckBeforeUpdate ?? to.CheckBeforeUpdate;
        }
        if (change.Cpu is { } c)
        {
            var to = merged.Cpu ??= new();
            to.Shares = c.Shares ?? to.Shares; to.Quota = c.Quota ?? to.Quota; to.Period = c.Period ?? to.Period;
            to.Cpus = c.Cpus ?? to.Cpus; to.Mems = c.Mems ?? to.Mems;
            to.RealtimePeriod = c.RealtimePeriod ?? to.RealtimePeriod; to.RealtimeRuntime = c.RealtimeRuntime ?? to.RealtimeRuntime; to.Idle = c.Idle ?? to.Idle;
        }
        if (change.Pids is { } p) merged.Pids = new OciPids { Limit = p.Limit };
        if (merged.Memory is { Limit: null or <= 0, Swap: > 0 })
            throw new OciConfigException("update: a memory+swap limit needs a memory limit (give --memory too)");
        return merged;
    }

    /// <summary>Lays the change over the container's resources and writes the result to its cgroup; keeps it for the next update.</summary>
    public static void Apply(OciStateStore store, string id, OciResources change, Action<string> warn)
    {
        var record = store.Load(id);
        if (store.StatusOf(record) == "stopped") throw new OciConfigException($"cannot update container {id}: it is not running");
        var bundle = OciBundle.Load(record.Bundle);
        string file = Path.Combine(store.DirectoryOf(id), FileName);
        var current = File.Exists(file) ? JsonSerializer.Deserialize(File.ReadAllText(file), OciJson.Default.OciResources) : bundle.Config.Linux?.Resources;
        var merged = Merge(current, change);
        var limits = bundle.TranslateResources(merged) with { DeviceRules = null };   // the device rules stay as create wrote them
        var cgroup = CgroupManager.Open(record.CgroupName);
        cgroup.Apply(limits);
        foreach (string w in cgroup.Warnings) warn(w);
        File.WriteAllText(file, JsonSerializer.Serialize(merged, OciJson.Default.OciResources));
    }

    /// <summary>A size as runc's flags take it (go-units RAMInBytes): bytes, or with k, m, g, t, p (×1024ⁿ, an optional b).
    /// "-1" is unlimited (for --memory-swap).</summary>
    public static long Bytes(string flag, string text)
    {
        string s = text.Trim().ToLowerInvariant();
        if (s == "-1") return -1;
        if (s.EndsWith('b')) s = s[..^1];
        int power = s.Length > 0 ? "kmgtp".IndexOf(s[^1]) + 1 : 0;
        if (power > 0) s = s[..^1].TrimEnd();
        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) || n < 0)
            throw new OciConfigException($"invalid value \"{text}\" for flag {flag}: want a size in bytes (e.g. 67108864, 64m)");
        return (long)(n * Math.Pow(1024, power));
    }

    private static long Number(string flag, string text, long min)
    {
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) || n < min)
            throw new OciConfigException($"invalid value \"{text}\" for flag {flag}");
        return n;
    }
}
