namespace MiniContainer.Linux;

/// <summary>
/// Making a socket that lives in another network namespace (a container's) from the daemon. How: a dedicated thread
/// joins that namespace with setns(CLONE_NEWNET), runs the given function (which must only make sockets: socket,
/// bind, listen — nothing that starts threads, which would be born in the container's namespace), and goes back.
/// Rules that bite here: setns moves only the calling THREAD, so no other thread of the daemon ever runs in the
/// container's namespace; joining a network namespace is allowed in a multithreaded process (a user or mount
/// namespace would not be); and a socket stays bound to the namespace it was created in after the thread leaves it.
/// If going back failed, the thread ends anyway, so its namespace dies with it.
/// </summary>
public static class NetNamespace
{
    public static T Create<T>(string nsPath, Func<T> create)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            int target = -1, home = -1;
            try
            {
                home = Kernel.Open("/proc/thread-self/ns/net", Kernel.O_RDONLY | Kernel.O_CLOEXEC);
                target = Kernel.Open(nsPath, Kernel.O_RDONLY | Kernel.O_CLOEXEC);
                Kernel.JoinNamespace(target, Namespace.Net, nsPath);
                try { result = create(); }
                finally { Kernel.JoinNamespace(home, Namespace.Net, backHome: true); }
            }
            catch (Exception e) { error = e; }
            finally { Kernel.Close(target); Kernel.Close(home); }
        }) { Name = "netns-socket", IsBackground = true };
        thread.Start();
        thread.Join();
        if (error != null) throw new IOException($"in network namespace {nsPath}: {error.Message}", error);
        return result;
    }
}
