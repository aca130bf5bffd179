using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MiniContainer.Api;
using MiniContainer.Images;

namespace MiniContainer.Containers;

/// <summary>
/// Turns the body of POST /containers/create (Docker's Config + HostConfig in one object) and the image's
/// config into a ContainerRecord, with Docker's rules for merging Entrypoint/Cmd/Env/WorkingDir/User.
/// </summary>
public static partial class CreateRequest
{
    [GeneratedRegex("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex ValidName();

    public const long MinimumMemory = 6 * 1024 * 1024;

    public static void ValidateName(string name)
    {
        if (!ValidName().IsMatch(name))
            throw new BadRequestException($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    }

    public static ContainerRecord Build(string id, string name, JsonObject body, Image image)
    {
        var imageConfig = image.Config.Config;
        var hostNode = body["HostConfig"] as JsonObject ?? new JsonObject();

        List<string>? userEntrypoint = StringList(body["Entrypoint"]);
        List<string>? userCmd = StringList(body["Cmd"]);
        List<string> entrypoint, cmd;
        if (userEntrypoint != null)
        {
            // An explicit --entrypoint replaces the image's and drops the image's CMD (Docker's rule).
            entrypoint = userEntrypoint.Where(s => s.Length > 0).ToList();
            cmd = userCmd ?? new List<string>();
        }
        else
        {
            entrypoint = imageConfig?.Entrypoint?.ToList() ?? new List<string>();
            cmd = userCmd is { Count: > 0 } ? userCmd : imageConfig?.Cmd?.ToList() ?? new List<string>();
        }
        var argv = entrypoint.Concat(cmd).ToList();
        if (argv.Count == 0) throw new BadRequestException("no command specified");

        var env = MergeEnv(imageConfig?.Env, StringList(body["Env"]));
        // --uts=host: the host's hostname (the container has no UTS namespace of its own), as dockerd shows it.
        string hostname = (string?)body["Hostname"] is { Length: > 0 } h ? h
            : (string?)hostNode["UTSMode"] == "host" ? System.Net.Dns.GetHostName() : id[..12];
        bool tty = (bool?)body["Tty"] ?? false;

        var host = new HostConfig
        {
            NetworkMode = (string?)hostNode["NetworkMode"] is { Length: > 0 } nm ? nm : "default",
            AutoRemove = (bool?)hostNode["AutoRemove"] ?? false,
            Privileged = (bool?)hostNode["Privileged"] ?? false,
            ReadonlyRootfs = (bool?)hostNode["ReadonlyRootfs"] ?? false,
            Init = (bool?)hostNode["Init"],
            Memory = (long?)hostNode["Memory"] ?? 0,
            MemorySwap = (long?)hostNode["MemorySwap"] ?? 0,
            NanoCpus = (long?)hostNode["NanoCpus"] ?? (long?)hostNode["NanoCPUs"] ?? 0,
            CpuShares = (long?)hostNode["CpuShares"] ?? 0,
            CpuPeriod = (long?)hostNode["CpuPeriod"] ?? 0,
            CpuQuota = (long?)hostNode["CpuQuota"] ?? 0,
            PidsLimit = (long?)hostNode["PidsLimit"],
            MemoryReservation = (long?)hostNode["MemoryReservation"] ?? 0,
            MemorySwappiness = (long?)hostNode["MemorySwappiness"] is long swappiness and not -1 ? swappiness : null,
            CpusetCpus = (string?)hostNode["CpusetCpus"] ?? "",
            CpusetMems = (string?)hostNode["CpusetMems"] ?? "",
            Binds = StringList(hostNode["Binds"]),
            VolumesFrom = StringList(hostNode["VolumesFrom"]),
            Tmpfs = hostNode["Tmpfs"] is JsonObject tmpfsMap ? tmpfsMap.ToDictionary(kv => kv.Key, kv => (string?)kv.Value ?? "") : null,
            UsernsMode = (string?)hostNode["UsernsMode"] ?? "",
            CapAdd = StringList(hostNode["CapAdd"]),
            CapDrop = StringList(hostNode["CapDrop"]),
            SecurityOpt = StringList(hostNode["SecurityOpt"]),
            Dns = StringList(hostNode["Dns"]),
            ExtraHosts = StringList(hostNode["ExtraHosts"]),
            Links = StringList(hostNode["Links"])?.Select(NormalizeLink).ToList() is { Count: > 0 } links ? links : null,
            ShmSize = (long?)hostNode["ShmSize"] ?? 0,
            PortBindings = MiniContainer.Networking.PortPublishing.ParseBindings(hostNode["PortBindings"]),
            PublishAllPorts = (bool?)hostNode["PublishAllPorts"] ?? false,
            ConsoleSize = hostNode["ConsoleSize"] is JsonArray cs && cs.Count == 2 ? new List<int> { (int?)cs[0] ?? 0, (int?)cs[1] ?? 0 } : new List<int> { 0, 0 },
        };
        if (hostNode["RestartPolicy"] is JsonObject rp)
            host.RestartPolicy = new RestartPolicy { Name = (string?)rp["Name"] is { Length: > 0 } rpn ? rpn : "no", MaximumRetryCount = (int?)rp["MaximumRetryCount"] ?? 0 };
        UnsupportedOptions.Refuse(body);
        HostConfigModes.Parse(body, hostNode, host);
        HostConfigModes.Validate(host, (string?)body["Hostname"]);
        SetSystemPaths(host, StringList(hostNode["MaskedPaths"]), StringList(hostNode["ReadonlyPaths"]));
        ContainerDeviceOptions.Parse(hostNode, host);
        Validate(host);
        var warnings = ContainerResources.Validate(host);
        ContainerDeviceOptions.Validate(host);

        var labels = new Dictionary<string, string>(imageConfig?.Labels ?? new Dictionary<string, string>());
        if (body["Labels"] is JsonObject userLabels)
            foreach (var (k, v) in userLabels) labels[k] = (string?)v ?? "";

        var mounts = ContainerMounts.Parse(body, hostNode, image.Config);

        return new ContainerRecord
        {
            Mounts = mounts,
            Id = id,
            Name = "/" + name,
            Created = DateTimeOffset.UtcNow,
            Path = argv[0],
            Args = argv.Skip(1).ToList(),
            Image = image.Id,
            HostConfig = host,
            CreateWarnings = warnings,
            Config = new ContainerConfig
            {
                Hostname = hostname,
                ExposedPorts = MiniContainer.Networking.PortPublishing.MergeExposed(imageConfig?.ExposedPorts?.Keys, body["ExposedPorts"]),
                Domainname = (string?)body["Domainname"] ?? "",
                User = (string?)body["User"] is { Length: > 0 } u ? u : imageConfig?.User ?? "",
                AttachStdin = (bool?)body["AttachStdin"] ?? false,
                AttachStdout = (bool?)body["AttachStdout"] ?? false,
                AttachStderr = (bool?)body["AttachStderr"] ?? false,
                Tty = tty,
                OpenStdin = (bool?)body["OpenStdin"] ?? false,
                StdinOnce = (bool?)body["StdinOnce"] ?? false,
                Env = env,
                Cmd = cmd.Count > 0 ? cmd : null,
                Entrypoint = entrypoint.Count > 0 ? entrypoint : null,
                Image = (string?)body["Image"] ?? "",
                WorkingDir = (string?)body["WorkingDir"] is { Length: > 0 } w ? w : imageConfig?.WorkingDir ?? "",
                Labels = labels,
                StopSignal = (string?)body["StopSignal"] ?? imageConfig?.StopSignal,
                StopTimeout = (int?)body["StopTimeout"],
                Healthcheck = Healthchecks.Merge(Healthchecks.FromRequest(body["Healthcheck"]), Healthchecks.FromImage(imageConfig)),
                Shell = Healthchecks.ShellOf(imageConfig),
            },
        };
    }

    /// <summary>MaskedPaths and ReadonlyPaths as the request gives them, else Docker's defaults (none for --privileged);
    /// stored in HostConfig, so inspect shows what the container gets, as dockerd's does.</summary>
    private static void SetSystemPaths(HostConfig host, List<string>? masked, List<string>? readOnly)
    {
        foreach (string p in (masked ?? new()).Concat(readOnly ?? new()))
            if (!p.StartsWith('/')) throw new BadRequestException($"invalid masked or read-only path \"{p}\": it must be absolute");
        var (defaultMasked, defaultReadOnly) = MiniContainer.Runtime.SystemPaths.For(host.Privileged, SecurityOptions.Parse(host.SecurityOpt).SystemPathsUnconfined);
        host.MaskedPaths = masked ?? defaultMasked;
        host.ReadonlyPaths = readOnly ?? defaultReadOnly;
    }

    /// <summary>"db", "db:database", "/db:/web/database" (the form inspect shows) → "db:database".</summary>
    public static string NormalizeLink(string link) => ContainerLink.Parse(link).ToString();

    private static void Validate(HostConfig host)
    {
        foreach (string cap in (host.CapAdd ?? new()).Concat(host.CapDrop ?? new()))
            if (cap.Trim().ToUpperInvariant() != "ALL")
                try { MiniContainer.Runtime.CapabilitySet.Number(cap); }
                catch (ArgumentException e) { throw new BadRequestException(e.Message); }
        foreach (string entry in host.ExtraHosts ?? new())
            if (entry.Split(':', 2) is not [{ Length: > 0 }, { Length: > 0 }])
                throw new BadRequestException($"invalid argument \"{entry}\" for \"--add-host\" flag: bad format for add-host: \"{entry}\"");
        foreach (string dns in host.Dns ?? new())
            if (!System.Net.IPAddress.TryParse(dns, out _))
                throw new BadRequestException($"{dns} is not an ip address");
        if (host.ShmSize < 0) throw new BadRequestException("SHM size can not be less than 0");
        ValidateResources(host);
        if (host.UsernsMode is not ("" or "host"))
            throw new BadRequestException($"invalid USER mode: {host.UsernsMode}");
        // Reads --security-opt and compiles the seccomp profile for this container's capabilities: a bad option or
        // profile is refused here, before anything is created.
        SecurityOptions.FilterFor(host);
    }

    /// <summary>The restart policy and the resource limits, with dockerd's words: what create and update both check.</summary>
    public static void ValidateResources(HostConfig host)
    {
        if (host.RestartPolicy.Name is not ("no" or "always" or "unless-stopped" or "on-failure"))
            throw new BadRequestException($"invalid restart policy: unknown policy '{host.RestartPolicy.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
        if (host.RestartPolicy.Name != "on-failure" && host.RestartPolicy.MaximumRetryCount != 0)
            throw new BadRequestException($"invalid restart policy: maximum retry count can only be used with 'on-failure'");
        if (host.AutoRemove && host.RestartPolicy.Name != "no")
            throw new BadRequestException("conflicting options: cannot specify both --restart and --rm");
        if (host.Memory != 0 && host.Memory < MinimumMemory)
            throw new BadRequestException("Minimum memory limit allowed is 6MB");
        if (host.MemorySwap > 0 && host.Memory > 0 && host.MemorySwap < host.Memory)
            throw new BadRequestException("Minimum memoryswap limit should be larger than memory limit, see usage");
        if (host.MemorySwap > 0 && host.Memory == 0)
            throw new BadRequestException("You should always set the Memory limit when using Memoryswap limit, see usage");
        if (host.NanoCpus < 0) throw new BadRequestException("Range of CPUs is from 0.01 to " + Environment.ProcessorCount + ".00, as there are only " + Environment.ProcessorCount + " CPUs available");
        if (host.NanoCpus > 0 && host.CpuPeriod > 0)
            throw new BadRequestException("Conflicting options: Nano CPUs and CPU Period cannot both be set");
        if (host.NanoCpus > 0 && host.CpuQuota > 0)
            throw new BadRequestException("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
        if (host.NanoCpus > Environment.ProcessorCount * 1_000_000_000L)
            throw new BadRequestException($"Range of CPUs is from 0.01 to {Environment.ProcessorCount}.00, as there are only {Environment.ProcessorCount} CPUs available");
    }

    /// <summary>dockerd's merge: the request's Env first, then each of the image's whose key it does not set.</summary>
    public static List<string> MergeEnv(IEnumerable<string>? imageEnv, IEnumerable<string>? userEnv)
    {
        static string Key(string kv) => kv.Split('=', 2)[0];
        var result = (userEnv ?? Array.Empty<string>()).ToList();
        var userKeys = result.Select(Key).ToHashSet();
        result.AddRange((imageEnv ?? Array.Empty<string>()).Where(e => !userKeys.Contains(Key(e))));
        return result;
    }

    /// <summary>The environment the process gets: the container's Env, plus HOSTNAME and (with a TTY) TERM
    /// unless it sets them — added at start, as dockerd does, not stored in Config.Env.</summary>
    public static List<string> ProcessEnv(ContainerConfig config)
    {
        var env = new List<string>(config.Env);
        if (!env.Any(e => e.StartsWith("HOSTNAME=", StringComparison.Ordinal))) env.Insert(0, "HOSTNAME=" + config.Hostname);
        if (config.Tty && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal))) env.Add("TERM=xterm");
        return env;
    }

    public static List<string>? StringList(JsonNode? node) => node switch
    {
        JsonArray a => a.Select(x => (string?)x ?? "").ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => new List<string> { s },
        _ => null,
    };
}
