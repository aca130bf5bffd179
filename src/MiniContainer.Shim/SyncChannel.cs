using MiniContainer.Explaining;
using MiniContainer.Linux;
using System.Text;

namespace MiniContainer.Shim;


/// <summary>
/// The socket pair between the shim and the process it cloned (the child sees it as fd 3).
///   shim → child: 'F' + a stdio fd (SCM_RIGHTS), three of them (stdin, stdout, stderr), then 'W' + 4-byte length + the
///                 bundle directory — only to the init stage of a warm shim, which was cloned before its container was
///                 known (see Shims.RunWarm), and first
///                 'U' (user namespace only, read before the child's execve: your id maps are written)
///                 'L' + an id-mapped image layer mount fd (SCM_RIGHTS), one per layer, top first — only for
///                 a user-namespaced container
///                 'B' + a detached clone of a bind source's mount tree (SCM_RIGHTS), one per bind with shared or slave
///                 propagation, in spec order (made in the host's namespace, so it stays in the source's peer group)
///                 'P' (prepare: you are in your cgroup, your id maps are written, every fd above is sent — build the
///                 container's filesystem now, while the daemon wires the network; minicontainer-shim run only)
///                 'G' (go: you are in your cgroup, your id maps are written; the daemon has attached)
///   child → shim: 'T' + the pty master fd (SCM_RIGHTS), when a terminal was asked for
///                 'X' + 4-byte length + one explain step as JSON (only with --explain; see Explaining.Explain)
///                 'R' (minicontainer-runc only) set up and held before execve until `start` opens the exec FIFO
///                 'E' + "CODE message" then end of stream: setup failed
///                 end of stream alone: execve() succeeded (the fd was close-on-exec)
/// </summary>
public sealed class SyncChannel(int fd)
{
    public const int Fd = 3;
    public const byte StdioFd = (byte)'F', Bundle = (byte)'W';
    public const byte Go = (byte)'G', Terminal = (byte)'T', Error = (byte)'E', LayerMount = (byte)'L', ExplainStep = (byte)'X',
        BindMount = (byte)'B', Ready = (byte)'R', Prepare = (byte)'P';

    public int Descriptor => fd;

    /// <summary>Child side: block until the shim says go; returns the layer mount fds it sent (none without a user
    /// namespace) and the bind mount clones (one per bind with shared or slave propagation).</summary>
    public (List<int> Layers, Queue<int> Binds) WaitForGo()
    {
        var (layers, binds, _) = WaitForPrepareOrGo(Go);
        return (layers, binds);
    }

    /// <summary>Child side (the init stage): block until the shim says prepare — or go, from a shim that does not
    /// send prepare; <c>Go</c> says which. Returns the fds sent before it, as <see cref="WaitForGo"/>.</summary>
    public (List<int> Layers, Queue<int> Binds, bool Go) WaitForPrepare() => WaitForPrepareOrGo(Prepare);

    private (List<int> Layers, Queue<int> Binds, bool Go) WaitForPrepareOrGo(byte until)
    {
        var layers = new List<int>();
        var binds = new Queue<int>();
        while (true)
        {
            var (tag, received) = Kernel.ReceiveFd(fd);
            if (tag == Go) return (layers, binds, true);
            if (tag == until) return (layers, binds, false);
            if (tag == LayerMount && received >= 0) { layers.Add(received); continue; }
            if (tag == BindMount && received >= 0) { binds.Enqueue(received); continue; }
            throw new InvalidOperationException("the shim went away before starting us");
        }
    }

    /// <summary>Shim side (a warm shim, once it has its container): the init stage's stdin, stdout and stderr, then
    /// the bundle to read its spec from.</summary>
    public void SendContainer(IReadOnlyList<int> stdio, string bundleDir)
    {
        foreach (int stdioFd in stdio) Kernel.SendFd(fd, stdioFd, StdioFd);
        byte[] path = Encoding.UTF8.GetBytes(bundleDir);
        var message = new byte[5 + path.Length];
        message[0] = Bundle;
        BitConverter.TryWriteBytes(message.AsSpan(1, 4), path.Length);
        path.CopyTo(message, 5);
        Kernel.WriteAll(fd, message);
    }

    /// <summary>Child side (a warm shim's init stage): block until the shim has a container for us; returns the three
    /// stdio fds it sent and the bundle directory.</summary>
    public (int[] Stdio, string BundleDir) WaitForContainer()
    {
        var stdio = new List<int>();
        while (true)
        {
            var (tag, received) = Kernel.ReceiveFd(fd);
            if (tag == StdioFd && received >= 0 && stdio.Count < 3) { stdio.Add(received); continue; }
            if (tag == Bundle && stdio.Count == 3)
            {
                Span<byte> length = stackalloc byte[4];
                ReadExactly(length);
                int n = BitConverter.ToInt32(length);
                if (n is <= 0 or > 4096) throw new InvalidDataException($"a bundle path of {n} bytes from the shim");
                var path = new byte[n];
                ReadExactly(path);
                return (stdio.ToArray(), Encoding.UTF8.GetString(path));
            }
            throw new InvalidOperationException("the shim went away before it had a container for us");
        }
    }

    /// <summary>Shim side: the child's uid/gid maps are written; it may become root of its namespace and exec.</summary>
    public void SendIdMapsWritten() => Kernel.WriteAll(fd, "U"u8);

    /// <summary>Shim side: hand over one detached, id-mapped layer mount.</summary>
    public void SendLayerMount(int mountFd) => Kernel.SendFd(fd, mountFd, LayerMount);

    /// <summary>Shim side: hand over one detached clone of a bind source (see MountSpec.Propagation).</summary>
    public void SendBindMount(int mountFd) => Kernel.SendFd(fd, mountFd, BindMount);

    /// <summary>Child side: report a failure the daemon will show the user, then exit with its code.</summary>
    public int Fail(int code, string message)
    {
        try { Kernel.WriteAll(fd, Encoding.UTF8.GetBytes($"E{code} {message}")); } catch { }
        return code;
    }

    /// <summary>Child side: one --explain step for the shim to file (the channel is close-on-exec, so nothing of
    /// this stays open in the user's program).</summary>
    public void SendExplain(ExplainStep step)
    {
        byte[] json = Encoding.UTF8.GetBytes(ExplainLog.Serialize(step));
        var message = new byte[5 + json.Length];
        message[0] = ExplainStep;
        BitConverter.TryWriteBytes(message.AsSpan(1, 4), json.Length);
        json.CopyTo(message, 5);
        Kernel.WriteAll(fd, message);
    }

    /// <summary>Child side (minicontainer-runc): everything is set up; the process now waits for `start`.</summary>
    public void SendReady() => Kernel.WriteAll(fd, new[] { Ready });

    /// <summary>Child side: hand the terminal's master end to the shim.</summary>
    public void SendTerminal(int masterFd) => Kernel.SendFd(fd, masterFd, Terminal);

    /// <summary>Child side: make the channel disappear on execve, which is how the shim learns that exec worked.</summary>
    public void CloseOnExec() => Kernel.SetCloseOnExec(fd, true);

    /// <summary>Shim side: release the child.</summary>
    public void SendGo() => Kernel.WriteAll(fd, new[] { Go });

    /// <summary>Shim side: the child is in its cgroup and has every fd it needs: it may build its filesystem.</summary>
    public void SendPrepare() => Kernel.WriteAll(fd, new[] { Prepare });

    private void ReadExactly(Span<byte> buffer)
    {
        for (int done = 0; done < buffer.Length;)
        {
            int n = Kernel.Read(fd, buffer[done..]);
            if (n <= 0) throw new InvalidOperationException("the container's init stage went away mid-message");
            done += n;
        }
    }

    public sealed record Outcome(int TerminalFd, int? ErrorCode, string? ErrorMessage);

    /// <summary>Shim side: read until the child exec'd (end of stream) or failed; its explain steps go to
    /// <paramref name="explained"/> as they arrive.</summary>
    public Outcome AwaitStart(Action<ExplainStep>? explained = null)
    {
        int terminal = -1;
        ExplainStep? execve = null;
        Span<byte> length = stackalloc byte[4];
        while (true)
        {
            var (tag, received) = Kernel.ReceiveFd(fd);
            if (tag == -1)
            {
                // End of stream: the execve worked and closed the channel. Its step's duration is measured here.
                if (execve is not null) explained?.Invoke(execve with { DurationUs = (Explain.NowNs() - execve.StartNs) / 1000 });
                return new Outcome(terminal, null, null);
            }
            if (tag == Terminal && received >= 0) { terminal = received; continue; }
            if (tag == ExplainStep)
            {
                ReadExactly(length);
                var json = new byte[BitConverter.ToInt32(length)];
                ReadExactly(json);
                if (ExplainLog.Parse(Encoding.UTF8.GetString(json)) is not { } step) continue;
                if (step.DurationUs < 0) execve = step;   // announced before a call that does not return when it works
                else explained?.Invoke(step);
                continue;
            }
            if (tag == Error)
            {
                var rest = new MemoryStream();
                var buf = new byte[4096];
                int n;
                while ((n = Kernel.Read(fd, buf)) > 0) rest.Write(buf, 0, n);
                string text = Encoding.UTF8.GetString(rest.ToArray());
                int space = text.IndexOf(' ');
                int code = space > 0 && int.TryParse(text[..space], out int c) ? c : 125;
                return new Outcome(terminal, code, space > 0 ? text[(space + 1)..] : text);
            }
        }
    }
}
