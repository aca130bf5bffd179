namespace MiniContainer.Cli.Terminal;

/// <summary>
/// Puts a terminal in raw mode for `run -it` / `exec -it` so every key (^C included) goes to the container,
/// and puts it back exactly as it was on Dispose — also on process exit, so a crash never leaves the user's
/// shell without echo.
/// </summary>
internal sealed unsafe class RawTerminal : IDisposable
{
    readonly int _fd;
    readonly byte[] _saved = new byte[TerminalNative.TermiosSize];
    int _restored;

    RawTerminal(int fd) => _fd = fd;

    /// <summary>Raw mode on <paramref name="fd"/>; null when it is not a terminal.</summary>
    public static RawTerminal? Enable(int fd)
    {
        if (!TerminalNative.IsTerminal(fd)) return null;
        var term = new RawTerminal(fd);
        var raw = new byte[TerminalNative.TermiosSize];
        fixed (byte* saved = term._saved)
        fixed (byte* r = raw)
        {
            if (TerminalNative.tcgetattr(fd, saved) != 0) return null;
            Buffer.MemoryCopy(saved, r, raw.Length, raw.Length);
            TerminalNative.cfmakeraw(r);
            if (TerminalNative.tcsetattr(fd, TerminalNative.TCSANOW, r) != 0) return null;
        }
        AppDomain.CurrentDomain.ProcessExit += term.OnExit;
        return term;
    }

    void OnExit(object? sender, EventArgs e) => Restore();

    void Restore()
    {
        if (Interlocked.Exchange(ref _restored, 1) != 0) return;
        fixed (byte* saved = _saved) TerminalNative.tcsetattr(_fd, TerminalNative.TCSANOW, saved);
    }

    public void Dispose()
    {
        Restore();
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
    }
}
