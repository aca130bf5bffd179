using MiniContainer;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Images;
using MiniContainer.Storage;

// minicontainerd: owns all state and speaks the Docker Engine API on a root-only unix socket.
var options = DaemonOptions.Parse(args);
if (options is null) return 125;
var paths = new HostPaths(options.DataRoot, options.ExecRoot);
Log.Debug = options.Debug;

if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root" && !IsRoot())
{
    Console.Error.WriteLine("minicontainerd needs root (namespaces, mounts, cgroups): run it with sudo.");
    return 1;
}

Directory.CreateDirectory(paths.DataRoot);
Directory.CreateDirectory(paths.ExecRoot);
// One daemon per data root: the lock is held for the daemon's whole life (flock through FileShare.None).
FileStream lockFile;
try
{
    lockFile = new FileStream(Path.Combine(paths.DataRoot, "minicontainerd.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
}
catch (IOException)
{
    string other = File.Exists(Path.Combine(paths.DataRoot, "minicontainerd.pid")) ? File.ReadAllText(Path.Combine(paths.DataRoot, "minicontainerd.pid")).Trim() : "?";
    Console.Error.WriteLine($"minicontainerd: another daemon (pid {other}) is already using {paths.DataRoot}; stop it first, or give this one its own --data-root");
    return 1;
}
// A full disk must not keep the daemon from starting (it is how one frees the space): say so and go on.
try { AtomicFile.WriteAllText(Path.Combine(paths.DataRoot, "minicontainerd.pid"), Environment.ProcessId + "\n"); }
catch (IOException e) { Log.Warn($"cannot write the pid file in {paths.DataRoot}: {e.Message}; running without it"); }

var images = new ImageStore(paths);
var volumes = new MiniContainer.Volumes.VolumeStore(paths);
volumes.CleanTemporaries();
var networks = new MiniContainer.Networking.NetworkService(new MiniContainer.Networking.NetworkStore(paths), options.Network, new MiniContainer.Networking.BridgePlumbing());
networks.Initialize();
var containers = new ContainerService(paths, images, volumes) { UsernsRemap = options.UsernsRemap, Networking = networks };
networks.FindContainer = containers.Find;
var execs = new ExecService();
await containers.ReloadAsync();
networks.Reconcile(containers.All);

var router = new Router();
SystemRoutes.Map(router, paths, containers, images, volumes);
ContainerRoutes.Map(router, containers, execs, images);
ImageRoutes.Map(router, images, containers);
BuildRoutes.Map(router, paths, images, containers);
RegistryRoutes.Map(router, images);
VolumeRoutes.Map(router, volumes, containers);
NetworkRoutes.Map(router, networks, containers);

var server = new HttpServer(options.Socket, router.DispatchAsync);
server.Start();
Log.Info($"minicontainerd {DaemonInfo.Version} listening on unix://{options.Socket} (data root {paths.DataRoot}, cgroup {MiniContainer.Cgroups.CgroupManager.DetectVersion()}, {containers.All.Count()} containers, {images.List().Count} images)");

var stop = new TaskCompletionSource();
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
await stop.Task;
// Containers keep running: their shims do not depend on us. A new daemon reattaches to them.
server.Stop();
networks.StopDnsServers();
Log.Info("minicontainerd stopped; running containers keep running");
lockFile.Dispose();
return 0;

static bool IsRoot() => File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Uid:") && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");

sealed record DaemonOptions(string Socket, string DataRoot, string ExecRoot, bool Debug, MiniContainer.Runtime.IdMapping? UsernsRemap,
                            MiniContainer.Networking.NetworkOptions Network)
{
    public static DaemonOptions? Parse(string[] args)
    {
        string dataRoot = HostPaths.DefaultDataRoot, execRoot = HostPaths.DefaultExecRoot;
        string? socket = null;
        bool debug = false;
        MiniContainer.Runtime.IdMapping? remap = null;
        var network = new MiniContainer.Networking.NetworkOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"flag needs an argument: {a}");
            try
            {
                switch (a)
                {
                    case "-H" or "--host": socket = Next(); break;
                    case "--data-root": dataRoot = Next(); break;
                    case "--exec-root": execRoot = Next(); break;
                    case "-D" or "--debug": debug = true; break;
                    case "--userns-remap": remap = ParseRemap(Next()); break;
                    case "--insecure-registry": MiniContainer.Registry.RegistryEndpoint.InsecureRegistries = [.. MiniContainer.Registry.RegistryEndpoint.InsecureRegistries, Next()]; break;
                    case var flag when network.TryParse(flag, Next): break;
                    case "-h" or "--help":
                        Console.WriteLine("Usage: minicontainerd [-H unix:///path.sock] [--data-root DIR] [--exec-root DIR] [--userns-remap default|HOSTID:COUNT] [--insecure-registry HOST[:PORT]|CIDR]... [--debug]\n" +
                                          "       networking: " + MiniContainer.Networking.NetworkOptions.Usage);
                        return null;
                    default: throw new ArgumentException($"unknown flag: {a}");
                }
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"minicontainerd: {e.Message}\nSee 'minicontainerd --help'.");
                return null;
            }
        }
        socket ??= Path.Combine(execRoot, HostPaths.SocketName);
        if (socket.StartsWith("unix://", StringComparison.Ordinal)) socket = socket["unix://".Length..];
        return new DaemonOptions(socket, Path.GetFullPath(dataRoot), Path.GetFullPath(execRoot), debug, remap, network);
    }

    /// <summary>--userns-remap: "default" maps container ids 0..65535 to host 100000..165535 (the first range
    /// useradd hands out in /etc/subuid); "HOSTID:COUNT" picks another range.</summary>
    private static MiniContainer.Runtime.IdMapping ParseRemap(string value)
    {
        if (value == "default") return new() { ContainerId = 0, HostId = 100000, Size = 65536 };
        var parts = value.Split(':');
        if (parts.Length == 2 && uint.TryParse(parts[0], out uint host) && uint.TryParse(parts[1], out uint count) && host > 0 && count > 0)
            return new() { ContainerId = 0, HostId = host, Size = count };
        throw new ArgumentException($"invalid --userns-remap value {value}: use \"default\" or HOSTID:COUNT, e.g. 100000:65536");
    }
}
