using MiniContainer.Linux;

namespace MiniContainer.Runtime;

/// <summary>
/// --tmpfs / --mount type=tmpfs options: the mount flags among them (ro/rw, exec/noexec, suid/nosuid, dev/nodev)
/// become mount(2) flags, the rest (size=, mode=, uid=…) stay tmpfs's data. Docker mounts a tmpfs noexec, nosuid and
/// nodev unless the options say otherwise (moby daemon/oci_linux.go WithMounts), and so do we.
/// </summary>
public static class TmpfsMountOptions
{
    public static (MountFlags Flags, string? Data) Split(string? options, bool readOnly)
    {
        MountFlags flags = MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec | (readOnly ? MountFlags.ReadOnly : 0);
        var data = new List<string>();
        foreach (string option in (options ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            switch (option)
            {
                case "ro": flags |= MountFlags.ReadOnly; break;
                case "rw": flags &= ~MountFlags.ReadOnly; break;
                case "noexec": flags |= MountFlags.NoExec; break;
                case "exec": flags &= ~MountFlags.NoExec; break;
                case "nosuid": flags |= MountFlags.NoSuid; break;
                case "suid": flags &= ~MountFlags.NoSuid; break;
                case "nodev": flags |= MountFlags.NoDev; break;
                case "dev": flags &= ~MountFlags.NoDev; break;
                default: data.Add(option); break;
            }
        }
        return (flags, data.Count > 0 ? string.Join(',', data) : null);
    }
}
