using System.Runtime.InteropServices;
using System.Text;

namespace MiniContainer.Linux;

/// <summary>
/// A thread made with pthread_create(3), for a shim's few long-lived threads: the control socket's listener, one per
/// attached client, one per output pipe.
///
/// Why not System.Threading.Thread: on Native AOT, Thread.Start waits for the new thread to begin by calling
/// sched_yield(2) in a loop. On two busy cores the new thread often waits for the other core, and the loop runs on:
/// perf counted ~320 yields (~0.5 ms of a whole core) for each client the daemon connects to a shim, and the daemon
/// waits for that client's reply before it releases the container. Here the caller goes on at once. The new thread
/// joins the .NET runtime when it first runs managed code, as any native thread that calls into .NET does.
/// </summary>
public sealed unsafe class PosixThread
{
    private readonly string _name;
    private readonly Action _body;
    private readonly ManualResetEventSlim _ended = new(false);

    private PosixThread(string name, Action body) { _name = name; _body = body; }

    /// <summary>Starts body on a new, detached thread named name (at most 15 bytes show in /proc/PID/task/*/comm).</summary>
    public static PosixThread Start(string name, Action body)
    {
        var thread = new PosixThread(name, body);
        var self = GCHandle.Alloc(thread);
        nuint id;
        int error = Libc.pthread_create(&id, null, &Run, GCHandle.ToIntPtr(self));
        if (error != 0)
        {
            self.Free();
            throw new KernelException($"pthread_create({name})", error);
        }
        Libc.pthread_detach(id);   // nobody joins it with pthread_join: its stack is freed when it ends
        return thread;
    }

    /// <summary>Whether the thread's body has returned within the timeout.</summary>
    public bool Join(TimeSpan timeout) => _ended.Wait(timeout);

    [UnmanagedCallersOnly]
    private static nint Run(nint state)
    {
        var self = GCHandle.FromIntPtr(state);
        var thread = (PosixThread)self.Target!;
        self.Free();
        SetOwnName(thread._name);
        try { thread._body(); }
        // What an unhandled exception on a .NET thread does, said with the thread's name: nothing may unwind into C.
        catch (Exception e) { Environment.FailFast($"unhandled exception on thread '{thread._name}'", e); }
        finally { thread._ended.Set(); }
        return 0;
    }

    /// <summary>prctl(PR_SET_NAME): the calling thread's name, as ps and top show it.</summary>
    private static void SetOwnName(string name)
    {
        byte* buffer = stackalloc byte[16];
        int length = Encoding.UTF8.GetBytes(name.AsSpan(0, Math.Min(name.Length, 15)), new Span<byte>(buffer, 15));
        buffer[length] = 0;
        Libc.prctl(Kernel.PR_SET_NAME, (nuint)buffer, 0, 0, 0);
    }
}
