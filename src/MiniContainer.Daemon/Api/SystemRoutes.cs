using MiniContainer.Cgroups;
using MiniContainer.Containers;
using MiniContainer.Images;
using MiniContainer.Storage;
using MiniContainer.Volumes;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Api;

/// <summary>/_ping, /version, /info.</summary>
public static class SystemRoutes
{
    public static void Map(Router r, HostPaths paths, ContainerService containers, ImageStore images, VolumeStore volumes)
    {
        // Builder-Version 1: we speak the classic builder's POST /build, so the docker CLI uses it without buildx.
        r.Map("GET", "/_ping", ctx =>
        {
            ctx.ResponseHeaders["Builder-Version"] = "1";
            return ctx.WriteTextAsync(200, "OK");
        });

        r.Map("GET", "/version", ctx =>
        {
            string goVersion = ".NET " + Environment.Version;
            return ctx.WriteJsonAsync(200, new VersionResponse
            {
                Platform = new ComponentPlatform("MiniContainer"),
                Components =
                [
                    new ComponentVersion("Engine", DaemonInfo.Version, new Dictionary<string, string>
                    {
                        ["ApiVersion"] = HttpContext.ApiVersion,
                        ["MinAPIVersion"] = HttpContext.MinApiVersion,
                        ["GitCommit"] = DaemonInfo.GitCommit,
                        ["GoVersion"] = goVersion,
                        ["Os"] = "linux",
                        ["Arch"] = "amd64",
                        ["KernelVersion"] = DaemonInfo.KernelVersion,
                        ["BuildTime"] = DaemonInfo.BuildTime,
                        ["Experimental"] = "false",
                    }),
                ],
                Version = DaemonInfo.Version,
                ApiVersion = HttpContext.ApiVersion,
                MinAPIVersion = HttpContext.MinApiVersion,
                GitCommit = DaemonInfo.GitCommit,
                GoVersion = goVersion,
                Os = "linux",
                Arch = "amd64",
                KernelVersion = DaemonInfo.KernelVersion,
                BuildTime = DaemonInfo.BuildTime,
            }, DaemonJson.Default.VersionResponse);
        });

        // `docker system df`: what images, containers, volumes and the build cache hold on disk. An image's SharedSize
        // is the part of it (whole layers) that another image also uses; a container's SizeRw its writable layer.
        r.Map("GET", "/system/df", ctx =>
        {
            var all = images.List();
            var users = all.SelectMany(i => i.ChainIds).GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
            var imageRows = new JsonArray(all.OrderByDescending(i => i.Created).Select(i =>
            {
                var sizes = images.LayerSizes(i);
                long shared = i.ChainIds.Select((chainId, n) => users[chainId] > 1 ? sizes[n] : 0).Sum();
                var summary = ImageRoutes.Summary(images, containers, i, i.RepoTags, i.RepoDigests, shared);
                return JsonSerializer.SerializeToNode(summary, DaemonJson.Default.ImageSummary);
            }).ToArray());
            var containerRows = new JsonArray(containers.All.OrderByDescending(c => c.Record.Created)
                .Select(c => JsonSerializer.SerializeToNode(ContainerRoutes.Summary(c, images, size: true), DaemonJson.Default.ContainerSummary)).ToArray());
            var volumeRows = new JsonArray(volumes.List().Select(v => JsonSerializer.SerializeToNode(new Volume
            {
                Name = v.Name, Driver = v.Driver, Mountpoint = v.Mountpoint, CreatedAt = v.CreatedAt, Labels = v.Labels, Scope = v.Scope,
                Options = v.Options, UsageData = new VolumeUsageData(VolumeStore.SizeOf(v), containers.UsersOfVolume(v.Name).Count),
            }, DaemonJson.Default.Volume)).ToArray());
            return ctx.WriteJsonNodeAsync(200, new JsonObject
            {
                ["LayersSize"] = images.LayerBytes(),
                ["Images"] = imageRows,
                ["Containers"] = containerRows,
                ["Volumes"] = volumeRows,
                ["BuildCache"] = new JsonArray(),   // the classic builder's cache is its intermediate images, counted above
            });
        });

        r.Map("GET", "/info", ctx =>
        {
            var all = containers.All.ToList();
            var cgroupVersion = CgroupManager.DetectVersion();
            return ctx.WriteJsonAsync(200, new SystemInfo
            {
                ID = DaemonInfo.DaemonId(paths),
                Containers = all.Count,
                ContainersRunning = all.Count(c => c.Record.State.Running),
                ContainersPaused = 0,
                ContainersStopped = all.Count(c => !c.Record.State.Running),
                Images = images.List().Count,
                Driver = "overlay2",
                DriverStatus = [["Backing Filesystem", "extfs"]],
                DockerRootDir = paths.DataRoot,
                LoggingDriver = "json-file",
                CgroupDriver = "cgroupfs",
                CgroupVersion = cgroupVersion == Cgroups.CgroupVersion.V2 ? "2" : "1",
                KernelVersion = DaemonInfo.KernelVersion,
                OperatingSystem = DaemonInfo.OperatingSystem,
                OSType = "linux",
                Architecture = "x86_64",
                NCPU = Environment.ProcessorCount,
                MemTotal = DaemonInfo.MemTotal,
                Name = Environment.MachineName,
                ServerVersion = DaemonInfo.Version,
                SecurityOptions = ["name=seccomp,profile=builtin", "name=cgroupns"],
                // The shim, under the name dockerd gives its default runtime (see RuntimeName); its path says what it is.
                Runtimes = new() { [Containers.RuntimeName.Default] = new RuntimeInfo(Containers.ShimHandle.ShimPath) },
                DefaultRuntime = Containers.RuntimeName.Default,
                Plugins = new PluginsInfo(Volume: ["local"], Network: ["null", "host"], Log: ["json-file"]),
                Debug = Log.Debug,
                Warnings = [],
            }, DaemonJson.Default.SystemInfo);
        });
    }
}

public static class DaemonInfo
{
    public const string Version = "0.1.0";
    public const string GitCommit = "dev";
    /// <summary>When the daemon binary was built (its mtime). Native AOT has no assembly files, so the executable's.</summary>
    public static readonly string BuildTime =
        (Environment.ProcessPath is { } exe ? File.GetLastWriteTimeUtc(exe) : DateTime.UnixEpoch).ToString("o");
    public static string KernelVersion => File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "unknown";

    public static string OperatingSystem =>
        File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").Where(l => l.StartsWith("PRETTY_NAME=")).Select(l => l[12..].Trim('"')).FirstOrDefault() ?? "Linux"
            : "Linux";

    public static long MemTotal =>
        File.ReadLines("/proc/meminfo").Where(l => l.StartsWith("MemTotal:")).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024).FirstOrDefault();

    /// <summary>A stable ID for this daemon's data root, made once.</summary>
    public static string DaemonId(HostPaths paths)
    {
        string file = Path.Combine(paths.DataRoot, "engine-id");
        if (!File.Exists(file)) AtomicFile.WriteAllText(file, Guid.NewGuid().ToString());
        return File.ReadAllText(file).Trim();
    }
}
