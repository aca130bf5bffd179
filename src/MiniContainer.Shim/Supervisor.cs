using MiniContainer.Linux;
using System.Net.Sockets;
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
    private readonly List<Thread> _readers = new();
    /// <summary>Set once the process runs (its stdin and terminal exist), or when it never will.</summary>
    private readonly ManualResetEventSlim _ioReady = new(false);

    private sealed class Client(Socket socket)
    {
        public readonly Socket Socket = socket;
        public readonly NetworkStream Stream = new(socket, ownsSocket: true);
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
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_controlSocket));
        File.SetUnixFileMode(_controlSocket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(16);
        var t = new Thread(() =>
        {
            while (true)
            {
                Socket s;
                try { s = listener.Accept(); } catch (SocketException) { return; } catch (ObjectDisposedException) { return; }
                var c = new Client(s);
                new Thread(() => ServeClient(c)) { IsBackground = true, Name = "client" }.Start();
            }
        }) { IsBackground = true, Name = "accept" };
        t.Start();
    }

    /// <summary>The process is running: start pumping its output (pipes, or the terminal's master end).</summary>
    public void StartIo(int stdoutFd, int stderrFd, int stdinFd, int terminalFd)
    {
        if (_logPath != null) _log = new FileStream(_logPath, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite, UnixCreateMode = AtomicFile.Private });
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
        var t = new Thread(() =>
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
        }) { IsBackground = true, Name = stream };
        _readers.Add(t);
        t.Start();
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

    private void WriteLog(string stream, ReadOnlySpan<byte> line)
    {
        byte[] record = JsonFileLog.Encode(stream, line, DateTimeOffset.UtcNow);
        lock (_lock) { _log!.Write(record); _log.Flush(); }
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
        AtomicFile.WriteAllBytes(exitFile, json);
        Client[] clients;
        lock (_lock) { _exit = json; clients = _clients.ToArray(); _clients.Clear(); }
        foreach (var c in clients) { Send(c, ShimProtocol.Exited, json); try { c.Socket.Shutdown(SocketShutdown.Both); } catch { } c.Stream.Dispose(); }
        try { File.Delete(_controlSocket); } catch (IOException) { }
        lock (_lock) _log?.Dispose();
    }
}
