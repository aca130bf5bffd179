using System.Runtime.InteropServices;
using System.Text;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim;


/// <summary>
/// The last steps before the user's program runs, shared by a container's init and by exec:
/// terminal → user → working directory → capabilities → no_new_privs → uid/gid → find the program → seccomp → execve
/// (or, with --init, fork it and stay behind as a reaping PID 1).
/// </summary>
public static unsafe class ProcessStarter
{
    /// <param name="awaitStart">minicontainer-runc's two-phase start: called when everything but seccomp and execve is
    /// done (the program is found, the user switched), and returns when `start` releases the process.</param>
    public static void Exec(ProcessSpec p, SyncChannel sync, bool dropCapabilities, Action? awaitStart = null)
    {
        if (p.Terminal) AttachTerminal(sync, p.ConsoleRows, p.ConsoleCols);
        else Kernel.NewSession();

        string? groupFile = ReadIfExists("/etc/group");
        var user = UserLookup.AddGroups(UserLookup.Resolve(p.User, ReadIfExists("/etc/passwd"), groupFile), p.GroupAdd, groupFile);
        if (p.ExactGroups is { } exact) user = user with { Groups = exact.ToArray() };
        var env = new List<string>(p.Env);
        if (!env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal))) env.Add("PATH=" + CommandLookup.DefaultPath);
        if (!env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal))) env.Add("HOME=" + user.Home);

        string cwd = string.IsNullOrEmpty(p.Cwd) ? "/" : p.Cwd;
        Directory.CreateDirectory(cwd);       // Docker creates a missing working directory
        Kernel.ChangeDirectory(cwd);

        foreach (var limit in p.Rlimits ?? []) Kernel.SetResourceLimit(limit.Resource, limit.Soft, limit.Hard);
        if (p.Capabilities is { } sets) Capabilities.DropFromBoundingSet(sets.Bounding.ToHashSet());
        else if (dropCapabilities) Capabilities.DropFromBoundingSet(CapabilitySet.Effective(p.CapAdd, p.CapDrop));
        if (p.NoNewPrivileges) Kernel.SetNoNewPrivileges();
        // Without no_new_privs, installing a seccomp filter takes CAP_SYS_ADMIN, which the switch to a non-root
        // user takes away: then the filter goes in just before the switch (the profile allows what follows).
        // An OCI bundle's explicit sets keep the permitted set across the switch and are applied last, after the
        // filter (see below): nothing of ours but a few raw calls runs under it — a thread the runtime started
        // under a filter without rseq would make glibc abort.
        bool filterBeforeSwitch = p.SeccompFilter != null && !p.NoNewPrivileges && user.Uid != 0 && p.Capabilities is null;
        if (filterBeforeSwitch) Kernel.InstallSeccompFilter(p.SeccompFilter);
        if (p.Capabilities is not null) Kernel.KeepCapabilitiesAcrossSetuid();
        Kernel.SwitchUser(user.Uid, user.Gid, user.Groups);

        if (p.Args.Count == 0) throw new CommandLookup.LookupException(125, "no command specified");
        string program = CommandLookup.Resolve(p.Args[0], env, ExecutableProblem);

        if (p.Init)
        {
            if (p.SeccompFilter != null && !filterBeforeSwitch) Kernel.InstallSeccompFilter(p.SeccompFilter);
            if (p.Capabilities is { } initSets) Capabilities.SetProcessSets(initSets);
            Reaper.Run(program, p.Args, env, sync);
            return;
        }
        awaitStart?.Invoke();
        sync.CloseOnExec();
        ForkSafe.ResetSignals();
        // The seccomp filter is the last step before execve: nothing of ours runs under it but execve itself
        // (and, for explicit capability sets, capset and prctl: the same order as runc's).
        if (p.Capabilities is not null && p.SeccompFilter != null && !p.NoNewPrivileges) Capabilities.RaiseEffectiveToPermitted();
        if (p.SeccompFilter != null && !filterBeforeSwitch) Kernel.InstallSeccompFilter(p.SeccompFilter);
        if (p.Capabilities is { } explicitSets) Capabilities.SetProcessSets(explicitSets);
        try { Kernel.Execute(program, p.Args, env); }
        catch (KernelException e) when (e.Errno == 13) { throw new CommandLookup.LookupException(126, $"exec: \"{p.Args[0]}\": permission denied"); }
        catch (KernelException e) when (e.Errno == 2) { throw new CommandLookup.LookupException(127, $"exec: \"{p.Args[0]}\": stat {program}: no such file or directory"); }
    }

    /// <summary>Why path cannot be executed, or null if it can.</summary>
    private static string? ExecutableProblem(string path)
    {
        if (Directory.Exists(path)) return "is a directory";
        if (!File.Exists(path)) return "no such file or directory";
        if (Kernel.CanExecute(path)) return null;
        return "permission denied";
    }

    /// <summary>
    /// A real terminal inside the container: open the container's own /dev/ptmx (its private devpts),
    /// give the master end to the shim, and make the slave our controlling terminal and stdio.
    /// </summary>
    private static void AttachTerminal(SyncChannel sync, ushort rows, ushort cols)
    {
        int master = Kernel.Open("/dev/ptmx", Kernel.O_RDWR | Kernel.O_NOCTTY | Kernel.O_CLOEXEC);
        int unlock = 0, number = 0;
        Kernel.Ioctl(master, Kernel.TIOCSPTLCK, &unlock, "TIOCSPTLCK (unlockpt)");
        Kernel.Ioctl(master, Kernel.TIOCGPTN, &number, "TIOCGPTN (ptsname)");
        int slave = Kernel.Open($"/dev/pts/{number}", Kernel.O_RDWR | Kernel.O_NOCTTY);
        if (rows > 0 && cols > 0) Kernel.SetWindowSize(slave, rows, cols);
        sync.SendTerminal(master);
        Kernel.Close(master);
        Kernel.NewSession();
        Kernel.IoctlInt(slave, Kernel.TIOCSCTTY, 0, "TIOCSCTTY");
        for (int std = 0; std <= 2; std++) Kernel.Check(ForkSafe.Dup3(slave, std, 0), $"dup3(pty, {std})");
        if (slave > 2) Kernel.Close(slave);
    }

    private static string? ReadIfExists(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path) : null; }
        catch (IOException) { return null; }
    }
}

/// <summary>
/// --init: PID 1 of a PID namespace must reap orphans, and the kernel gives PID 1 no default signal
/// handlers. So PID 1 stays this small reaper: it forks the command, forwards signals to it, reaps every
/// child that gets re-parented to it, and exits with the command's status.
/// </summary>
public static unsafe class Reaper
{
    private static readonly int[] ForwardedSignals = { 1, 2, 3, 10, 12, 15, 28 }; // HUP INT QUIT USR1 USR2 TERM WINCH

    public static void Run(string program, IReadOnlyList<string> argv, IReadOnlyList<string> env, SyncChannel sync)
    {
        sync.CloseOnExec();
        using var nativeArgv = new NativeStringArray(argv);
        using var nativeEnv = new NativeStringArray(env);
        byte* path = NativeString.Alloc(program);
        byte** a = nativeArgv.Pointer, e = nativeEnv.Pointer;
        int syncFd = sync.Descriptor;
        long child = ForkSafe.CloneProcess(17 /* SIGCHLD */);
        if (child == 0)
        {
            ForkSafe.ResetSignals();
            ForkSafe.Execve(path, a, e);
            ForkSafe.Exit(127);
        }
        if (child < 0) throw new KernelException("clone(SIGCHLD)", *ForkSafe.ErrnoLocation());
        Kernel.Close(syncFd); // the command is running: the shim sees end of stream

        int mainPid = (int)child;
        var registrations = ForwardedSignals
            .Select(sig => PosixSignalRegistration.Create((PosixSignal)sig, ctx => { ctx.Cancel = true; Kernel.Kill(mainPid, sig); }))
            .ToList();
        while (true)
        {
            var ended = Kernel.WaitChild(-1);
            if (ended is null) Environment.Exit(0);
            if (ended.Value.Pid == mainPid) Environment.Exit(ended.Value.Status.DockerExitCode);
        }
    }
}
