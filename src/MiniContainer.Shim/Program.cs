using MiniContainer.Shim;

// minicontainer-shim: one small Native AOT program with several roles (see docs/design.md §1–2).
//   run BUNDLE            the shim of a container: clone into new namespaces, then supervise
//   warm                  a container's shim started ahead of time: clone now, then "run BUNDLE" on stdin (cgroup v1)
//   warm-exec             an exec's shim started ahead of time: "exec EXECSPEC" on stdin, then as exec
//   exec EXECSPEC         the shim of one `exec`: join the container's namespaces, then supervise
//   init BUNDLE           (inside the new namespaces) build the rootfs and become the command
//   init-warm             (a warm shim's) wait for the stdio and the bundle, then as init
//   exec-init PID JSON    (inside the container's namespaces) join its mounts and become the command
// The same sources, with Oci/, also make minicontainer-runc, the OCI runtime (src/MiniContainer.Runc, docs/oci-runtime.md).
return args switch
{
    ["run", var bundle] => Shims.RunContainer(bundle),
    ["warm"] => Shims.RunWarm(),
    ["warm-exec"] => Shims.RunWarmExec(),
    ["exec", var spec] => Shims.RunExec(spec),
    ["init", var bundle] => InitStage.Run(bundle),
    ["init-warm"] => InitStage.RunWarm(),
    ["exec-init", var pid, var json] => ExecInit.Run(int.Parse(pid), json),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("minicontainer-shim is started by minicontainerd; it is not meant to be run by hand.\n" +
                            "usage: minicontainer-shim run BUNDLE | exec EXECSPEC");
    return 2;
}
