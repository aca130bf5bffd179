using System.Runtime.InteropServices;

namespace MiniContainer.Cli.Terminal;

/// <summary>
/// The few libc calls only the CLI needs: terminal modes, window size, signals to a child.
/// Wrapped once here (docs/design.md §5); everything else in the CLI is plain managed code over a socket.
/// </summary>
internal static unsafe partial class TerminalNative
{
    const string Libc = "libc";

    /// <summary>glibc's struct termios is 60 bytes on x86-64 and arm64; we treat it as opaque and keep room to spare.</summary>
    internal const int TermiosSize = 256;
    internal const int TCSANOW = 0;
    const nuint TIOCGWINSZ = 0x5413;

    [StructLayout(LayoutKind.Sequential)]
    internal struct WinSize
    {
        public ushort Rows, Cols, XPixel, YPixel;
    }

    /// <summary>isatty(3): is this fd a terminal?</summary>
    [LibraryImport(Libc)]
    internal static partial int isatty(int fd);

    /// <summary>tcgetattr(3): read the terminal's line discipline settings.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int tcgetattr(int fd, byte* termios);

    /// <summary>tcsetattr(3): apply terminal settings (TCSANOW: at once).</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int tcsetattr(int fd, int optionalActions, byte* termios);

    /// <summary>cfmakeraw(3): no echo, no line editing, no signals from ^C, no output post-processing.</summary>
    [LibraryImport(Libc)]
    internal static partial void cfmakeraw(byte* termios);

    /// <summary>ioctl(fd, TIOCGWINSZ): the terminal's rows and columns.</summary>
    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int ioctl_winsize(int fd, nuint request, WinSize* ws);

    /// <summary>read(2) on a standard stream.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial nint read(int fd, byte* buffer, nuint count);

    /// <summary>write(2) on a standard stream: at the fd's own offset, so processes sharing a log file append, never overwrite.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial nint write(int fd, byte* buffer, nuint count);

    /// <summary>kill(2): send a signal to a process (the CLI forwards SIGTERM to a foreground daemon).</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int kill(int pid, int sig);

    /// <summary>geteuid(2): are we root?</summary>
    [LibraryImport(Libc)]
    internal static partial uint geteuid();

    public static bool IsTerminal(int fd) => isatty(fd) == 1;

    public static (int Rows, int Cols)? GetWindowSize(int fd)
    {
        WinSize ws;
        if (ioctl_winsize(fd, TIOCGWINSZ, &ws) != 0 || ws.Rows == 0 || ws.Cols == 0) return null;
        return (ws.Rows, ws.Cols);
    }
}
