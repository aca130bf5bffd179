using System.Text;

namespace MiniContainer.Cli.Terminal;

/// <summary>
/// The CLI's standard streams, opened straight on fds 0, 1 and 2. We avoid System.Console on purpose:
/// on first use it initialises the terminal (and writes keypad escape sequences to it), which would fight
/// with the raw mode `run -it` needs. Tests swap <see cref="Out"/> and <see cref="Err"/> for StringWriters.
/// </summary>
internal static class Stdio
{
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    static Stream? _outStream, _errStream;

    /// <summary>fd 1 as bytes: container output goes here unchanged.</summary>
    public static Stream OutStream => _outStream ??= new FdStream(1, canRead: false);

    /// <summary>fd 2 as bytes.</summary>
    public static Stream ErrStream => _errStream ??= new FdStream(2, canRead: false);

    public static TextWriter Out { get; set; } = new StreamWriter(OutStream, Utf8) { AutoFlush = true };
    public static TextWriter Err { get; set; } = new StreamWriter(ErrStream, Utf8) { AutoFlush = true };

    static TextReader? _in;

    /// <summary>fd 0 as text, for answers to prompts ("Are you sure you want to continue? [y/N]"); tests swap it for a StringReader.</summary>
    public static TextReader In { get => _in ??= new StreamReader(OpenIn(), Utf8); set => _in = value; }

    /// <summary>fd 0 as bytes, for stdin attached to a container or a tarball to import or load.</summary>
    public static Stream OpenIn() => new FdStream(0, canRead: true);

    public static bool InIsTerminal => TerminalNative.IsTerminal(0);
    public static bool OutIsTerminal => TerminalNative.IsTerminal(1);
}
