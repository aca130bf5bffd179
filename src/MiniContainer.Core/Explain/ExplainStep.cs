using System.Text.Json.Serialization;

namespace MiniContainer.Explaining;

/// <summary>
/// One kernel action as `--explain` shows it: what it did in plain words, the shell command a student could type to
/// do the same by hand, the system call with its real arguments, and how long the call took. Recorded by the code
/// that made the call (see <see cref="Explain"/>), never written ahead of time.
/// </summary>
public sealed record ExplainStep
{
    /// <summary>One of <see cref="ExplainPhase"/>'s names: rootfs, cgroup, namespaces, network, mounts, security, exec.</summary>
    public string Phase { get; init; } = "";
    public string Sentence { get; init; } = "";
    /// <summary>The equivalent command line (empty when no shell tool does exactly this, e.g. a seccomp filter).</summary>
    public string Shell { get; init; } = "";
    public string Syscall { get; init; } = "";
    /// <summary>Measured around the call, in microseconds.</summary>
    public long DurationUs { get; init; }
    /// <summary>When the call began: CLOCK_MONOTONIC in nanoseconds, the same clock in every process, so the steps of
    /// the daemon, the shim and the init stage sort into one timeline.</summary>
    public long StartNs { get; init; }
    /// <summary>Which process made the call: daemon, shim or init.</summary>
    public string Process { get; init; } = "";
    /// <summary>The verb it was part of (create, start, exec, rm…), set by the daemon when it files the step.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Action { get; init; }
}

/// <summary>The phases of a container's life, in the order `run` goes through them.</summary>
public static class ExplainPhase
{
    public const string Rootfs = "rootfs", Cgroup = "cgroup", Namespaces = "namespaces", Network = "network",
        Mounts = "mounts", Security = "security", Exec = "exec";

    public static readonly string[] Order = [Rootfs, Cgroup, Namespaces, Network, Mounts, Security, Exec];

    /// <summary>Phases of the verbs that are not a container's: `volume create` (also when `run -v NEW:/dir` makes the
    /// volume), and a build's COPY and layers.</summary>
    public const string Volumes = "volumes", Layers = "layers";

    /// <summary>Every phase a step may carry.</summary>
    public static readonly string[] All = [.. Order, Volumes, Layers];

    /// <summary>The heading a phase gets on screen.</summary>
    public static string Title(string phase) => phase switch
    {
        Rootfs => "image → rootfs",
        Cgroup => "cgroup",
        Namespaces => "namespaces",
        Network => "network",
        Mounts => "mounts",
        Security => "security",
        Exec => "exec",
        Volumes => "volumes",
        Layers => "files → image layer",
        _ => phase,
    };
}

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(ExplainStep))]
public sealed partial class ExplainJson : JsonSerializerContext;
