using System.Runtime.ExceptionServices;
using System.Text.Json;
using MiniContainer.Cgroups;
using MiniContainer.Explaining;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim;


/// <summary>
/// The init stage: runs as PID 1 inside the new namespaces (or as a plain process with --pid host / container:X), started by the shim's clone child with
/// `minicontainer-shim init BUNDLE`. It waits until the shim has put it in its cgroup ("prepare"), builds the
/// container's filesystem while the daemon wires the network and attaches its clients, then waits for "go" and
/// becomes the user's program:
///
///   WaitForPrepare → JoinOwnCgroupNamespace → PrepareRootfs (overlay, /proc, /dev, /sys, /etc files, mounts)
///   → PivotRoot → FinishRootfs (read-only bits) → SetHostname → BringLoopbackUp → WaitForGo → ProcessStarter.Exec
///
/// Nothing of the user's program runs before "go", and a failure while building is reported only after it, as
/// before: the daemon sees the same start either way, only sooner (the rootfs no longer waits for the network).
///
/// fd 3 is the sync socket to the shim: failures are reported on it (see SyncChannel).
/// </summary>
public static class InitStage
{
    public static int Run(string bundleDir)
    {
        var sync = new SyncChannel(SyncChannel.Fd);
        try
        {
            var (layerMounts, bindClones, go) = sync.WaitForPrepare();
            ContainerSpec? spec = null;
            ExceptionDispatchInfo? failed = null;
            try
            {
                spec = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(bundleDir, "spec.json")), RuntimeJson.Default.ContainerSpec)
                       ?? throw new InvalidDataException("empty spec.json");
                ListenForExplain(spec.Process, sync);

                // The shim moved us into the container's cgroup while we waited; a cgroup namespace made now is
                // rooted there, so /proc/self/cgroup reads "0::/" inside (unless --cgroupns=host).
                if (!spec.HostCgroupNamespace) Kernel.Unshare((int)Namespace.Cgroup, "CLONE_NEWCGROUP");

                PrepareRootfs(spec, layerMounts, bindClones);
                PivotRoot(spec.Rootfs.MergedDir);
                FinishRootfs(spec);
                if (!spec.HostUts) Kernel.SetHostname(spec.Hostname);   // --uts=host: the host's own, untouched
                if (spec.NetworkMode != "host") Kernel.BringLoopbackUp();
            }
            catch (Exception e) { failed = ExceptionDispatchInfo.Capture(e); }

            // A failure above is reported once the daemon says go, as one after it would be.
            if (!go) sync.WaitForGo();
            failed?.Throw();
            ProcessStarter.Exec(spec!.Process, sync, dropCapabilities: true);
            return 0; // not reached: Exec either replaces this process or throws
        }
        catch (CommandLookup.LookupException e) { return sync.Fail(e.ExitCode, e.Message); }
        catch (Exception e) { return sync.Fail(125, e is KernelException ? e.Message : e.Message); }
    }

    /// <summary>
    /// `init-warm`: the init stage of a warm shim, cloned into <see cref="ContainerSpec.WarmNamespaces"/> before its
    /// container was known. It waits for its stdio and its bundle, puts the three fds in place, makes its own mount
    /// namespace — a copy of the host's mounts as they are now — and goes on as <see cref="Run"/>.
    /// </summary>
    /// <remarks>unshare(CLONE_NEWNS) in a process with threads gives the new mount namespace (and its own root and
    /// working directory) to the calling thread only. That is the thread that runs all of <see cref="Run"/> and, in
    /// the end, execve, which leaves the process with that thread alone; the runtime's idle helper threads never touch
    /// a file. The cgroup namespace is made the same way in Run.</remarks>
    public static int RunWarm()
    {
        var sync = new SyncChannel(SyncChannel.Fd);
        string bundleDir;
        try
        {
            Shims.ReadyTheSpecReader(RuntimeJson.Default.ContainerSpec);   // it reads spec.json first thing in Run
            (int[] stdio, bundleDir) = sync.WaitForContainer();
            for (int i = 0; i < stdio.Length; i++)
            {
                Kernel.Check(ForkSafe.Dup3(stdio[i], i, 0), $"dup3(stdio, {i})");
                Kernel.Close(stdio[i]);
            }
            Kernel.Unshare((int)Namespace.Mount, "CLONE_NEWNS");
        }
        catch (Exception e) { return sync.Fail(125, e.Message); }
        return Run(bundleDir);
    }

    /// <summary>--explain: each step goes to the shim over the sync channel as it happens (the shim files it). The
    /// channel is close-on-exec, so the user's program inherits nothing of it.</summary>
    public static void ListenForExplain(ProcessSpec process, SyncChannel sync)
    {
        if (!process.Explain) return;
        Explain.ProcessName = "init";
        Explain.ListenInProcess(step =>
        {
            try { sync.SendExplain(step); } catch (KernelException) { }   // the narration never fails the container
        });
    }

    /// <summary>Everything mounted under the new root before we switch to it.</summary>
    private static void PrepareRootfs(ContainerSpec spec, List<int> layerMounts, Queue<int> bindClones)
    {
        string root = spec.Rootfs.MergedDir;

        // Our mount namespace began as a copy of the host's; make it private so nothing we mount leaks back.
        Kernel.MakeMountsPrivate("/");
        if (layerMounts.Count > 0)
        {
            // User namespace: cover each layer with its id-mapped copy (made by the shim as real root) —
            // only in our mount namespace — then mount the overlay as usual.
            for (int i = 0; i < layerMounts.Count; i++)
            {
                Kernel.AttachMount(layerMounts[i], spec.Rootfs.LowerDirs[i]);
                Kernel.Close(layerMounts[i]);
            }
        }
        MountOverlay(spec.Rootfs, root, userxattr: layerMounts.Count > 0);

        MountProc(root);
        MountDev(root, spec.ShmSizeBytes);
        ContainerDevices.Create(spec, root);
        MountSys(root, spec);
        MountEtcFiles(spec, root);
        foreach (var m in spec.Mounts) MountIntoRootfs(m, root, bindClones);
    }

    /// <summary>overlayfs: the image layers read-only below, the container's own upper dir on top. Volatile for a --rm
    /// container: its exit then does not wait for the host's disk (see OverlayVolatile).</summary>
    private static void MountOverlay(RootfsSpec rootfs, string target, bool userxattr)
    {
        Directory.CreateDirectory(target);
        string lower = string.Join(':', rootfs.LowerDirs);
        Kernel.Mount("overlay", target, "overlay", MountFlags.None,
            $"lowerdir={lower},upperdir={rootfs.UpperDir},workdir={rootfs.WorkDir}" + (userxattr ? ",userxattr" : "") + (rootfs.Volatile ? ",volatile" : ""));
    }

    /// <summary>A fresh procfs: it shows the processes of our PID namespace only.</summary>
    private static void MountProc(string root)
    {
        string proc = KernelFileSystemDir(root, "proc");
        Kernel.Mount("proc", proc, "proc", MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec);
    }

    private static readonly string[] DeviceNodes = { "null", "zero", "full", "random", "urandom", "tty" };

    /// <summary>/dev: a small tmpfs with the standard nodes (bind-mounted from the host's), a private devpts
    /// instance for this container's terminals, /dev/shm and /dev/mqueue.</summary>
    private static void MountDev(string root, long shmSizeBytes)
    {
        string dev = KernelFileSystemDir(root, "dev");
        Kernel.Mount("tmpfs", dev, "tmpfs", MountFlags.NoSuid | MountFlags.StrictAtime, "mode=755,size=65536k");
        BindStandardDeviceNodes(dev);
        string pts = EnsureDir(dev, "pts");
        Kernel.Mount("devpts", pts, "devpts", MountFlags.NoSuid | MountFlags.NoExec, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        Kernel.Mount("shm", EnsureDir(dev, "shm"), "tmpfs", MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec, $"mode=1777,size={shmSizeBytes / 1024}k");
        Kernel.Mount("mqueue", EnsureDir(dev, "mqueue"), "mqueue", MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec);
        LinkStandardDeviceNames(dev);
    }

    /// <summary>/dev/null, zero, full, random, urandom and tty: bind mounts of the host's nodes (also the OCI
    /// runtime's "default devices").</summary>
    internal static void BindStandardDeviceNodes(string dev)
    {
        foreach (string node in DeviceNodes)
        {
            string target = Path.Combine(dev, node);
            if (Kernel.LStat(target) is { Kind: FileKind.CharacterDevice }) continue;   // a node the bundle made already stays
            if (!File.Exists(target)) File.WriteAllBytes(target, Array.Empty<byte>());
            Kernel.BindMount("/dev/" + node, target);
        }
    }

    /// <summary>/dev/ptmx into the private devpts, and /dev/fd, stdin, stdout, stderr into /proc/self/fd.</summary>
    internal static void LinkStandardDeviceNames(string dev)
    {
        foreach (var (name, target) in new[] { ("ptmx", "pts/ptmx"), ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                     ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2") })
            if (Kernel.LStat(Path.Combine(dev, name)) is null) File.CreateSymbolicLink(Path.Combine(dev, name), target);
    }

    /// <summary>/sys read-only, and the container's own cgroup view at /sys/fs/cgroup (read-only too); both
    /// writable for --privileged, as in Docker.</summary>
    private static void MountSys(string root, ContainerSpec spec)
    {
        string sys = KernelFileSystemDir(root, "sys");
        var ro = (spec.Privileged ? 0 : MountFlags.ReadOnly) | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec;
        Kernel.Mount("sysfs", sys, "sysfs", ro);
        MountCgroupView(Path.Combine(sys, "fs", "cgroup"), spec.Privileged, spec.UidMappings is { Count: > 0 }, spec.CgroupName);
    }

    /// <summary>The container's view of its cgroups at <paramref name="cgroupDir"/> (read-only unless privileged):
    /// cgroup2 itself, or on v1 a tmpfs with one mount per hierarchy. Also an OCI bundle's "cgroup" mount.</summary>
    internal static void MountCgroupView(string cgroupDir, bool privileged, bool userns, string cgroupName)
    {
        var ro = (privileged ? 0 : MountFlags.ReadOnly) | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec;
        Directory.CreateDirectory(cgroupDir);
        var hierarchies = CgroupMounts.Read();
        if (hierarchies.Unified)
        {
            Kernel.Mount("cgroup2", cgroupDir, "cgroup2", ro);
            return;
        }
        // cgroup v1: a tmpfs with one directory per hierarchy, each mounted read-only; the cgroup namespace
        // makes each show our own cgroup as its root.
        Kernel.Mount("tmpfs", cgroupDir, "tmpfs", MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec, "mode=755");
        foreach (var (name, options) in hierarchies.V1)
        {
            string target = Path.Combine(cgroupDir, name);
            if (!userns)
            {
                Directory.CreateDirectory(target);
                Kernel.Mount("cgroup", target, "cgroup", ro, options);
                continue;
            }
            // v1 cgroupfs cannot be mounted inside a user namespace: bind our own cgroup directory instead
            // (hierarchies we do not use have none, and are left out).
            string own = Path.Combine("/sys/fs/cgroup", name, cgroupName);
            if (!Directory.Exists(own)) continue;
            Directory.CreateDirectory(target);
            Kernel.BindMount(own, target);
            if (!privileged) Kernel.RemountReadOnly(target, MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec);
        }
        if (!privileged) Kernel.RemountReadOnly(cgroupDir, MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec);
    }

    /// <summary>/etc/hostname, /etc/hosts and /etc/resolv.conf are the runtime's: bind-mount our copies over the image's.</summary>
    /// <remarks>This runs before pivot_root, where an absolute symlink means the host's tree: an image whose /etc is a
    /// link to a host directory made us create these three files there. Each path is therefore resolved inside the
    /// rootfs (SecureJoin), and a missing mount target is created with O_EXCL | O_NOFOLLOW.</remarks>
    private static void MountEtcFiles(ContainerSpec spec, string root)
    {
        foreach (var (source, name) in new[] { (spec.HostnamePath, "hostname"), (spec.HostsPath, "hosts"), (spec.ResolvConfPath, "resolv.conf") })
        {
            if (source is null) continue;
            string target = SecureJoin.Resolve(root, "/etc/" + name);
            if (Kernel.LStat(target) is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                Kernel.Close(Kernel.Open(target, Kernel.O_WRONLY | Kernel.O_CREAT | Kernel.O_EXCL | Kernel.O_NOFOLLOW | Kernel.O_CLOEXEC, 0x1a4 /* 0644 */));
            }
            Kernel.BindMount(source, target);
        }
    }

    private static void MountIntoRootfs(MountSpec m, string root, Queue<int> bindClones)
    {
        // The image decides what is at the destination; a symlink there must not lead the mount out of the rootfs.
        string target = SecureJoin.Resolve(root, m.Destination);
        if (m.Type == "tmpfs")
        {
            Directory.CreateDirectory(target);
            var (flags, data) = TmpfsMountOptions.Split(m.Options, m.ReadOnly);
            Kernel.Mount("tmpfs", target, "tmpfs", flags, data);
            return;
        }
        if (Directory.Exists(m.Source)) Directory.CreateDirectory(target);
        else if (!File.Exists(target)) { Directory.CreateDirectory(Path.GetDirectoryName(target)!); File.WriteAllBytes(target, Array.Empty<byte>()); }
        if (m.Propagation is { } propagation)
        {
            // The shim's clone of the source, still a peer of the host's mount; then the propagation asked for.
            int tree = bindClones.Dequeue();
            Kernel.AttachMount(tree, target);
            Kernel.Close(tree);
            var kind = propagation.EndsWith("shared", StringComparison.Ordinal) ? MountFlags.Shared
                     : propagation.EndsWith("slave", StringComparison.Ordinal) ? MountFlags.Slave : MountFlags.Private;
            Kernel.Mount(null, target, null, kind | (propagation.StartsWith('r') ? MountFlags.Recursive : 0));
        }
        else Kernel.BindMount(m.Source, target, recursive: true);
        if (m.ReadOnly) Kernel.RemountReadOnly(target);
    }

    /// <summary>pivot_root: the overlay becomes "/", and the host's root, stacked underneath, is detached.</summary>
    internal static void PivotRoot(string newRoot)
    {
        Kernel.ChangeDirectory(newRoot);
        Kernel.PivotRoot(".", ".");          // new root and old root on the same directory: the old one is stacked below
        Kernel.Unmount(".", Kernel.MNT_DETACH); // ... and detaching "." takes the old (host) root away
        Kernel.ChangeDirectory("/");
    }

    /// <summary>After the pivot: hide the host's kernel internals in /proc and /sys (a file under /dev/null, a
    /// directory under an empty read-only tmpfs), make the rest of /proc's knobs read-only, and --read-only.</summary>
    private static void FinishRootfs(ContainerSpec spec)
    {
        HidePaths(spec.MaskedPaths, spec.ReadonlyPaths);
        if (spec.Rootfs.ReadOnly) Kernel.RemountReadOnly("/");
    }

    /// <summary>Masked paths (a file under /dev/null, a directory under an empty read-only tmpfs) and read-only paths
    /// (bound onto themselves, remounted read-only), in the new root. Paths that do not exist are skipped.</summary>
    internal static void HidePaths(IEnumerable<string> masked, IEnumerable<string> readOnly)
    {
        foreach (string p in masked)
        {
            if (Directory.Exists(p)) Kernel.Mount("tmpfs", p, "tmpfs", MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec);
            else if (File.Exists(p)) Kernel.BindMount("/dev/null", p);
        }
        foreach (string p in readOnly)
            if (Path.Exists(p)) { Kernel.BindMount(p, p, recursive: true); Kernel.RemountReadOnly(p, MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec); }
    }

    /// <summary>Where /proc, /dev or /sys is mounted: made when the image has nothing there, refused when it has
    /// anything but a directory. A mount follows symlinks, and before pivot_root an absolute one leads into the
    /// host's tree (runc refuses the same).</summary>
    private static string KernelFileSystemDir(string root, string name)
    {
        string path = Path.Combine(root, name);
        switch (Kernel.LStat(path))
        {
            case null: Directory.CreateDirectory(path); break;
            case { Kind: FileKind.Directory }: break;
            case { Kind: var kind }:
                throw new InvalidOperationException($"/{name} in the image is a {Describe(kind)}: {name} is mounted only on an ordinary directory");
        }
        return path;
    }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.SymbolicLink => "symbolic link", FileKind.RegularFile => "regular file", _ => "special file",
    };

    private static string EnsureDir(string parent, string name)
    {
        string path = Path.Combine(parent, name);
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>The host's cgroup hierarchies, read from /proc/self/mountinfo (v2 unified, or the v1 list).</summary>
public static class CgroupMounts
{
    public sealed record Info(bool Unified, List<(string Name, string Options)> V1);

    public static Info Read()
    {
        var v1 = new List<(string, string)>();
        bool unified = false;
        foreach (MountInfoEntry m in MountInfo.Parse(File.ReadAllText("/proc/self/mountinfo")))
        {
            if (m.FsType == "cgroup2" && m.MountPoint == "/sys/fs/cgroup") unified = true;
            if (m.FsType == "cgroup" && m.MountPoint.StartsWith("/sys/fs/cgroup/", StringComparison.Ordinal))
                v1.Add((m.MountPoint["/sys/fs/cgroup/".Length..], string.Join(',', m.SuperOptions.Where(o => o is not ("rw" or "ro")))));
        }
        return new Info(unified, v1);
    }
}
