using MiniContainer.Security.Seccomp;

namespace MiniContainer.Storage;

/// <summary>
/// overlayfs's "volatile" mount option (Linux 5.10 and later): the overlay never syncs its upper filesystem — not for
/// fsync, not for syncfs, and not when it is unmounted.
///
/// Without it, the unmount that comes with a container's exit (its mount namespace dies with its PID 1) calls syncfs on
/// the filesystem under the upper dir: PID 1 stays in the kernel, and the shim cannot reap it, until every dirty file of
/// that whole filesystem is written out and its journal committed. A `run --rm … true` spent 2 to 18 ms there on this
/// project's test machine.
///
/// Only a --rm container is mounted this way (podman does the same; CRI-O mounts every container so). Its upper dir is
/// deleted as soon as it exits, so nothing it wrote was ever going to outlive it: skipping the sync loses no promise.
/// What it costs: after a crash of the host, the upper dir cannot be trusted. The kernel marks it so — it creates
/// work/incompat/volatile in the work dir and refuses to mount that upper dir again while the mark is there. The daemon
/// removes the mark only for a mount this daemon process made (the host did not crash since), and removes an --rm
/// container that was not running when the daemon started, as dockerd does.
/// </summary>
public static class OverlayVolatile
{
    /// <summary>Whether this kernel knows the option (it came in Linux 5.10).</summary>
    public static bool Supported => SeccompCompiler.RunningKernel >= new Version(5, 10);

    /// <summary>The mark a volatile mount leaves in its work dir: present, the upper dir cannot be mounted.</summary>
    public static string MarkIn(string workDir) => Path.Combine(workDir, "work", "incompat", "volatile");
}
