using MiniContainer.Shim;
using MiniContainer.Shim.Oci;

// minicontainer-runc: the OCI runtime command line (create, start, state, kill, delete, run, exec, …; see
// RuncCommand), and the two stages it starts itself again as, inside a container's namespaces:
//   oci-init STATEDIR     build the bundle's root, wait for `start`, become the command
//   exec-init PID JSON    join the container's mounts and become an `exec`'s command (the shim's ExecInit)
if (args is ["oci-init", var stateDir]) return OciInit.Run(stateDir);
// exec-init, as the daemon's exec uses it, plus --preserve-fds: only 0-2 and the preserved descriptors go in.
if (args is ["exec-init", var target, var process])
    return ExecInit.Run(int.Parse(target), process, OciPreservedFds.TakeSyncFd(), OciPreservedFds.CloseTheRestOnExec);
return RuncCommand.Run(args);
