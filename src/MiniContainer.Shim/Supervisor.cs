using MiniContainer.Linux;
using System.Text;
using System.Text.Json;
using MiniContainer.Runtime;
using MiniContainer.Storage;

namespace MiniContainer.Shim;


/// <summary>
/// The shim's life after the clone, like containerd-shim or conmon: stay the process's parent, carry its
/// stdio (to the json-file log and to attached clients on the control socket), reap it, record how it ended.
/// It keeps running when the daemon restarts; the daemon just reconnects to the control socket.
/// </summary>
public sealed class Supervisor
{
    private readonly string _controlSocket;
    private readonly string? _logPath;
    private readonly List<Client> _clients = new();
    private readonly object _lock = new();
    private FileStream? _log;
    private int _stdinFd = -1;
    private int _terminalFd = -1;
    private readonly List<PosixThread> _readers = new();
    /// <summary>Set once the process runs (its stdin and terminal exist), or when it never will.</summary>
    private readonly ManualResetEventSlim _ioReady = new(false);

    private sealed class Client(int socket)
    {
        public readonly SocketStream Stream = new(socket);
        public bool WantsStdout, WantsStderr;
        public readonly object WriteLock = new();
    }

    public Supervisor(string controlSocket, string? logPath)
    {
        _controlSocket = controlSocket;
        _logPath = logPath;
    }

    /// <summary>Listen on the control socket (before the process is released, so nothing it prints is missed).</summary>
    public void Listen()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_controlSocket)!);
        File.Delete(_controlSocket);
        int listener = Kernel.ListenUnix(_controlSocket, backlog: 16);
        File.SetUnixFileMode(_controlSocket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // PosixThread, not Thread: see there why a shim's threads must not make their starter wait.
        PosixThread.Start("accept", () =>
        {
            while (true)
            {
                int s;
                try { s = Kernel.Accept(listener); } catch (KernelException) { return; }
                var c = new Client(s);
                PosixThread.Start("client", () => ServeClient(c));
            }
        });
    }

    /// <summary>The process is running: start pumping its output (pipes, or the terminal's master end).</summary>
    public void StartIo(int stdoutFd, int stderrFd, int stdinFd, int terminalFd)
    {
        // Unbuffered: a write the disk refuses leaves nothing behind in a buffer to be retried (or torn) later.
        if (_logPath != null)
            try
            {
                _log = new FileStream(_logPath, new FileStreamOptions
                {
                    Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0, UnixCreateMode = AtomicFile.Private,
                });
            }
            catch (IOException e) { Diagnose($"cannot open the log {_logPath} ({e.Message}): this run's output is not logged"); }
        _stdinFd = terminalFd >= 0 ? terminalFd : stdinFd;
        _terminalFd = terminalFd;
        if (terminalFd >= 0) StartReader(terminalFd, ShimProtocol.Stdout, "stdout");
        else
        {
            StartReader(stdoutFd, ShimProtocol.Stdout, "stdout");
            StartReader(stderrFd, ShimProtocol.Stderr, "stderr");
        }
        _ioReady.Set();
    }

    private void StartReader(int fd, byte frameType, string stream)
    {
        var t = PosixThread.Start(stream, () =>
        {
            var buffer = new byte[32 * 1024];
            var pending = new List<byte>();
            var lines = new List<(int, int)>();
            while (true)
            {
                int n;
                try { n = Kernel.Read(fd, buffer); }
                catch (KernelException) { n = 0; } // EIO from a pty master once the last slave closed
                if (n <= 0) break;
                var chunk = buffer.AsSpan(0, n);
                Broadcast(frameType, chunk);
                if (_log != null) LogLines(stream, chunk, pending, lines);
            }
            if (_log != null && pending.Count > 0) WriteLog(stream, pending.ToArray());
            Kernel.Close(fd);
        });
        _readers.Add(t);
    }

    private void LogLines(string stream, ReadOnlySpan<byte> chunk, List<byte> pending, List<(int Start, int Length)> lines)
    {
        lines.Clear();
        int rest = JsonFileLog.SplitLines(chunk, lines);
        foreach (var (start, length) in lines)
        {
            if (pending.Count > 0)
            {
                pending.AddRange(chunk.Slice(start, length).ToArray());
                WriteLog(stream, pending.ToArray());
                pending.Clear();
            }
            else WriteLog(stream, chunk.Slice(start, length));
        }
        if (rest < chunk.Length) pending.AddRange(chunk[rest..].ToArray());
        if (pending.Count >= 16 * 1024) { WriteLog(stream, pending.ToArray()); pending.Clear(); }
    }

    /// <summary>Log lines the disk refused since the last one it took (see WriteLog).</summary>
    private long _droppedLines;

    /// <summary>
    /// One json-file record. When the disk is full (ENOSPC, or EDQUOT/EFBIG) the line is dropped, not the shim:
    /// a torn partial record is cut off again, the drop is counted, and shim.log says so once when dropping
    /// starts and once when space returns (with the count). The process's output still reaches attached clients.
    /// </summary>
    private void WriteLog(string stream, ReadOnlySpan<byte> line)
    {
        byte[] record = JsonFileLog.Encode(stream, line, DateTimeOffset.UtcNow);
        lock (_lock)
        {
            if (_log is null) return;
            long before = -1;
            try
            {
                before = _log.Length;
                _log.Write(record);
                // Said once space is back. shim.log is usually on the same full disk: if it cannot take the line
                // either (the space that let this record in was just used up again), the count stays, and the next
                // record that gets through, or Finish, says it.
                if (_droppedLines > 0 &&
                    Diagnose($"log: space is back; {_droppedLines} log line(s) were dropped while {_logPath} could not be written"))
                    _droppedLines = 0;
            }
            catch (IOException e)
            {
                if (before >= 0) try { _log.SetLength(before); } catch (IOException) { }
                if (_droppedLines++ == 0) Diagnose($"log: cannot write {_logPath} ({e.Message}); dropping log lines until it can be written again");
            }
        }
    }

    /// <summary>A line in shim.log (our stderr); never throws, not even on a full disk: false when it was not written.</summary>
    private static bool Diagnose(string message)
    {
        try { Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} {message}"); Console.Error.Flush(); return true; }
        catch (IOException) { return false; }
    }

    private const int ReservedExitBytes = 4096;
    private string? _reservedExitFile;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _reservedExit;

    /// <summary>
    /// Called before the process runs: reserve the exit record's disk space now, while there is some. The record
    /// is later written into these already-allocated bytes (no new blocks needed) and renamed into place, so the
    /// true exit code is recorded even if the container filled the disk meanwhile. (The daemon also receives the
    /// record over the control socket when it is connected; the file is what a restarted daemon reads.)
    /// </summary>
    public void ReserveExitFile(string exitFile)
    {
        string reserved = Path.Combine(Path.GetDirectoryName(exitFile)!, "." + Path.GetFileName(exitFile) + ".reserved");
        try
        {
            var h = new FileStream(reserved, new FileStreamOptions
            {
                // Readers welcome: FileShare.None would take flock(LOCK_EX) on it, and the daemon's read of exit.json
                // would fail until the flush at exit closes this handle.
                Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }).SafeFileHandle;
            byte[] spaces = new byte[ReservedExitBytes];
            Array.Fill(spaces, (byte)' ');   // JSON allows trailing whitespace: the record written later needs no truncation
            // Written, not just sized: the filesystem accounts for these blocks now (no fsync needed for that;
            // the record gets its fsync when it is written at exit).
            RandomAccess.Write(h, spaces, 0);
            _reservedExit = h;
            _reservedExitFile = reserved;
        }
        catch (IOException e)
        {
            Diagnose($"cannot reserve space for the exit record ({e.Message}); it will be written at exit if the disk allows");
            try { File.Delete(reserved); } catch (IOException) { }
        }
    }

    /// <summary>The record into the reserved bytes and renamed to exitFile (atomic: a reader sees all of it or none);
    /// without a reservation, a plain atomic (and durable) write. Never creates the directory: if the container was
    /// removed meanwhile, nothing is written. The reserved file's flush to disk is left to <see cref="MakeExitFileDurable"/>,
    /// once the clients have the record.</summary>
    private void WriteExitFile(string exitFile, byte[] json)
    {
        try
        {
            if (_reservedExit is { } h && json.Length <= ReservedExitBytes)
            {
                RandomAccess.Write(h, json, 0);
                File.Move(_reservedExitFile!, exitFile, overwrite: true);
                return;
            }
            _reservedExit?.Dispose();
            _reservedExit = null;
            if (_reservedExitFile != null) try { File.Delete(_reservedExitFile); } catch (IOException) { }
            if (Directory.Exists(Path.GetDirectoryName(exitFile))) AtomicFile.WriteAllBytes(exitFile, json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Diagnose($"cannot write the exit record {exitFile} ({e.Message}); the daemon gets it over the control socket");
        }
    }

    /// <summary>
    /// The exit record on disk for good (fsync of the file it was written into, through the handle: the directory may
    /// be gone by now, since the daemon removes an --rm container as soon as it has the record). Done after the
    /// clients have the record, so the daemon's own durable save of the exit does not queue behind this one: the
    /// daemon tells nobody of the exit before that save is on disk, and a restarted daemon that finds no record
    /// (after a crash before this flush) says the shim died, as it would after a crash a moment earlier.
    /// </summary>
    private void MakeExitFileDurable()
    {
        if (_reservedExit is not { } h) return;
        _reservedExit = null;
        try { RandomAccess.FlushToDisk(h); }
        catch (IOException e) { Diagnose($"cannot flush the exit record to disk ({e.Message})"); }
        finally { h.Dispose(); }
    }

    private void Broadcast(byte type, ReadOnlySpan<byte> data)
    {
        Client[] clients;
        lock (_lock) clients = _clients.ToArray();
        foreach (var c in clients)
        {
            if (type == ShimProtocol.Stdout && !c.WantsStdout) continue;
            if (type == ShimProtocol.Stderr && !c.WantsStderr) continue;
            Send(c, type, data);
        }
    }

    private void Send(Client c, byte type, ReadOnlySpan<byte> data)
    {
        try { lock (c.WriteLock) ShimProtocol.WriteFrame(c.Stream, type, data); }
        catch (Exception) { Drop(c); }
    }

    private void Drop(Client c)
    {
        lock (_lock) _clients.Remove(c);
        try { c.Stream.Dispose(); } catch { }
    }

    private void ServeClient(Client c)
    {
        try
        {
            while (ShimProtocol.ReadFrame(c.Stream) is var (type, payload))
            {
                switch (type)
                {
                    case ShimProtocol.Attach:
                        string streams = Encoding.UTF8.GetString(payload);
                        c.WantsStdout = streams.Contains("stdout");
                        c.WantsStderr = streams.Contains("stderr");
                        lock (_lock)
                        {
                            if (_exit != null) { Send(c, ShimProtocol.Exited, _exit); c.Stream.Dispose(); return; }
                            _clients.Add(c);
                        }
                        // Acknowledge: the daemon releases the process only after every client heard this,
                        // so no output can be broadcast before the client is on the list.
                        Send(c, ShimProtocol.Attached, ReadOnlySpan<byte>.Empty);
                        break;
                    case ShimProtocol.Stdin:
                        // Input may arrive before the process runs (docker run -i sends it right after
                        // attaching): hold it until the process's stdin exists, then deliver it in order.
                        _ioReady.Wait();
                        if (_stdinFd >= 0) try { Kernel.WriteAll(_stdinFd, payload); } catch (Exception) { }
                        break;
                    case ShimProtocol.CloseStdin:
                        _ioReady.Wait();
                        if (_terminalFd < 0 && _stdinFd >= 0) { Kernel.Close(_stdinFd); _stdinFd = -1; }
                        break;
                    case ShimProtocol.Resize:
                        _ioReady.Wait();
                        string[] rc = Encoding.ASCII.GetString(payload).Split(' ');
                        if (_terminalFd >= 0 && rc.Length == 2 && ushort.TryParse(rc[0], out var rows) && ushort.TryParse(rc[1], out var cols))
                            try { Kernel.SetWindowSize(_terminalFd, rows, cols); } catch (Exception) { }
                        break;
                }
            }
        }
        catch (Exception) { }
        Drop(c); // the client went away
    }

    private byte[]? _exit;

    /// <summary>The process ended: let the output drain, record the exit atomically, tell every client, stop listening.</summary>
    public void Finish(ExitRecord record, string exitFile)
    {
        _ioReady.Set();
        foreach (var t in _readers) t.Join(TimeSpan.FromSeconds(5));
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(record, RuntimeJson.Default.ExitRecord);
        WriteExitFile(exitFile, json);
        Client[] clients;
        lock (_lock) { _exit = json; clients = _clients.ToArray(); _clients.Clear(); }
        foreach (var c in clients) { Send(c, ShimProtocol.Exited, json); c.Stream.Shutdown(); c.Stream.Dispose(); }
        MakeExitFileDurable();
        try { File.Delete(_controlSocket); } catch (IOException) { }
        lock (_lock)
        {
            if (_droppedLines > 0) Diagnose($"log: {_droppedLines} log line(s) were dropped at the end because {_logPath} could not be written");
            try { _log?.Dispose(); } catch (IOException) { }
        }
    }
}
