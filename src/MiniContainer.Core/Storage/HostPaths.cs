namespace MiniContainer.Storage;

/// <summary>
/// Where MiniContainer keeps things on the host (docs/design.md §3).
/// DataRoot is persistent (/var/lib/minicontainer), ExecRoot is volatile (/run/minicontainer).
/// Tests point both somewhere else with the daemon's --data-root / --exec-root.
/// </summary>
public sealed record HostPaths(string DataRoot, string ExecRoot)
{
    public const string DefaultDataRoot = "/var/lib/minicontainer";
    public const string DefaultExecRoot = "/run/minicontainer";
    public const string SocketName = "minicontainer.sock";

    public static HostPaths Default { get; } = new(DefaultDataRoot, DefaultExecRoot);

    public string Socket => Path.Combine(ExecRoot, SocketName);
    public string LockFile => Path.Combine(ExecRoot, "minicontainerd.lock");
    public string Blobs => Path.Combine(DataRoot, "blobs", "sha256");
    public string Layers => Path.Combine(DataRoot, "layers");
    public string Images => Path.Combine(DataRoot, "images");
    public string Containers => Path.Combine(DataRoot, "containers");
    public string Volumes => Path.Combine(DataRoot, "volumes");
    public string Networks => Path.Combine(DataRoot, "networks");
    public string Tmp => Path.Combine(DataRoot, "tmp");

    public string Container(string id) => Path.Combine(Containers, id);
    /// <summary>Per-container volatile dir: the shim's control socket lives here. Short (12-hex) because a
    /// unix socket path may be at most 108 bytes.</summary>
    public string ContainerRun(string id) => Path.Combine(ExecRoot, "shims", id[..12]);
}
