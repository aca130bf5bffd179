using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim;

/// <summary>
/// The init stage's part of --device and --privileged: each device node of the spec is created in the new root
/// (before pivot_root) with the host node's type, numbers, mode and owner, as runc does. In a user namespace
/// mknod is refused even to its root, so the host node is bind-mounted there instead. A node at the same path as
/// one of the standard /dev nodes (bind mounts) replaces it; anything else already there is kept. Whether the
/// container may then open the node is the device cgroup's decision (the rules travel separately).
/// </summary>
internal static class ContainerDevices
{
    public static void Create(ContainerSpec spec, string root)
    {
        if (spec.Devices is not { Count: > 0 } devices) return;
        bool userns = spec.UidMappings is { Count: > 0 };
        foreach (DeviceNodeSpec d in devices)
        {
            string target = SecureJoin.Resolve(root, d.Path);
            string parent = Path.GetDirectoryName(target)!;
            Directory.CreateDirectory(parent);
            if (Kernel.LStat(target) is { } existing)
            {
                if (Kernel.LStat(parent) is not { } dir || dir.Device == existing.Device) continue;
                Kernel.Unmount(target, Kernel.MNT_DETACH);  // a standard node, bind-mounted from the host's /dev
                File.Delete(target);
            }
            if (userns)
            {
                File.WriteAllBytes(target, []);
                Kernel.BindMount(d.HostPath, target);
                continue;
            }
            var kind = d.Type switch { 'b' => FileKind.BlockDevice, 'p' => FileKind.Fifo, _ => FileKind.CharacterDevice };
            Kernel.MakeNode(target, kind, d.FileMode, d.Major, d.Minor);
            Kernel.Chmod(target, d.FileMode);  // mknod's mode went through the umask
            Kernel.LChown(target, d.Uid, d.Gid);
        }
    }
}
