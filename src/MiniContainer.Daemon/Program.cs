using MiniContainer.Events;
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

// The data root is private from its first moment (HostDirectories sets the rest once we hold the lock).
Directory.CreateDirectory(paths.DataRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
// One daemon per data root: the lock is held for the daemon's whole life (flock through FileShare.None).
FileStream lockFile;
try
{
    lockFile = new FileStream(Path.Combine(paths.DataRoot, "minicontainerd.lock"), new FileStreamOptions
    {
        Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, UnixCreateMode = AtomicFile.Private,
    });
}
catch (IOException)
{
    string other = File.Exists(Path.Combine(paths.DataRoot, "minicontainerd.pid")) ? File.ReadAllText(Path.Combine(paths.DataRoot, "minicontainerd.pid")).Trim() : "?";
    Console.Error.WriteLine($"minicontainerd: another daemon (pid {other}) is already using {paths.DataRoot}; stop it first, or give this one its own --data-root");
    return 1;
}

UsernsRemap? remap = null;
uint? socketGid = null;
try
{
    if (options.UsernsRemap is { } remapSpec)
    {
        remap = UsernsRemap.Resolve(remapSpec);
        Log.Info($"user namespaces: container ids map to the subordinate ranges of {remap}");
    }
    if (options.Group is { } groupName)
        socketGid = UsernsRemap.Lookup(File.ReadAllText("/etc/group"), groupName)?.Id
            ?? throw new ArgumentException($"--group: no group \"{groupName}\" in /etc/group; create it (groupadd {groupName}) or leave out --group to keep the socket root-only");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"minicontainerd: {e.Message}");
    return 1;
}
// Root only, from the data root down (an install an older version made with looser modes is tightened here).
HostDirectories.Secure(paths, remap?.RootGid, socketGid, options.Socket);
// A full disk must not keep the daemon from starting (it is how one frees the space): say so and go on.
try { AtomicFile.WriteAllText(Path.Combine(paths.DataRoot, "minicontainerd.pid"), Environment.ProcessId + "\n"); }
catch (IOException e) { Log.Warn($"cannot write the pid file in {paths.DataRoot}: {e.Message}; running without it"); }

// One event log for the whole daemon: every service publishes to it, GET /events reads it.
var events = new MiniContainer.Events.EventBus();
var images = new ImageStore(paths) { Events = events };
var volumes = new MiniContainer.Volumes.VolumeStore(paths) { Events = events };
volumes.CleanTemporaries();
var networks = new MiniContainer.Networking.NetworkService(new MiniContainer.Networking.NetworkStore(paths), options.Network, new MiniContainer.Networking.BridgePlumbing()) { Events = events };
networks.Initialize();
var containers = new ContainerService(paths, images, volumes)
{
    UsernsRemap = remap, Networking = networks, Events = events,
    WarmShims = WarmShim.ForContainers(MiniContainer.Cgroups.CgroupManager.DetectVersion()),
};
if (containers.WarmShims is not null) WarmShim.RemoveStaleSpareCgroups();
networks.FindContainer = containers.Find;
networks.LinkHostLines = containers.LinkHostLines;
var execs = new ExecService { Events = events, WarmShims = WarmShim.ForExecs() };
// Before the reload, so that probes resume in the containers it reattaches to.
containers.Health = new HealthMonitor(new ExecHealthProbe(execs));
containers.Health.HealthStatusChanged += (c, status) => containers.Events.HealthStatus(c.Record, status);   // health_status: healthy
await containers.ReloadAsync();
networks.Reconcile(containers.All);
await containers.RemoveAutoRemovedAfterReloadAsync();
await containers.StartByPolicyAfterReloadAsync();

var router = new Router();
SystemRoutes.Map(router, paths, containers, images, volumes);
ContainerRoutes.Map(router, containers, execs, images);
ImageRoutes.Map(router, images, containers);
BuildRoutes.Map(router, paths, images, containers);
RegistryRoutes.Map(router, images);
VolumeRoutes.Map(router, volumes, containers);
NetworkRoutes.Map(router, networks, containers);
SwarmRoutes.Map(router);
EventRoutes.Map(router, events);

var server = new HttpServer(options.Socket, router.DispatchAsync) { MaxBodyBytes = options.MaxRequestBody, SocketGid = socketGid };
server.Start();
Log.Info($"minicontainerd {DaemonInfo.Version} listening on unix://{options.Socket} (data root {paths.DataRoot}, cgroup {MiniContainer.Cgroups.CgroupManager.DetectVersion()}, {containers.All.Count()} containers, {images.List().Count} images)");

var stop = new TaskCompletionSource();
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
await stop.Task;
// Containers keep running: their shims do not depend on us. A new daemon reattaches to them.
server.Stop();
if (containers.WarmShims is { } warmShims) await warmShims.StopAsync();
if (execs.WarmShims is { } warmExecShims) await warmExecShims.StopAsync();
networks.StopDnsServers();
networks.WaitForVethDeletions();
Log.Info("minicontainerd stopped; running containers keep running");
lockFile.Dispose();
return 0;

static bool IsRoot() => File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Uid:") && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");

sealed record DaemonOptions(string Socket, string DataRoot, string ExecRoot, bool Debug, string? UsernsRemap, string? Group,
                            long MaxRequestBody, MiniContainer.Networking.NetworkOptions Network)
{
    public static DaemonOptions? Parse(string[] args)
    {
        string dataRoot = HostPaths.DefaultDataRoot, execRoot = HostPaths.DefaultExecRoot;
        string? socket = null, remap = null, group = null;
        bool debug = false;
        long maxBody = HttpServer.DefaultMaxBodyBytes;
        var network = new MiniContainer.Networking.NetworkOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"flag needs an argument: {a}");
            try
            {
                switch (a)
                {
                    case "-H" or "--host": socket = HostAddress.UnixSocketPath(Next()); break;
                    case "--data-root": dataRoot = Next(); break;
                    case "--exec-root": execRoot = Next(); break;
                    case "-D" or "--debug": debug = true; break;
                    case "--userns-remap": remap = Next(); break;
                    case "-G" or "--group": group = Next(); break;
                    case "--max-request-body": maxBody = ParseSize(Next()); break;
                    case "--explain-all": MiniContainer.Explaining.ExplainSession.ExplainAll = true; break;
                    case "--insecure-registry": MiniContainer.Registry.RegistryEndpoint.InsecureRegistries = [.. MiniContainer.Registry.RegistryEndpoint.InsecureRegistries, Next()]; break;
                    case var flag when network.TryParse(flag, Next): break;
                    case "-h" or "--help":
                        Console.WriteLine("Usage: minicontainerd [-H unix:///path.sock] [-G|--group GROUP] [--data-root DIR] [--exec-root DIR]\n" +
                                          "                      [--userns-remap default|USER[:GROUP]|UID[:GID]] [--max-request-body BYTES[k|m]]\n" +
                                          "                      [--insecure-registry HOST[:PORT]|CIDR]... [--explain-all] [--debug]\n" +
                                          "       --explain-all: record every container's kernel steps (`minicontainer explain CONTAINER`), for a class\n" +
                                          "       -G, --group: the group that may use the API socket besides root (default: root only)\n" +
                                          $"       --max-request-body: the largest JSON request body accepted (default {HttpServer.DefaultMaxBodyBytes >> 20}m; build contexts, load and cp uploads are streamed and not limited)\n" +
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
        return new DaemonOptions(socket, Path.GetFullPath(dataRoot), Path.GetFullPath(execRoot), debug, remap, group, maxBody, network);
    }

    /// <summary>--max-request-body: bytes, or with a k/m/g suffix (powers of 1024).</summary>
    private static long ParseSize(string value)
    {
        string v = value.Trim().ToLowerInvariant().TrimEnd('b');
        long unit = v.EndsWith('k') ? 1L << 10 : v.EndsWith('m') ? 1L << 20 : v.EndsWith('g') ? 1L << 30 : 1;
        if (unit > 1) v = v[..^1];
        if (!long.TryParse(v, out long n) || n <= 0 || n > long.MaxValue / unit)
            throw new ArgumentException($"invalid --max-request-body value \"{value}\": use a positive number of bytes, e.g. 4194304 or 4m");
        return n * unit;
    }
}
