using System.Text.Json;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// minicontainer-runc's init stage: the same role as <see cref="InitStage"/> (PID 1 in the new namespaces, started
/// by the clone child as `minicontainer-runc oci-init STATEDIR`), with the root and mounts an OCI bundle describes
/// instead of an overlay, and one step more: held before execve until `start`.
///
///   WaitForGo → cgroup namespace → "/" rslave → rootfs bound onto itself → config mounts → default /dev nodes →
///   linux.devices → createContainer hooks → PivotRoot → sysctl → masked/readonly paths → read-only root →
///   rootfs propagation → hostname → ProcessStarter.Exec (user, caps, rlimits, seccomp) with, before its execve,
///   'R' to `create` and a blocking open of exec.fifo that `start` releases → startContainer hooks → execve
///
/// The shared pieces (PivotRoot, HidePaths, the standard device nodes, the cgroup view, ContainerDevices,
/// ProcessStarter) are the daemon's containers' own.
/// </summary>
public static class OciInit
{
    public static int Run(string stateDir)
    {
        var sync = new SyncChannel(OciPreservedFds.TakeSyncFd());
        bool held = false;
        try
        {
            sync.WaitForGo();
            var record = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(stateDir, "state.json")), OciJson.Default.OciRecord)!;
            var bundle = OciBundle.Load(record.Bundle);
            var config = bundle.Config;
            string createdState = OciStateStore.HookState(record, "created");
            // The FIFO by an O_PATH descriptor: after pivot_root its path is out of reach, /proc/self/fd/N is not.
            int fifo = Kernel.Open(Path.Combine(stateDir, OciStateStore.FifoName), Kernel.O_PATH | Kernel.O_CLOEXEC);

            if (bundle.NewNamespaces.HasFlag(Namespace.Cgroup)) Kernel.Unshare((int)Namespace.Cgroup, "CLONE_NEWCGROUP");

            string rootfs = bundle.RootfsPath;
            // Nothing we mount may propagate back to the host; host mount events still reach us (runc's default).
            Kernel.Mount(null, "/", null, MountFlags.Slave | MountFlags.Recursive);
            Kernel.BindMount(rootfs, rootfs, recursive: true);   // pivot_root needs the new root to be a mount point
            bool devBound = false;
            foreach (var m in config.Mounts ?? [])
                devBound |= MountOne(m, bundle, rootfs, record.CgroupName) && m.Destination.TrimEnd('/') == "/dev";
            if (!devBound)
            {
                // runtime-spec's default devices, whether or not the bundle mounts a tmpfs at /dev.
                string dev = Path.Combine(rootfs, "dev");
                Directory.CreateDirectory(dev);
                InitStage.BindStandardDeviceNodes(dev);
                InitStage.LinkStandardDeviceNames(dev);
            }
            ContainerDevices.Create(new ContainerSpec { Devices = bundle.DeviceNodes, UidMappings = bundle.UidMappings }, rootfs);
            OciHookRunner.Run("createContainer", config.Hooks?.CreateContainer, createdState);

            InitStage.PivotRoot(rootfs);
            foreach (var (key, value) in config.Linux?.Sysctl ?? [])   // checked by OciBundle: namespaced ones only
                File.WriteAllText("/proc/sys/" + key.Replace('.', '/'), value);
            InitStage.HidePaths(config.Linux?.MaskedPaths ?? [], config.Linux?.ReadonlyPaths ?? []);
            if (config.Root!.Readonly) Kernel.RemountReadOnly("/");
            if (config.Linux?.RootfsPropagation is { Length: > 0 } propagation)
                Kernel.Mount(null, "/", null, OciBundle.PropagationFlags(propagation)!.Value | MountFlags.Recursive);
            if (!string.IsNullOrEmpty(config.Hostname)) Kernel.SetHostname(config.Hostname);
            if (!string.IsNullOrEmpty(config.Domainname)) File.WriteAllText("/proc/sys/kernel/domainname", config.Domainname);
            if (config.Process!.OomScoreAdj is int adj) File.WriteAllText("/proc/self/oom_score_adj", adj.ToString());
            Kernel.SetUmask(config.Process.User.Umask ?? 0x12 /* 0022 */);

            OciPreservedFds.CloseTheRestOnExec();
            ProcessStarter.Exec(bundle.Process, sync, dropCapabilities: false, awaitStart: () =>
            {
                sync.SendReady();
                held = true;
                // Blocks until `start` opens the FIFO for reading; the byte tells it we are through.
                int writer = Kernel.Open($"/proc/self/fd/{fifo}", Kernel.O_WRONLY | Kernel.O_CLOEXEC);
                Kernel.WriteAll(writer, "0"u8);
                Kernel.Close(writer);
                Kernel.Close(fifo);
                OciHookRunner.Run("startContainer", config.Hooks?.StartContainer, createdState);
            });
            return 0; // not reached
        }
        catch (Exception e)
        {
            int code = e is CommandLookup.LookupException l ? l.ExitCode : 125;
            // After 'R', `create` has gone: the only one left to tell is the container's own stderr.
            if (held) Console.Error.WriteLine($"minicontainer-runc: {e.Message}");
            return sync.Fail(code, e.Message);
        }
    }

    /// <summary>One config.json mount under the rootfs. Returns true for a bind mount.</summary>
    private static bool MountOne(OciMount m, OciBundle bundle, string rootfs, string cgroupName)
    {
        var options = OciMountOptions.Parse(m);
        string target = SecureJoin.Resolve(rootfs, m.Destination);
        string type = m.Type ?? "";
        if (options.Bind)
        {
            string source = m.Source is { } s && !s.StartsWith('/') ? Path.Combine(bundle.Directory, s) : m.Source ?? "";
            if (!Path.Exists(source)) throw new OciConfigException($"mount {m.Destination}: source {source} does not exist");
            if (Directory.Exists(source)) Directory.CreateDirectory(target);
            else if (!Path.Exists(target)) { Directory.CreateDirectory(Path.GetDirectoryName(target)!); File.WriteAllBytes(target, []); }
            Kernel.Mount(source, target, null, MountFlags.Bind | (options.Recursive ? MountFlags.Recursive : 0), options.Data.Length > 0 ? options.Data : null);
            // A bind takes its flags only from a remount of the bind.
            if (options.Flags != 0) Kernel.Mount(null, target, null, MountFlags.Remount | MountFlags.Bind | options.Flags);
        }
        else if (type is "cgroup" or "cgroup2")
        {
            InitStage.MountCgroupView(target, privileged: !options.Flags.HasFlag(MountFlags.ReadOnly),
                userns: bundle.NewNamespaces.HasFlag(Namespace.User), cgroupName);
        }
        else
        {
            Directory.CreateDirectory(target);
            Kernel.Mount(m.Source ?? type, target, type, options.Flags, options.Data.Length > 0 ? options.Data : null);
        }
        if (options.Propagation is { } propagation) Kernel.Mount(null, target, null, propagation);
        return options.Bind;
    }
}
