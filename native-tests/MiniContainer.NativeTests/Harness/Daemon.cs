using System.Diagnostics;
using System.Text;

namespace MiniContainer.NativeTests.Harness;

/// <summary>What a command printed and how it ended.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// A real minicontainerd for the tests: its own data root, exec root and socket under /tmp/mc-test-*,
/// started from artifacts/bin, with the fixture images loaded. Stopped and removed afterwards; the
/// tests then check that the host has nothing of ours left.
/// </summary>
public sealed class Daemon : IDisposable
{
    public static readonly string Repo = FindRepo();
    public static string Bin => Environment.GetEnvironmentVariable("MINICONTAINER_BIN") is { Length: > 0 } b ? b : Path.Combine(Repo, "artifacts", "bin");
    public static string Fixtures => Environment.GetEnvironmentVariable("MINICONTAINER_FIXTURES") is { Length: > 0 } f ? f : Path.Combine(Repo, "artifacts", "fixtures");
    public static string Cli => Path.Combine(Bin, "minicontainer");

    /// <summary>
    /// The CLI as a user's terminal starts it, for tests that end it with Ctrl+C (SIGINT). A test runner started in
    /// the background by a non-interactive shell (<c>cmd &amp;</c>, nohup) inherits SIGINT ignored, and exec keeps an
    /// ignored signal ignored, so the CLI would never see the test's SIGINT; <c>env --default-signal=INT</c> gives
    /// it back the default disposition before it execs the CLI (same process, same pid).
    /// </summary>
    public static ProcessStartInfo CliAtATerminal(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add(Cli);
        foreach (string a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    public string Root { get; }
    public string DataRoot => Path.Combine(Root, "data");
    public string ExecRoot => Path.Combine(Root, "run");
    public string Socket => Path.Combine(ExecRoot, "minicontainer.sock");
    public string Host => "unix://" + Socket;
    public string LogFile => Path.Combine(Root, "daemon.log");
    private Process? _process;

    private readonly string[] _extraArgs;

    /// <summary>This daemon's own host names (bridge mct&lt;tag&gt;0, nft table minicontainer_t&lt;tag&gt;, subnets 10.N.…), so a
    /// test daemon never touches a real daemon's minicontainer0 or another test daemon's objects.</summary>
    public string NetTag { get; } = Guid.NewGuid().ToString("N")[..4];
    public string Bridge => $"mct{NetTag}0";
    public string NftTable => $"minicontainer_t{NetTag}";
    /// <summary>N of the daemon's subnets 10.N.0.0/24 (default bridge) and 10.N.128.0/17 (user networks), no other test daemon's.</summary>
    public int Octet { get; }
    private readonly bool _privateNetwork;

    /// <param name="extraArgs">More daemon flags, e.g. "--userns-remap", "default". Without "--bridge", the daemon gets
    /// private network names; without "--dns-upstream", a dead loopback upstream (tests never ask the host's resolver).</param>
    public Daemon(params string[] extraArgs)
    {
        _privateNetwork = !extraArgs.Contains("--bridge");
        if (_privateNetwork) Octet = TestSubnets.Lease(100, 200);
        var network = new List<string>();
        if (_privateNetwork)
            network.AddRange(["--bridge", Bridge, "--bridge-prefix", $"mct{NetTag}-", "--veth-prefix", $"mct{NetTag}v", "--nft-table", NftTable,
                              "--default-subnet", $"10.{Octet}.0.0/24", "--default-address-pool", $"base=10.{Octet}.128.0/17,size=24"]);
        if (!extraArgs.Contains("--dns-upstream")) network.AddRange(["--dns-upstream", "127.0.0.1:9"]);
        _extraArgs = network.Concat(extraArgs).ToArray();
        Root = Path.Combine("/tmp", "mc-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
        try
        {
            Start();
            foreach (string image in new[] { "busybox.tar", "probe.tar" })
            {
                var r = Run("load", "-i", Path.Combine(Fixtures, image));
                if (r.ExitCode != 0) throw new InvalidOperationException($"loading {image} failed: {r}");
            }
        }
        catch (Exception)
        {
            Dispose();   // xunit never disposes a fixture whose constructor threw: leave no daemon or directory behind
            throw;
        }
    }

    public void Start()
    {
        var psi = new ProcessStartInfo(Path.Combine(Bin, "minicontainerd"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "-H", Host, "--data-root", DataRoot, "--exec-root", ExecRoot, "--debug" }.Concat(_extraArgs)) psi.ArgumentList.Add(a);
        // Tests send nothing off this machine: an https registry (Docker Hub when a test names an image we lack) is
        // reached through a "proxy" on a closed loopback port, so it fails at once without even a DNS lookup.
        psi.Environment["HTTPS_PROXY"] = psi.Environment["https_proxy"] = "http://127.0.0.1:9";
        _process = Process.Start(psi)!;
        var log = new StreamWriter(LogFile, append: true) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"minicontainerd exited with {_process.ExitCode}: {File.ReadAllText(LogFile)}");
            if (File.Exists(Socket) && Run("version").ExitCode == 0) return;
            Thread.Sleep(50);
        }
        throw new TimeoutException("minicontainerd did not answer within 30 s: " + File.ReadAllText(LogFile));
    }

    /// <summary>SIGTERM the daemon and wait (containers keep running).</summary>
    public void Stop()
    {
        if (_process == null || _process.HasExited) return;
        Process.Start("kill", new[] { "-TERM", _process.Id.ToString() })!.WaitForExit();
        if (!_process.WaitForExit(15_000)) _process.Kill();
        _process.WaitForExit();
    }

    public int DaemonPid => _process!.Id;

    /// <summary>Runs the CLI against this daemon.</summary>
    public CommandResult Run(params string[] args) => RunWithInput(null, args);

    /// <summary>An HTTP client whose every connection goes to this daemon's unix socket: for API calls made as other
    /// clients make them (a stream to read as it comes, a poll of inspect) rather than through the CLI.</summary>
    public HttpClient ApiClient(Uri? baseAddress = null) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                System.Net.Sockets.ProtocolType.Unspecified);
            await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(Socket), ct);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public CommandResult RunWithInput(string? stdin, params string[] args) =>
        Exec(Cli, new[] { "-H", Host, "--no-autostart" }.Concat(args).ToArray(), stdin);

    public static CommandResult Exec(string program, string[] args, string? stdin = null, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        p.WaitForExit();
        return new CommandResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        try
        {
            var ids = Run("ps", "-aq").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length > 0) Run(new[] { "rm", "-f" }.Concat(ids).ToArray());
        }
        catch (Exception) { }
        try
        {
            foreach (string n in Run("network", "ls", "-q", "--filter", "type=custom").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                Run("network", "rm", n);
        }
        catch (Exception) { }
        Stop();
        if (_privateNetwork)
        {
            // The default bridge and the nft table outlive a daemon on purpose (as docker0 does); a test daemon removes its own.
            Exec("ip", ["link", "del", Bridge]);
            Exec("nft", ["delete", "table", "inet", NftTable]);
            TestSubnets.Return(Octet);
        }
        try { Directory.Delete(Root, recursive: true); } catch (Exception) { }
    }

    /// <summary>
    /// The repository: above the test assembly, or (when built with --artifacts-path outside the tree) above this
    /// source file as the compiler saw it; MINICONTAINER_REPO overrides both.
    /// </summary>
    private static string FindRepo([System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "")
    {
        if (Environment.GetEnvironmentVariable("MINICONTAINER_REPO") is { Length: > 0 } repo) return repo;
        foreach (string start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            var dir = start.Length > 0 ? new DirectoryInfo(start) : null;
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "MiniContainer.sln"))) dir = dir.Parent;
            if (dir != null) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (MiniContainer.sln); set MINICONTAINER_REPO");
    }
}

/// <summary>One daemon shared by a test class's tests (xunit class fixture).</summary>
public sealed class DaemonFixture : IDisposable
{
    public Daemon Daemon { get; } = new();
    public void Dispose() => Daemon.Dispose();
}
