using System.Runtime.InteropServices;
using MiniContainer.Explaining;

namespace MiniContainer.Linux;

/// <summary>
/// The file-descriptor based mount API. With it a mount can be built by one process (the shim, real root on
/// the host), changed while still detached, and attached by another (the init stage, inside the container's
/// user namespace) — which is how a user-namespaced container gets an overlay root that maps its root user.
/// </summary>
public static unsafe partial class Kernel
{
    private const int AT_FDCWD = -100, AT_EMPTY_PATH = 0x1000;
    private const int FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;
    private const ulong MOUNT_ATTR_IDMAP = 0x00100000;

    /// <summary>fsopen + fsconfig + fsmount: a new, detached filesystem mount; returns its fd.</summary>
    public static int CreateDetachedMount(string fsType, IEnumerable<(string Key, string Value)> options)
    {
        long t = Explain.Begin();
        byte* type = NativeString.Alloc(fsType);
        int fsfd;
        try { fsfd = (int)Check(Libc.syscall5(Libc.SYS_fsopen, (long)type, 1 /* FSOPEN_CLOEXEC */, 0, 0, 0), $"fsopen({fsType})"); }
        finally { NativeMemory.Free(type); }
        try
        {
            foreach (var (key, value) in options)
            {
                byte* k = NativeString.Alloc(key), v = NativeString.Alloc(value);
                try { Check(Libc.syscall5(Libc.SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, (long)k, (long)v, 0), $"fsconfig({fsType}, {key}={value})"); }
                finally { NativeMemory.Free(k); NativeMemory.Free(v); }
            }
            Check(Libc.syscall5(Libc.SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, 0, 0, 0), $"fsconfig({fsType}, create)");
            int mount = (int)Check(Libc.syscall5(Libc.SYS_fsmount, fsfd, 1 /* FSMOUNT_CLOEXEC */, 0, 0, 0), $"fsmount({fsType})");
            if (t != 0) Explain.Record(t, ExplainTextMore.DetachedMount(fsType));
            return mount;
        }
        finally { Close(fsfd); }
    }

    /// <summary>open_tree(OPEN_TREE_CLONE): a detached copy of the mount at path (a bind mount not yet attached anywhere).</summary>
    public static int CloneMountTree(string path)
    {
        long t = Explain.Begin();
        byte* p = NativeString.Alloc(path);
        int fd;
        try { fd = (int)Check(Libc.syscall5(Libc.SYS_open_tree, AT_FDCWD, (long)p, 1 /* OPEN_TREE_CLONE */ | 0x80000 /* OPEN_TREE_CLOEXEC */, 0, 0), $"open_tree({path})"); }
        finally { NativeMemory.Free(p); }
        if (t != 0) Explain.Record(t, ExplainTextMore.CloneMountTree(path));
        return fd;
    }

    /// <summary>mount_setattr(MOUNT_ATTR_IDMAP): make a detached mount show file owners through a user namespace's
    /// id map (on-disk uid 0 appears as the namespace's root).</summary>
    public static void IdmapMount(int mountFd, int userNamespaceFd)
    {
        long t = Explain.Begin();
        var attr = new Libc.MountAttr { AttrSet = MOUNT_ATTR_IDMAP, UsernsFd = (ulong)userNamespaceFd };
        byte empty = 0;
        Check(Libc.syscall5(Libc.SYS_mount_setattr, mountFd, (long)&empty, AT_EMPTY_PATH, (long)&attr, sizeof(Libc.MountAttr)), "mount_setattr(MOUNT_ATTR_IDMAP)");
        if (t != 0) Explain.Record(t, ExplainTextMore.IdmapMount());
    }

    /// <summary>move_mount: attach a detached mount (an fd) at target.</summary>
    public static void AttachMount(int mountFd, string target)
    {
        long t = Explain.Begin();
        byte empty = 0;
        byte* tp = NativeString.Alloc(target);
        try { Check(Libc.syscall5(Libc.SYS_move_mount, mountFd, (long)&empty, AT_FDCWD, (long)tp, 0x4 /* MOVE_MOUNT_F_EMPTY_PATH */), $"move_mount({target})"); }
        finally { NativeMemory.Free(tp); }
        if (t != 0) Explain.Record(t, ExplainTextMore.AttachMount(target));
    }
}
