using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MiniContainer.NativeTests.Harness;

/// <summary>
/// A real registry for the tests: Debian's docker-registry (distribution v2) on 127.0.0.1 and a free port, storing
/// into its own temp directory, optionally with htpasswd (bcrypt) users or with token auth (a token server the test
/// runs). Stopped, and its files removed, on Dispose.
/// </summary>
public sealed class LocalRegistry : IDisposable
{
    public const string Program = "/usr/bin/docker-registry";
    public string Root { get; }
    public string Storage => Path.Combine(Root, "storage");
    public string LogFile => Path.Combine(Root, "registry.log");
    public int Port { get; }
    /// <summary>"127.0.0.1:PORT": the registry part of image names.</summary>
    public string Address => $"127.0.0.1:{Port}";
    private readonly Process _process;

    /// <param name="users">htpasswd users (name → password); none: an open registry.</param>
    /// <param name="authSection">makes the "auth:" YAML section (token auth) given the registry's directory, instead of htpasswd.</param>
    public LocalRegistry(IReadOnlyDictionary<string, string>? users = null, Func<string, string>? authSection = null)
    {
        if (!File.Exists(Program)) throw new InvalidOperationException("docker-registry is not installed: run `sudo scripts/install-deps.sh test`");
        Root = Directory.CreateTempSubdirectory("mc-registry-").FullName;
        Directory.CreateDirectory(Storage);
        Port = FreePort();
        string auth = authSection?.Invoke(Root) ?? "";
        if (users is { Count: > 0 })
        {
            string htpasswd = Path.Combine(Root, "htpasswd");
            foreach (var (user, password) in users)
                Daemon.Exec("/usr/bin/htpasswd", [.. File.Exists(htpasswd) ? Array.Empty<string>() : ["-c"], "-B", "-b", htpasswd, user, password]).Ok("htpasswd");
            auth = $"auth:\n  htpasswd:\n    realm: mc-test\n    path: {htpasswd}\n";
        }
        string config = Path.Combine(Root, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {Storage}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{Port}
            {auth.Replace("\n", "\n            ").TrimEnd()}
            """);
        var psi = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(config);
        _process = System.Diagnostics.Process.Start(psi)!;
        var log = new StreamWriter(LogFile, append: true) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Support.WaitUntil(() => _process.HasExited || Answers(), TimeSpan.FromSeconds(20), "docker-registry to listen");
        if (_process.HasExited) throw new InvalidOperationException("docker-registry exited: " + File.ReadAllText(LogFile));
    }

    /// <summary>The registry's log so far (one line per request at level info).</summary>
    public string Log() { lock (this) return File.Exists(LogFile) ? File.ReadAllText(LogFile) : ""; }

    /// <summary>The file the registry keeps a blob's bytes in.</summary>
    public string BlobFile(string digest) =>
        Path.Combine(Storage, "docker/registry/v2/blobs/sha256", digest[7..9], digest[7..], "data");

    private bool Answers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(); _process.WaitForExit(10_000); } } catch (InvalidOperationException) { }
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
