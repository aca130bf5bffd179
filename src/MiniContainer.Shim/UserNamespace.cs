using MiniContainer.Explaining;
using System.Text;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim;


/// <summary>
/// A user-namespaced container (daemon --userns-remap): root inside is an unprivileged uid range outside.
/// Before the child may go on, real root (the shim) must:
///   1. write its uid_map and gid_map (which host ids its ids are);
///   2. give its container layer (upper/work dirs) to the range's root, so root inside can write there;
///   3. make an id-mapped copy of each image layer (open_tree + mount_setattr MOUNT_ATTR_IDMAP through the
///      child's user namespace), so the image's root-owned files appear root-owned inside. The init stage
///      attaches each copy over the layer's own path — in its private mount namespace only — and mounts
///      the overlay itself, with "userxattr" as overlayfs requires inside a user namespace.
/// </summary>
public static class UserNamespace
{
    public static void Prepare(int childPid, ContainerSpec spec, SyncChannel sync)
    {
        WriteIdMaps(childPid, spec.UidMappings!, spec.GidMappings, sync);
        uint rootUid = spec.UidMappings!.First(m => m.ContainerId == 0).HostId;
        uint rootGid = (spec.GidMappings ?? spec.UidMappings!).First(m => m.ContainerId == 0).HostId;
        foreach (string dir in new[] { spec.Rootfs.UpperDir, spec.Rootfs.WorkDir, Path.Combine(spec.Rootfs.WorkDir, "work") })
            if (Directory.Exists(dir)) Kernel.LChown(dir, rootUid, rootGid);

        int userNs = Kernel.Open($"/proc/{childPid}/ns/user", Kernel.O_RDONLY | Kernel.O_CLOEXEC);
        try
        {
            foreach (string layer in spec.Rootfs.LowerDirs)
            {
                int mount = Kernel.CloneMountTree(layer);
                try
                {
                    try { Kernel.IdmapMount(mount, userNs); }
                    catch (KernelException e) when (e.Errno is 22 or 95)   // EINVAL, EOPNOTSUPP
                    {
                        throw new InvalidOperationException(
                            $"cannot run this container in a user namespace: the file system holding the image layer {layer} " +
                            $"does not support id-mapped mounts on this kernel ({e.Message}). Put the daemon's data root on ext4, " +
                            "xfs or btrfs (tmpfs supports them from Linux 6.3), or run this container with --userns=host", e);
                    }
                    sync.SendLayerMount(mount);
                }
                finally { Kernel.Close(mount); }
            }
        }
        finally { Kernel.Close(userNs); }
    }

    /// <summary>Step 1 alone (all minicontainer-runc needs: its rootfs is a plain directory): write the child's maps,
    /// then tell it they are there.</summary>
    public static void WriteIdMaps(int childPid, List<IdMapping> uids, List<IdMapping>? gids, SyncChannel sync)
    {
        WriteIdMap($"/proc/{childPid}/uid_map", uids);
        WriteIdMap($"/proc/{childPid}/gid_map", gids ?? uids);
        sync.SendIdMapsWritten();
    }

    /// <summary>/proc/PID/uid_map: "inside-id host-id count" per line, written once, in one write(2).</summary>
    private static void WriteIdMap(string path, List<IdMapping> mappings)
    {
        string text = string.Concat(mappings.Select(m => $"{m.ContainerId} {m.HostId} {m.Size}\n"));
        long t = Explain.Begin();
        int fd = Kernel.Open(path, Kernel.O_WRONLY | Kernel.O_CLOEXEC);
        try { Kernel.WriteAll(fd, Encoding.ASCII.GetBytes(text)); }
        finally { Kernel.Close(fd); }
        if (t != 0) Explain.Record(t, ExplainText.IdMap(path, text));
    }
}
