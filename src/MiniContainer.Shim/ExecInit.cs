using System.Runtime.ExceptionServices;
using System.Text.Json;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim;


/// <summary>
/// `exec-init PID PROCESS-JSON`: the exec'd process, already in the container's user, IPC, UTS, network,
/// PID and cgroup namespaces (joined by the shim's raw child). It was started from the host's filesystem
/// because its own libraries live there; now it joins the container's mount namespace — which a
/// multithreaded process may only do after unshare(CLONE_FS) gives this thread its own root and cwd —
/// and becomes the requested command.
/// </summary>
public static class ExecInit
{
    /// <param name="syncFd">The sync socket: 3, unless minicontainer-runc exec moved it (OciPreservedFds).</param>
    /// <param name="beforeExec">minicontainer-runc exec: mark what must not reach the process close-on-exec.</param>
    public static int Run(int targetPid, string processJson, int syncFd = SyncChannel.Fd, Action? beforeExec = null)
    {
        var sync = new SyncChannel(syncFd);
        try
        {
            // Joining the container's mounts needs nobody's go: it is done while the shim moves us into the cgroup and
            // the daemon attaches; a failure is reported after the go, as before.
            ProcessSpec? process = null;
            ExceptionDispatchInfo? failed = null;
            try
            {
                process = JsonSerializer.Deserialize(processJson, RuntimeJson.Default.ProcessSpec)!;
                InitStage.ListenForExplain(process, sync);
                int mnt = Kernel.Open($"/proc/{targetPid}/ns/mnt", Kernel.O_RDONLY | Kernel.O_CLOEXEC);
                Kernel.Unshare(Kernel.CLONE_FS, "CLONE_FS");
                Kernel.JoinNamespace(mnt, Namespace.Mount, $"/proc/{targetPid}/ns/mnt");
                Kernel.Close(mnt);
            }
            catch (Exception e) { failed = ExceptionDispatchInfo.Capture(e); }
            sync.WaitForGo();
            failed?.Throw();
            beforeExec?.Invoke();
            ProcessStarter.Exec(process!, sync, dropCapabilities: true);
            return 0;
        }
        catch (CommandLookup.LookupException e) { return sync.Fail(e.ExitCode == 125 ? 126 : e.ExitCode, e.Message); }
        catch (Exception e) { return sync.Fail(126, e.Message); }
    }
}
