namespace MiniContainer.Cli.Compose;

/// <summary>
/// A compose project after loading: files merged, variables substituted, every key checked. Values are already in the
/// shape the Engine API wants where that is unambiguous (bytes, nanoseconds, absolute bind paths), so the engine side
/// only maps them onto create requests.
/// </summary>
internal sealed record ComposeProject(
    string Name,
    string WorkingDir,
    IReadOnlyList<string> ConfigFiles,
    IReadOnlyDictionary<string, ComposeService> Services,
    IReadOnlyDictionary<string, ComposeNetwork> Networks,
    IReadOnlyDictionary<string, ComposeVolume> Volumes)
{
    /// <summary>The network services join when they name none.</summary>
    public const string DefaultNetwork = "default";
}

internal sealed record ComposeBuild(string Context, string? Dockerfile, IReadOnlyDictionary<string, string?> Args, string? Target);

/// <summary>One volumes: entry. Type "volume" (Source a top-level volume's key, or "" for an anonymous one), "bind" (Source absolute) or "tmpfs".</summary>
internal sealed record ComposeMount(string Type, string Source, string Target, bool ReadOnly);

/// <summary>One ports: entry in its long form; Published "" lets the daemon choose.</summary>
internal sealed record ComposePort(string HostIp, string Published, string Target, string Protocol)
{
    /// <summary>The -p spelling PortSpec reads: [ip:][published:]target/protocol.</summary>
    public string ToSpec()
    {
        string ip = HostIp.Contains(':') ? "[" + HostIp + "]" : HostIp;
        string prefix = HostIp.Length > 0 ? ip + ":" + Published + ":" : Published.Length > 0 ? Published + ":" : "";
        return prefix + Target + "/" + Protocol;
    }
}

internal sealed record ComposeServiceNetwork(IReadOnlyList<string> Aliases, string? Ipv4Address);

internal sealed record ComposeDependency(string Condition, bool Required);

internal sealed record ComposeHealthcheck(IReadOnlyList<string>? Test, long? IntervalNs, long? TimeoutNs, int? Retries, long? StartPeriodNs, long? StartIntervalNs, bool Disable);

internal sealed record ComposeService
{
    public required string Name { get; init; }
    public string? Image { get; init; }
    public ComposeBuild? Build { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    /// <summary>env_file entries first, then environment, later keys winning; a null value is unset.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];
    public IReadOnlyList<ComposePort> Ports { get; init; } = [];
    public IReadOnlyList<string> Expose { get; init; } = [];
    public IReadOnlyList<ComposeMount> Volumes { get; init; } = [];
    /// <summary>tmpfs paths with their mount options ("" for none).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tmpfs { get; init; } = [];
    /// <summary>Project network key → endpoint settings, in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, ComposeServiceNetwork>> Networks { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, ComposeDependency>> DependsOn { get; init; } = [];
    public string? Restart { get; init; }
    public ComposeHealthcheck? Healthcheck { get; init; }
    public string? ContainerName { get; init; }
    public string? Hostname { get; init; }
    public string? WorkingDir { get; init; }
    public string? User { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];
    public string? StopSignal { get; init; }
    public long? StopGracePeriodNs { get; init; }
    public long? MemLimit { get; init; }
    public decimal? Cpus { get; init; }
    public bool? Init { get; init; }
    public IReadOnlyList<string> Profiles { get; init; } = [];

    /// <summary>The image a container of this service runs: image:, or the name compose gives a built image.</summary>
    public string ImageFor(string project) => Image ?? $"{project}-{Name}";
}

/// <summary>A top-level network: Name is the engine's name (project_key unless name: or external).</summary>
internal sealed record ComposeNetwork(string Key, string Name, bool External, string? Driver, IReadOnlyList<KeyValuePair<string, string>> Labels,
                                      IReadOnlyList<KeyValuePair<string, string?>> Subnets);

internal sealed record ComposeVolume(string Key, string Name, bool External, string? Driver, IReadOnlyList<KeyValuePair<string, string>> Labels);
