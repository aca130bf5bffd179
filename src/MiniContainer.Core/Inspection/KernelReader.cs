using MiniContainer.Cgroups;
using MiniContainer.Linux.Netlink;
using MiniContainer.Storage;

namespace MiniContainer.Inspection;

/// <summary>What the daemon knows and the kernel cannot tell: which host veth it gave each container interface,
/// and on which bridge. The reader checks these against the kernel (the host end's peer index) and reports what it finds.</summary>
public sealed record VethEndpoint(string InterfaceName, string HostVeth, string Bridge);

/// <summary>Reads a running container's kernel state live: /proc/PID/{ns,cgroup,mountinfo,status,uid_map,gid_map},
/// the cgroup files, rtnetlink in the container's network namespace and in the host's, and the overlay's directories.</summary>
public static class KernelReader
{
    /// <summary>The namespace types in the order a lesson explains them (the kernel lists them alphabetically).</summary>
    public static readonly string[] NamespaceTypes =
        ["pid", "pid_for_children", "mnt", "net", "uts", "ipc", "cgroup", "user", "time", "time_for_children"];

    /// <summary>Everything at once. Throws IOException (often FileNotFoundException) when the process is gone meanwhile.</summary>
    public static KernelView Read(string id, string name, int pid, IReadOnlyList<VethEndpoint> endpoints, string? mergedDir)
    {
        string proc = $"/proc/{pid}";
        var status = ProcDecoders.StatusFields(File.ReadAllText($"{proc}/status"));
        var (namespaces, hostSource) = Namespaces(pid);
        var mountInfo = File.ReadAllText($"{proc}/mountinfo");
        var mounts = ProcDecoders.Mounts(mountInfo);
        bool netShared = namespaces.FirstOrDefault(n => n.Type == "net")?.SharedWithHost ?? true;
        return new KernelView(
            id, name, pid,
            status.TryGetValue("NSpid", out var nsPid) ? ProcDecoders.InnermostPid(nsPid) : pid,
            namespaces, hostSource,
            CgroupFiles.Read(File.ReadAllText($"{proc}/cgroup"), CgroupFs.Host),
            netShared ? new NetworkView(true, [], []) : Network(pid, endpoints),
            Rootfs(mounts, mergedDir),
            mounts,
            Security(status, proc));
    }

    /// <summary>
    /// readlink /proc/PID/ns/* beside the host's: equal inode numbers are the same namespace. The host's are PID 1's
    /// (/proc/1/ns) when this process may read them; where it may not (PID 1 of a sandbox, or a kernel that denies
    /// ptrace-read access to it) they are the daemon's own, which are the namespaces every container was made from.
    /// HostSource says which.
    /// </summary>
    public static (List<NamespaceView> Namespaces, string HostSource) Namespaces(int pid)
    {
        string hostDir = LinkTarget("/proc/1/ns/mnt") != null ? "/proc/1/ns" : $"/proc/{Environment.ProcessId}/ns";
        var list = new List<NamespaceView>();
        foreach (string type in NamespaceTypes)
        {
            string? mine = LinkTarget($"/proc/{pid}/ns/{type}"), host = LinkTarget($"{hostDir}/{type}");
            if (mine is null || host is null) continue;   // a kernel without this namespace type (time before 5.6)
            ulong inode = ProcDecoders.NamespaceInode(mine), hostInode = ProcDecoders.NamespaceInode(host);
            list.Add(new NamespaceView(type, inode, hostInode, inode == hostInode));
        }
        if (list.Count == 0) throw new IOException($"cannot read the namespaces of process {pid} (/proc/{pid}/ns)");
        return (list, hostDir == "/proc/1/ns" ? hostDir : $"{hostDir} (the daemon's: /proc/1/ns is not readable here)");
    }

    /// <summary>readlink(2); null when there is no such link or it may not be read (.NET answers null for EACCES too).</summary>
    private static string? LinkTarget(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (IOException) { return null; }
    }

    /// <summary>
    /// The container's links, addresses and routes, over a netlink socket opened inside its network namespace (a
    /// dedicated thread joins it: see <see cref="RtnlClient.OpenInNamespace"/>); then the host end of each veth,
    /// over a socket in the daemon's (the host's) namespace.
    /// </summary>
    public static NetworkView Network(int pid, IReadOnlyList<VethEndpoint> endpoints)
    {
        List<LinkInfo> links;
        List<AddressInfo> addresses;
        List<RouteInfo> routes;
        using (var inside = RtnlClient.OpenInNamespace($"/proc/{pid}/ns/net"))
        {
            links = inside.ListLinks();
            addresses = inside.ListAddresses();
            routes = inside.ListRoutes();
        }
        using var host = RtnlClient.Open();
        var interfaces = new List<InterfaceView>();
        foreach (var link in links.OrderBy(l => l.Index))
        {
            VethHostEnd? hostEnd = null;
            if (endpoints.FirstOrDefault(e => e.InterfaceName == link.Name) is { } ep && host.FindLink(ep.HostVeth) is { } peer)
            {
                var bridge = host.FindLink(ep.Bridge);
                bool onBridge = bridge != null && bridge.Index == peer.MasterIndex;
                hostEnd = new VethHostEnd(peer.Name, peer.Index, Mac(peer.Mac), peer.PeerIndex, onBridge ? bridge!.Name : null, peer.MasterIndex);
            }
            interfaces.Add(new InterfaceView(link.Name, link.Index, link.Kind, Mac(link.Mac), link.IsUp,
                addresses.Where(a => a.LinkIndex == link.Index).Select(a => $"{a.Address}/{a.PrefixLength}").ToList(),
                link.PeerIndex, hostEnd));
        }
        string? Device(int index) => links.FirstOrDefault(l => l.Index == index)?.Name;
        var routeViews = routes
            .Where(r => r.Table == MainTable && r.Type == UnicastRoute)   // what `ip route` shows; the local table is the kernel's own
            .Select(r => new RouteView(r.Destination, r.Gateway, Device(r.OutputIndex), r.PreferredSource, r.Table))
            .ToList();
        return new NetworkView(false, interfaces, routeViews);
    }

    /// <summary>The overlay mounted at the container's "/" (its mount options name the layers) and the sizes of its directories.</summary>
    public static RootfsView? Rootfs(List<MountView> mounts, string? mergedDir)
    {
        var root = mounts.LastOrDefault(m => m.MountPoint == "/");
        if (root is null || root.FsType != "overlay") return null;
        string? Option(string key) => root.SuperOptions.FirstOrDefault(o => o.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];
        var lower = (Option("lowerdir") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(Measured).ToList();
        return new RootfsView(root.FsType, lower, Measured(Option("upperdir") ?? ""), Measured(Option("workdir") ?? ""),
            mergedDir is null ? null : new DirectoryView(mergedDir, null));
    }

    private static DirectoryView Measured(string dir) =>
        new(dir, Directory.Exists(dir) ? DiskUsage.Bytes(dir) : null);

    /// <summary>Capabilities, seccomp and no_new_privs from /proc/PID/status; the id maps of its user namespace.</summary>
    public static SecurityView Security(Dictionary<string, string> status, string proc)
    {
        List<string> Caps(string key) => status.TryGetValue(key, out var v) ? ProcDecoders.CapabilityNames(v) : [];
        return new SecurityView(
            Caps("CapEff"), Caps("CapPrm"), Caps("CapBnd"), Caps("CapInh"), Caps("CapAmb"),
            ProcDecoders.SeccompMode(status.GetValueOrDefault("Seccomp", "0")),
            int.TryParse(status.GetValueOrDefault("Seccomp_filters"), out int filters) ? filters : 0,
            status.GetValueOrDefault("NoNewPrivs") == "1",
            ProcDecoders.IdMap(File.ReadAllText($"{proc}/uid_map")),
            ProcDecoders.IdMap(File.ReadAllText($"{proc}/gid_map")));
    }

    private const uint MainTable = 254;    // RT_TABLE_MAIN
    private const byte UnicastRoute = 1;   // RTN_UNICAST

    private static string? Mac(byte[]? mac) => mac is { Length: 6 } ? string.Join(':', mac.Select(b => b.ToString("x2"))) : null;
}

