using System.Text.Json.Serialization;

namespace MiniContainer.Inspection;

// The document of GET /containers/{id}/kernel (MiniContainer's own extension of the Engine API; `minicontainer
// inspect --kernel`): what the kernel holds for one running container, read live from /proc, cgroupfs and
// rtnetlink at the moment of the request. Nothing here is copied from the daemon's own records, so a student can
// check every value with the shell command named in each section (docs/TOUR.md shows them).

/// <summary>Everything the kernel holds for one running container. Pid is its PID 1 as the host numbers it,
/// PidInContainer the same process as its own PID namespace numbers it (the last NSpid in /proc/PID/status).
/// NamespacesHostSource: where the host's namespace inodes were read (/proc/1/ns, or the daemon's own).</summary>
public sealed record KernelView(
    string Id, string Name,
    int Pid, int PidInContainer,
    List<NamespaceView> Namespaces, string NamespacesHostSource,
    CgroupView Cgroup,
    NetworkView Network,
    RootfsView? Rootfs,
    List<MountView> Mounts,
    SecurityView Security);

/// <summary>One namespace of the container's PID 1 (/proc/PID/ns/TYPE) beside the host's (/proc/1/ns/TYPE):
/// the same inode number means the same namespace.</summary>
public sealed record NamespaceView(string Type, ulong Inode, ulong HostInode, bool SharedWithHost);

/// <summary>The container's cgroup: where it is in each hierarchy (/proc/PID/cgroup) and its limit and usage files.</summary>
public sealed record CgroupView(string Version, List<CgroupHierarchyView> Hierarchies, List<CgroupFileView> Files);

/// <summary>One line of /proc/PID/cgroup: a hierarchy (its controllers; none for the unified v2 one), the path in it,
/// and the directory on the host where that cgroup's files are.</summary>
public sealed record CgroupHierarchyView(string Controllers, string Path, string? Directory);

/// <summary>One cgroup file: Role is "limit" (written when the container started) or "usage" (kept by the kernel).</summary>
public sealed record CgroupFileView(string Controller, string File, string Path, string Value, string Role, string Meaning);

/// <summary>The container's network namespace: its interfaces and routes (empty when it shares the host's).</summary>
public sealed record NetworkView(bool SharedWithHost, List<InterfaceView> Interfaces, List<RouteView> Routes);

/// <summary>A link inside the container; for a veth, HostEnd is its peer on the host, plugged into a bridge.</summary>
public sealed record InterfaceView(string Name, int Index, string? Kind, string? Mac, bool Up, List<string> Addresses, int PeerIndex, VethHostEnd? HostEnd);

/// <summary>The host end of a container's veth pair.</summary>
public sealed record VethHostEnd(string Name, int Index, string? Mac, int PeerIndex, string? Bridge, int BridgeIndex);

/// <summary>A route in the container's namespace (`ip route` inside it: the main table).</summary>
public sealed record RouteView(string Destination, string? Gateway, string? Device, string? Source, uint Table);

/// <summary>The overlay the container's "/" is: lower (image layers, top first), upper (its writes), work (overlay's
/// scratch space) and merged (the mount point it was assembled at before pivot_root), with their sizes on disk.</summary>
public sealed record RootfsView(string FsType, List<DirectoryView> LowerDirs, DirectoryView UpperDir, DirectoryView WorkDir, DirectoryView? MergedDir);

/// <summary>A host directory and the bytes of the files under it (null: not measured, e.g. the merged view).</summary>
public sealed record DirectoryView(string Path, long? Bytes);

/// <summary>One line of /proc/PID/mountinfo, as the container sees its mount table.</summary>
public sealed record MountView(string MountPoint, string FsType, string Source, string Root, List<string> Options, List<string> SuperOptions);

/// <summary>The confinement of PID 1 from /proc/PID/status and its user namespace's id maps.</summary>
public sealed record SecurityView(
    List<string> CapEffective, List<string> CapPermitted, List<string> CapBounding, List<string> CapInheritable, List<string> CapAmbient,
    string Seccomp, int SeccompFilters, bool NoNewPrivs, List<IdMapRange> UidMap, List<IdMapRange> GidMap);

/// <summary>One line of /proc/PID/uid_map or gid_map: Count ids from Inside (in the namespace) map to Outside (its parent's).</summary>
public sealed record IdMapRange(long Inside, long Outside, long Count);

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(KernelView))]
public sealed partial class KernelViewJson : JsonSerializerContext;
