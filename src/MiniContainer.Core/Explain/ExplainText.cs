using System.Globalization;
using MiniContainer.Linux;

namespace MiniContainer.Explaining;

/// <summary>
/// The words for each kind of kernel step, made from the call's real arguments (pure, so unit-tested): the sentence
/// a student reads, the shell command that does the same, and the system call as strace would show it.
/// Only called when someone listens (see <see cref="Explain"/>).
/// </summary>
public static class ExplainText
{
    // ------------------------------------------------------------------ rootfs

    public static ExplainLine RootfsDirectories(string upper, string work, string merged, string lowerDirs) => new(ExplainPhase.Rootfs,
        $"Prepare the container's overlay directories on the host: upper (everything the container writes), work (overlayfs' scratch space) and merged (where its root will appear); the image's layers stay read-only below ({lowerDirs.Split(':').Length} of them)",
        $"mkdir -p {upper} {work} {merged}",
        $"mkdir({Quote(upper)}, 0755); mkdir({Quote(work)}, 0755); mkdir({Quote(merged)}, 0755)");

    public static ExplainLine RemoveTree(string dir) => new(ExplainPhase.Rootfs,
        $"Delete the container's directory: its upper dir (everything it wrote), its logs and its state",
        $"rm -rf {dir}", $"unlinkat(…)/rmdir(…) for every file under {Quote(dir)}");

    // ------------------------------------------------------------------ mounts

    public static ExplainLine Mount(string? source, string target, string? fsType, MountFlags flags, string? data)
    {
        string syscall = $"mount({Quote(source)}, {Quote(target)}, {Quote(fsType)}, {MountFlagNames(flags)}, {Quote(data)})";
        if (fsType == "overlay")
        {
            int layers = data?.Split(',').FirstOrDefault(o => o.StartsWith("lowerdir=", StringComparison.Ordinal))?.Split(':').Length ?? 0;
            bool isVolatile = data?.Split(',').Contains("volatile") == true;
            return new(ExplainPhase.Rootfs,
                $"Stack the image's {layers} read-only layer{(layers == 1 ? "" : "s")} under the container's own writable upper dir with overlayfs; the merged view becomes the container's root" +
                (isVolatile ? " (volatile: nothing it writes is synced to disk, not even when it is unmounted at exit, since --rm deletes it right after)" : ""),
                $"mount -t overlay overlay -o {data} {target}", syscall);
        }
        if (flags.HasFlag(MountFlags.Private))
            return new(ExplainPhase.Mounts, "Make every mount in the new mount namespace private: nothing mounted from here on propagates back to the host",
                $"mount --make-rprivate {target}", syscall);
        if (flags.HasFlag(MountFlags.Remount))
            return new(ExplainPhase.Mounts, $"Make {target} read-only",
                $"mount -o remount,bind,{string.Join(',', OptionWords(flags & ~(MountFlags.Remount | MountFlags.Bind)))} {target}", syscall);
        if (flags.HasFlag(MountFlags.Bind))
        {
            string how = flags.HasFlag(MountFlags.Recursive) ? "--rbind" : "--bind";
            string sentence = source == "/dev/null" && !target.StartsWith("/dev/", StringComparison.Ordinal) && !target.Contains("/dev/null", StringComparison.Ordinal)
                ? $"Hide {target} behind /dev/null"
                : $"Bind-mount the host's {source} at {target}: the same files, seen from inside the container";
            return new(ExplainPhase.Mounts, sentence, $"mount {how} {source} {target}", syscall);
        }
        string options = string.Join(',', OptionWords(flags).Concat(data is null ? [] : [data]));
        string shell = $"mount -t {fsType}{(options.Length > 0 ? " -o " + options : "")} {source} {target}";
        return new(ExplainPhase.Mounts, MountSentence(fsType, target, flags), shell, syscall);
    }

    private static string MountSentence(string? fsType, string target, MountFlags flags) => fsType switch
    {
        "proc" => $"Mount a fresh procfs at {target}: it lists only the processes of the container's PID namespace",
        "devpts" => $"Mount a private devpts instance at {target}: the container's own terminals",
        "mqueue" => $"Mount the container's own POSIX message queue filesystem at {target}",
        "sysfs" => $"Mount sysfs at {target}{(flags.HasFlag(MountFlags.ReadOnly) ? " read-only" : "")}",
        "cgroup2" or "cgroup" => $"Mount the cgroup filesystem at {target}{(flags.HasFlag(MountFlags.ReadOnly) ? " read-only" : "")}: through the cgroup namespace the container sees its own cgroup as the root",
        "tmpfs" when flags.HasFlag(MountFlags.ReadOnly) => $"Hide {target} behind an empty read-only tmpfs",
        "tmpfs" => $"Mount a tmpfs (files in memory) at {target}",
        _ => $"Mount a {fsType} filesystem at {target}",
    };

    public static ExplainLine Unmount(string target, int flags) => new(ExplainPhase.Mounts,
        target == "." ? "Detach the old root (the host's filesystem) stacked under the new one: the container can no longer reach it"
                      : $"Detach the mount at {target}",
        $"umount {(flags == Kernel.MNT_DETACH ? "-l " : "")}{target}",
        $"umount2({Quote(target)}, {(flags == Kernel.MNT_DETACH ? "MNT_DETACH" : flags.ToString(CultureInfo.InvariantCulture))})");

    public static ExplainLine PivotRoot(string newRoot, string putOld, string cwd) => new(ExplainPhase.Mounts,
        $"Make {cwd} (the overlay) the root of the container's mount namespace; the host's root is stacked underneath it",
        $"cd {cwd} && pivot_root {newRoot} {putOld}",
        $"pivot_root({Quote(newRoot)}, {Quote(putOld)})");

    private static IEnumerable<string> OptionWords(MountFlags flags)
    {
        if (flags.HasFlag(MountFlags.ReadOnly)) yield return "ro";
        if (flags.HasFlag(MountFlags.NoSuid)) yield return "nosuid";
        if (flags.HasFlag(MountFlags.NoDev)) yield return "nodev";
        if (flags.HasFlag(MountFlags.NoExec)) yield return "noexec";
        if (flags.HasFlag(MountFlags.StrictAtime)) yield return "strictatime";
    }

    private static readonly (MountFlags Flag, string Name)[] MountFlagTable =
    [
        (MountFlags.ReadOnly, "MS_RDONLY"), (MountFlags.NoSuid, "MS_NOSUID"), (MountFlags.NoDev, "MS_NODEV"),
        (MountFlags.NoExec, "MS_NOEXEC"), (MountFlags.Remount, "MS_REMOUNT"), (MountFlags.Bind, "MS_BIND"),
        (MountFlags.Recursive, "MS_REC"), (MountFlags.Private, "MS_PRIVATE"), (MountFlags.Slave, "MS_SLAVE"),
        (MountFlags.StrictAtime, "MS_STRICTATIME"),
    ];

    public static string MountFlagNames(MountFlags flags)
    {
        var names = MountFlagTable.Where(f => flags.HasFlag(f.Flag)).Select(f => f.Name).ToList();
        return names.Count == 0 ? "0" : string.Join('|', names);
    }

    // ------------------------------------------------------------------ namespaces

    private static readonly (Namespace Flag, string Name, string UnshareOption)[] NamespaceTable =
    [
        (Namespace.User, "CLONE_NEWUSER", "--user"), (Namespace.Pid, "CLONE_NEWPID", "--pid"), (Namespace.Mount, "CLONE_NEWNS", "--mount"),
        (Namespace.Uts, "CLONE_NEWUTS", "--uts"), (Namespace.Ipc, "CLONE_NEWIPC", "--ipc"), (Namespace.Net, "CLONE_NEWNET", "--net"),
        (Namespace.Cgroup, "CLONE_NEWCGROUP", "--cgroup"),
    ];

    public static string CloneFlagNames(Namespace namespaces) =>
        string.Join('|', NamespaceTable.Where(n => namespaces.HasFlag(n.Flag)).Select(n => n.Name));

    public static ExplainLine Clone(Namespace namespaces, long pid, bool intoCgroup = false)
    {
        var kinds = NamespaceTable.Where(n => namespaces.HasFlag(n.Flag)).ToList();
        string words = string.Join(", ", kinds.Select(n => n.UnshareOption[2..]));
        string flags = CloneFlagNames(namespaces);
        return intoCgroup
            ? new(ExplainPhase.Namespaces,
                $"Create the container's first process (host pid {pid}) straight into new namespaces ({words}) and born in its cgroup: inside, it is PID 1",
                $"unshare {string.Join(' ', kinds.Select(n => n.UnshareOption))} --fork minicontainer-shim init BUNDLE   # run from a shell already in the cgroup",
                $"clone3({{flags={flags}{(kinds.Count > 0 ? "|" : "")}CLONE_INTO_CGROUP, exit_signal=SIGCHLD, cgroup=fd}}) = {pid}")
            : new(ExplainPhase.Namespaces,
                $"Create the container's first process (host pid {pid}) straight into new namespaces ({words}): inside, it is PID 1",
                $"unshare {string.Join(' ', kinds.Select(n => n.UnshareOption))} --fork minicontainer-shim init BUNDLE",
                $"clone({flags}{(kinds.Count > 0 ? "|" : "")}SIGCHLD) = {pid}");
    }

    public static ExplainLine JoinAndFork(IReadOnlyList<Namespace> kinds, long pid, bool intoCgroup = false)
    {
        string Setns(Namespace k) => $"setns(fd, {NamespaceTable.FirstOrDefault(n => n.Flag == k).Name})";
        string names = string.Join(", ", kinds.Select(k => k.ToString().ToLowerInvariant()));
        string nsenter = $"nsenter --target PID1 {string.Join(' ', kinds.Select(k => "--" + NsenterOption(k)))} --";
        return intoCgroup
            ? new(ExplainPhase.Namespaces,
                $"Start a process inside the running container (host pid {pid}): a child joins its namespaces ({names}), then forks once more so the grandchild is inside its PID namespace, born in the container's cgroup (it joins the cgroup namespace after its birth)",
                nsenter,
                $"clone(SIGCHLD); {string.Join("; ", kinds.Where(k => k != Namespace.Cgroup).Select(Setns))}; clone3({{flags=CLONE_PARENT|CLONE_INTO_CGROUP, cgroup=fd}}) = {pid}; {Setns(Namespace.Cgroup)}")
            : new(ExplainPhase.Namespaces,
                $"Start a process inside the running container (host pid {pid}): a child joins its namespaces ({names}), then forks once more so the grandchild is inside its PID namespace",
                nsenter,
                $"clone(SIGCHLD); {string.Join("; ", kinds.Select(Setns))}; clone(CLONE_PARENT|SIGCHLD) = {pid}");
    }

    public static ExplainLine IdMap(string path, string text) => new(ExplainPhase.Namespaces,
        $"Map ids of the container's user namespace to host ids ({text.Trim().Replace('\n', ';')}: inside id, host id, count): root inside is an unprivileged id outside",
        $"echo '{text.Trim()}' > {path}",
        $"openat(AT_FDCWD, {Quote(path)}, O_WRONLY); write(fd, {Quote(text.Replace("\n", "\\n"))}, {text.Length})");

    public static ExplainLine Unshare(int flags, string what) => new(ExplainPhase.Namespaces,
        flags == (int)Namespace.Cgroup
            ? "Enter a new cgroup namespace rooted at the container's cgroup: /proc/self/cgroup reads \"0::/\" inside"
            : $"Give this process its own copy of {what}",
        flags == (int)Namespace.Cgroup ? "unshare --cgroup" : $"unshare ({what})",
        $"unshare({what})");

    public static ExplainLine Setns(Namespace kind, string? path) => new(ExplainPhase.Namespaces,
        path is null ? $"Go back to the host's {kind.ToString().ToLowerInvariant()} namespace (what was opened inside stays bound to the container's)"
                     : $"Join the {kind.ToString().ToLowerInvariant()} namespace of {path}",
        $"nsenter --{NsenterOption(kind)}={path ?? "/proc/1/ns/" + NsenterOption(kind).Replace("mount", "mnt")}",
        $"setns(fd, {NamespaceTable.FirstOrDefault(n => n.Flag == kind).Name ?? kind.ToString()})");

    private static string NsenterOption(Namespace kind) => kind switch
    {
        Namespace.Mount => "mount", Namespace.Net => "net", Namespace.Pid => "pid", Namespace.Uts => "uts",
        Namespace.Ipc => "ipc", Namespace.User => "user", Namespace.Cgroup => "cgroup", _ => kind.ToString().ToLowerInvariant(),
    };

    public static ExplainLine SetHostname(string name) => new(ExplainPhase.Namespaces,
        $"Set the hostname of the container's UTS namespace to {name} (the host's is unchanged)",
        $"hostname {name}", $"sethostname({Quote(name)}, {name.Length})");

    // ------------------------------------------------------------------ cgroups

    public static ExplainLine CgroupCreate(string dir) => new(ExplainPhase.Cgroup,
        $"Create the cgroup {dir}: a directory in cgroupfs, whose files hold the limits of the processes inside",
        $"mkdir {dir}", $"mkdir({Quote(dir)}, 0755)");

    public static ExplainLine CgroupRemove(string dir) => new(ExplainPhase.Cgroup,
        $"Remove the cgroup {dir} (its control files go with it)", $"rmdir {dir}", $"rmdir({Quote(dir)})");

    public static ExplainLine CgroupWrite(string path, string value) => new(ExplainPhase.Cgroup,
        CgroupWriteSentence(Path.GetFileName(path), value),
        $"echo {ShellWord(value)} > {path}",
        $"openat(AT_FDCWD, {Quote(path)}, O_WRONLY|O_TRUNC); write(fd, {Quote(value)}, {value.Length})");

    private static string CgroupWriteSentence(string file, string value)
    {
        bool max = value == "max" || value == "-1";
        string bytes = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0 ? $"{value} bytes ({Human(n)})" : value;
        return file switch
        {
            "memory.max" or "memory.limit_in_bytes" => max ? "No memory limit" : $"Limit the container's memory to {bytes}: past it the kernel reclaims, then the OOM killer ends a process inside",
            "memory.swap.max" => $"Limit the swap the container may use to {bytes}",
            "memory.memsw.limit_in_bytes" => $"Limit memory plus swap to {bytes}",
            "pids.max" => max ? "No limit on the number of processes" : $"Allow at most {value} processes and threads in the container (a fork bomb stops there)",
            "cpu.max" => $"CPU bandwidth: quota and period in microseconds ({value})",
            "cpu.cfs_quota_us" => $"CPU quota per period: {value} µs",
            "cpu.cfs_period_us" => $"CPU period: {value} µs",
            "cpu.weight" or "cpu.shares" => $"CPU weight relative to other cgroups: {value}",
            "cgroup.procs" or "tasks" => $"Move process {value} into the cgroup: it and every child it makes are now under its limits",
            "cgroup.subtree_control" => $"Enable controllers for the cgroups below ({value})",
            "cgroup.kill" => "Kill every process in the cgroup at once",
            "cgroup.freeze" => value == "1" ? "Freeze every process in the cgroup" : "Thaw the cgroup",
            _ => $"Set {file} to {value}",
        };
    }

    // ------------------------------------------------------------------ security and exec

    public static ExplainLine CapabilityDrop(IReadOnlyList<string> dropped, IReadOnlyList<string> kept) => new(ExplainPhase.Security,
        $"Drop {dropped.Count} capabilities from the bounding set: root in the container keeps only {kept.Count} ({string.Join(", ", kept)})",
        $"capsh --drop={string.Join(',', dropped.Select(c => "cap_" + c.ToLowerInvariant()))} --",
        $"prctl(PR_CAPBSET_DROP, CAP_…) × {dropped.Count}");

    public static ExplainLine NoNewPrivileges() => new(ExplainPhase.Security,
        "Set no_new_privs: setuid programs and file capabilities can never grant more privileges from here on",
        "setpriv --no-new-privs", "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)");

    public static ExplainLine Seccomp(int instructions) => new(ExplainPhase.Security,
        $"Install the seccomp filter ({instructions} BPF instructions, Docker's default profile for this container's capabilities): system calls it does not allow fail with EPERM, for this process and every child, for good",
        $"# no shell command: a BPF program of {instructions} instructions checks every system call's number and arguments",
        $"seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, {{len={instructions}, filter=…}})");

    public static ExplainLine SwitchUser(uint uid, uint gid, uint[] groups) => new(ExplainPhase.Security,
        uid == 0 ? "Run as root of the container (uid 0, gid 0), with the capabilities left in the bounding set"
                  : $"Become uid {uid}, gid {gid}: no capabilities are left",
        $"setpriv --reuid={uid} --regid={gid} {(groups.Length == 0 ? "--clear-groups" : "--groups=" + string.Join(',', groups))}",
        $"setgroups({groups.Length}, [{string.Join(", ", groups)}]); setgid({gid}); setuid({uid})");

    public static ExplainLine Execute(string program, IReadOnlyList<string> argv) => new(ExplainPhase.Exec,
        $"Replace the init stage with {program}: same PID, same namespaces and cgroup, the container's program from here on",
        $"exec {string.Join(' ', argv.Select(ShellWord))}",
        $"execve({Quote(program)}, [{string.Join(", ", argv.Select(a => Quote(a)))}], envp)");

    // ------------------------------------------------------------------ helpers

    public static string Quote(string? s) => s is null ? "NULL" : "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>A word as a shell would need it: bare when safe, in single quotes otherwise.</summary>
    public static string ShellWord(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    public static string Human(long bytes) =>
        bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? $"{bytes >> 30} GiB"
        : bytes >= 1L << 20 && bytes % (1L << 20) == 0 ? $"{bytes >> 20} MiB"
        : bytes >= 1L << 10 && bytes % (1L << 10) == 0 ? $"{bytes >> 10} KiB"
        : $"{bytes} bytes";
}

/// <summary>The rarer steps: loopback, id-mapped layer mounts, the device cgroup program.</summary>
public static class ExplainTextMore
{
    public static ExplainLine LoopbackUp() => new(ExplainPhase.Network,
        "Bring up the loopback interface of the container's network namespace (127.0.0.1 inside is its own)",
        "ip link set lo up", "ioctl(sock, SIOCSIFFLAGS, {ifr_name=\"lo\", ifr_flags|=IFF_UP})");

    public static ExplainLine DetachedMount(string fsType) => new(ExplainPhase.Rootfs,
        $"Build a new {fsType} mount that is not attached anywhere yet", $"# no shell command: fsopen/fsmount make a mount as an fd",
        $"fsopen({ExplainText.Quote(fsType)}, FSOPEN_CLOEXEC); fsconfig(…); fsmount(fd, FSMOUNT_CLOEXEC, 0)");

    public static ExplainLine CloneMountTree(string path, bool recursive) => new(ExplainPhase.Rootfs,
        $"Take a detached copy of the mount at {path}{(recursive ? " and the mounts below it" : "")}",
        $"# like mount --{(recursive ? "rbind" : "bind")} {path} …, but not attached yet",
        $"open_tree(AT_FDCWD, {ExplainText.Quote(path)}, OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC{(recursive ? "|AT_RECURSIVE" : "")})");

    public static ExplainLine IdmapMount() => new(ExplainPhase.Rootfs,
        "Make the detached layer mount show its files' owners through the container's uid map (root on disk is root inside)",
        "mount --bind -o X-mount.idmap=… (util-linux ≥ 2.39)", "mount_setattr(fd, \"\", AT_EMPTY_PATH, {attr_set=MOUNT_ATTR_IDMAP, userns_fd}, …)");

    public static ExplainLine AttachMount(string target) => new(ExplainPhase.Rootfs,
        $"Attach the prepared mount at {target}", "# no shell command: move_mount attaches an fd", $"move_mount(fd, \"\", AT_FDCWD, {ExplainText.Quote(target)}, MOVE_MOUNT_F_EMPTY_PATH)");

    public static ExplainLine BpfLoad(string name, int instructions) => new(ExplainPhase.Cgroup,
        $"Load the device filter {name} ({instructions} eBPF instructions) through the kernel's verifier",
        "# no shell command: bpftool prog load can do it from an object file",
        $"bpf(BPF_PROG_LOAD, {{prog_type=BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt={instructions}, prog_name={ExplainText.Quote(name)}}}, …)");

    public static ExplainLine BpfAttach(string cgroup, uint flags) => new(ExplainPhase.Cgroup,
        $"Attach the device filter to the cgroup {cgroup}: which device nodes its processes may open",
        $"bpftool cgroup attach {cgroup} device pinned …",
        $"bpf(BPF_PROG_ATTACH, {{target_fd=cgroup, attach_type=BPF_CGROUP_DEVICE, attach_flags={flags}}}, …)");
}
