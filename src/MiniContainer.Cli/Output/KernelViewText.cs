using System.Text;
using MiniContainer.Inspection;

namespace MiniContainer.Cli.Output;

/// <summary>
/// `inspect --kernel`'s default view: the document of GET /containers/{id}/kernel as sections a student can read
/// aloud, each opened by one line saying what that kernel object is and how to look at it by hand.
/// </summary>
internal static class KernelViewText
{
    public static string Render(KernelView v)
    {
        var sb = new StringBuilder();
        sb.Append($"Container {v.Name} ({Short(v.Id)}): PID 1 inside is PID {v.Pid} on the host\n");

        Section(sb, "Namespaces",
            "Each namespace gives the container its own copy of one kind of kernel state; the same inode number as the host's means it is shared (readlink /proc/PID/ns/TYPE).");
        sb.Append($"  {"type",-18} {"container",-12} {"host",-12}  (host: {v.NamespacesHostSource})\n");
        foreach (var n in v.Namespaces)
            sb.Append($"  {n.Type,-18} {n.Inode,-12} {n.HostInode,-12}  {(n.SharedWithHost ? "shared with the host" : "its own")}\n");

        Section(sb, "Cgroup",
            $"A cgroup ({v.Cgroup.Version}) groups the container's processes so the kernel can limit and count what they use (cat /proc/PID/cgroup).");
        foreach (var h in v.Cgroup.Hierarchies)
            sb.Append($"  {(h.Controllers.Length == 0 ? "(unified)" : h.Controllers),-24} {h.Directory ?? h.Path}\n");
        foreach (var f in v.Cgroup.Files)
            sb.Append($"  {f.File,-30} {f.Value,-20} {f.Role,-5}  {f.Meaning}\n");

        Section(sb, "Network",
            "A veth pair is a virtual cable: one end is the container's interface, the other sits on a host bridge (ip -n / nsenter -t PID -n ip addr).");
        if (v.Network.SharedWithHost) sb.Append("  shares the host's network namespace: its interfaces are the host's (ip addr)\n");
        foreach (var i in v.Network.Interfaces)
        {
            sb.Append($"  {i.Name} (ifindex {i.Index}{(i.Kind is null ? "" : ", " + i.Kind)}{(i.PeerIndex > 0 ? $", peer ifindex {i.PeerIndex}" : "")}{(i.Up ? ", up" : ", down")})");
            if (i.Mac != null) sb.Append($" mac {i.Mac}");
            if (i.Addresses.Count > 0) sb.Append($" inet {string.Join(", ", i.Addresses)}");
            sb.Append('\n');
            if (i.HostEnd is { } h)
                sb.Append($"    peer on the host: {h.Name} (ifindex {h.Index}, mac {h.Mac}) on bridge {h.Bridge ?? "(none)"} (ifindex {h.BridgeIndex})\n");
        }
        foreach (var r in v.Network.Routes)
            sb.Append($"  route {r.Destination}{(r.Gateway is null ? "" : " via " + r.Gateway)}{(r.Device is null ? "" : " dev " + r.Device)}{(r.Source is null ? "" : " src " + r.Source)}\n");

        Section(sb, "Root file system",
            "overlayfs stacks the image layers (lower, read-only) under the container's own upper dir; every write lands in upper, work is overlay's scratch space.");
        if (v.Rootfs is null) sb.Append("  \"/\" is not an overlay mount\n");
        else
        {
            foreach (var l in v.Rootfs.LowerDirs) Dir(sb, "lower", l);
            Dir(sb, "upper", v.Rootfs.UpperDir);
            Dir(sb, "work", v.Rootfs.WorkDir);
            if (v.Rootfs.MergedDir is { } m) sb.Append($"  {"merged",-6} {m.Path}  (the union, \"/\" inside after pivot_root)\n");
        }

        Section(sb, "Mounts",
            "The container's own mount table (its mount namespace), as /proc/PID/mountinfo lists it.");
        foreach (var m in v.Mounts)
            sb.Append($"  {m.MountPoint,-28} {m.FsType,-8} {m.Source,-12} {string.Join(',', m.Options)}\n");

        var s = v.Security;
        Section(sb, "Security",
            "Capabilities split root's power into pieces; seccomp filters system calls; no_new_privs stops setuid gaining any (grep -E 'Cap|Seccomp|NoNewPrivs' /proc/PID/status).");
        sb.Append($"  effective    {Names(s.CapEffective)}\n");
        sb.Append($"  permitted    {Names(s.CapPermitted)}\n");
        sb.Append($"  bounding     {Names(s.CapBounding)}\n");
        if (s.CapAmbient.Count > 0) sb.Append($"  ambient      {Names(s.CapAmbient)}\n");
        sb.Append($"  seccomp      {s.Seccomp}{(s.SeccompFilters > 0 ? $" ({s.SeccompFilters} filter{(s.SeccompFilters == 1 ? "" : "s")})" : "")}\n");
        sb.Append($"  no_new_privs {(s.NoNewPrivs ? "1" : "0")}\n");

        Section(sb, "User namespace id maps",
            "uid_map and gid_map: COUNT ids from INSIDE the container are OUTSIDE ids on the host (cat /proc/PID/uid_map).");
        foreach (var m in s.UidMap) sb.Append($"  uid {m.Inside} -> {m.Outside} ({m.Count})\n");
        foreach (var m in s.GidMap) sb.Append($"  gid {m.Inside} -> {m.Outside} ({m.Count})\n");
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, string explanation) =>
        sb.Append('\n').Append(title).Append('\n').Append("  # ").Append(explanation).Append('\n');

    private static void Dir(StringBuilder sb, string label, DirectoryView d) =>
        sb.Append($"  {label,-6} {d.Path}  {(d.Bytes is long b ? HumanUnits.Size(b) : "")}\n");

    private static string Names(List<string> caps) => caps.Count == 0 ? "(none)" : string.Join(' ', caps);

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
