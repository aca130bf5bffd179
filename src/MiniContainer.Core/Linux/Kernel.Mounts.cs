using MiniContainer.Explaining;

namespace MiniContainer.Linux;

[Flags]
public enum MountFlags : ulong
{
    None = 0,
    ReadOnly = 1,          // MS_RDONLY
    NoSuid = 2,            // MS_NOSUID
    NoDev = 4,             // MS_NODEV
    NoExec = 8,            // MS_NOEXEC
    Synchronous = 16,      // MS_SYNCHRONOUS
    Remount = 32,          // MS_REMOUNT
    DirSync = 128,         // MS_DIRSYNC
    NoAtime = 1024,        // MS_NOATIME
    NoDirAtime = 2048,     // MS_NODIRATIME
    Bind = 4096,           // MS_BIND
    Recursive = 16384,     // MS_REC
    Unbindable = 1 << 17,  // MS_UNBINDABLE
    Private = 1 << 18,     // MS_PRIVATE
    Slave = 1 << 19,       // MS_SLAVE
    Shared = 1 << 20,      // MS_SHARED
    RelAtime = 1 << 21,    // MS_RELATIME
    StrictAtime = 1 << 24, // MS_STRICTATIME
}

public static partial class Kernel
{
    /// <summary>mount(2): attach a filesystem (or a bind of a path) at target.</summary>
    public static void Mount(string? source, string target, string? fsType, MountFlags flags, string? data = null)
    {
        long t = Explain.Begin();
        Check(Libc.mount(source, target, fsType, (ulong)flags, data), $"mount({source ?? "none"}, {target}, {fsType ?? "none"}, {flags})");
        if (t != 0) Explain.Record(t, ExplainText.Mount(source, target, fsType, flags, data));
    }

    /// <summary>mount(2) with MS_BIND: make target show the same files as source.</summary>
    public static void BindMount(string source, string target, bool recursive = false) =>
        Mount(source, target, null, MountFlags.Bind | (recursive ? MountFlags.Recursive : 0));

    /// <summary>mount(2) with MS_REMOUNT|MS_BIND|MS_RDONLY: make an existing (bind) mount read-only.</summary>
    public static void RemountReadOnly(string target, MountFlags extra = 0) =>
        Mount(null, target, null, MountFlags.Remount | MountFlags.Bind | MountFlags.ReadOnly | extra);

    /// <summary>mount(2) with MS_PRIVATE|MS_REC: stop mount events propagating between this namespace and the host.</summary>
    public static void MakeMountsPrivate(string target = "/") =>
        Mount(null, target, null, MountFlags.Private | MountFlags.Recursive);

    public const int MNT_DETACH = 2;

    /// <summary>umount2(2): detach a mount (MNT_DETACH: lazily, once no longer busy).</summary>
    public static void Unmount(string target, int flags = MNT_DETACH)
    {
        long t = Explain.Begin();
        Check(Libc.umount2(target, flags), $"umount2({target})");
        if (t != 0) Explain.Record(t, ExplainText.Unmount(target, flags));
    }

    /// <summary>pivot_root(2): make newRoot the root of this mount namespace, moving the old root to putOld.</summary>
    public static void PivotRoot(string newRoot, string putOld)
    {
        long t = Explain.Begin();
        string? cwd = t != 0 ? Directory.GetCurrentDirectory() : null;   // after the pivot "." names the new root
        Check(Libc.syscall_pivot_root(155 /* SYS_pivot_root */, newRoot, putOld), $"pivot_root({newRoot}, {putOld})");
        if (t != 0) Explain.Record(t, ExplainText.PivotRoot(newRoot, putOld, cwd!));
    }

    /// <summary>chdir(2): change the current directory.</summary>
    public static void ChangeDirectory(string path) => Check(Libc.chdir(path), $"chdir({path})");
}
