using System.Text;

namespace MiniContainer.Shim;

using Kernel = MiniContainer.Kernel.Kernel;

/// <summary>
/// The socket pair between the shim and the process it cloned (the child sees it as fd 3).
///   shim → child: 'G' (go: you are in your cgroup; the daemon has attached)
///   child → shim: 'T' + the pty master fd (SCM_RIGHTS), when a terminal was asked for
///                 'E' + "CODE message" then end of stream: setup failed
///                 end of stream alone: execve() succeeded (the fd was close-on-exec)
/// </summary>
public sealed class SyncChannel(int fd)
{
    public const int Fd = 3;
    public const byte Go = (byte)'G', Terminal = (byte)'T', Error = (byte)'E';

    public int Descriptor => fd;

    /// <summary>Child side: block until the shim says go.</summary>
    public void WaitForGo()
    {
        Span<byte> b = stackalloc byte[1];
        if (Kernel.Read(fd, b) != 1 || b[0] != Go) throw new InvalidOperationException("the shim went away before starting us");
    }

    /// <summary>Child side: report a failure the daemon will show the user, then exit with its code.</summary>
    public int Fail(int code, string message)
    {
        try { Kernel.WriteAll(fd, Encoding.UTF8.GetBytes($"E{code} {message}")); } catch { }
        return code;
    }

    /// <summary>Child side: hand the terminal's master end to the shim.</summary>
    public void SendTerminal(int masterFd) => Kernel.SendFd(fd, masterFd, Terminal);

    /// <summary>Child side: make the channel disappear on execve, which is how the shim learns that exec worked.</summary>
    public void CloseOnExec() => Kernel.SetCloseOnExec(fd, true);

    /// <summary>Shim side: release the child.</summary>
    public void SendGo() => Kernel.WriteAll(fd, new[] { Go });

    public sealed record Outcome(int TerminalFd, int? ErrorCode, string? ErrorMessage);

    /// <summary>Shim side: read until the child exec'd (end of stream) or failed.</summary>
    public Outcome AwaitStart()
    {
        int terminal = -1;
        while (true)
        {
            var (tag, received) = Kernel.ReceiveFd(fd);
            if (tag == -1) return new Outcome(terminal, null, null);
            if (tag == Terminal && received >= 0) { terminal = received; continue; }
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
