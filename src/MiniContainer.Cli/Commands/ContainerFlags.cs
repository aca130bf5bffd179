using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Flags;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// The flags `run` and `create` share, and how they become the body of POST /containers/create
/// (a Docker ContainerConfig with its HostConfig inside). Values are checked here, with docker's wording,
/// before anything is sent.
/// </summary>
internal sealed class ContainerFlags
{
    public readonly Option<bool> Interactive = new("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
    public readonly Option<bool> Tty = new("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
    public readonly Option<bool> Rm = new("--rm") { Description = "Automatically remove the container and its associated anonymous volumes when it exits" };
    public readonly Option<string?> Name = new("--name") { Description = "Assign a name to the container" };
    public readonly Option<string[]> Env = new("--env", "-e") { Description = "Set environment variables" };
    public readonly Option<string[]> EnvFile = new("--env-file") { Description = "Read in a file of environment variables" };
    public readonly Option<string?> Workdir = new("--workdir", "-w") { Description = "Working directory inside the container" };
    public readonly Option<string?> User = new("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
    public readonly Option<string?> Hostname = new("--hostname", "-h") { Description = "Container host name" };
    public readonly Option<string?> Entrypoint = new("--entrypoint") { Description = "Overwrite the default ENTRYPOINT of the image" };
    public readonly Option<string?> Memory = new("--memory", "-m") { Description = "Memory limit" };
    public readonly Option<string?> MemorySwap = new("--memory-swap") { Description = "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" };
    public readonly Option<string?> MemoryReservation = new("--memory-reservation") { Description = "Memory soft limit" };
    public readonly Option<string?> Cpus = new("--cpus") { Description = "Number of CPUs" };
    public readonly Option<string?> CpuShares = new("--cpu-shares", "-c") { Description = "CPU shares (relative weight)" };
    public readonly Option<string?> CpusetCpus = new("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)" };
    public readonly Option<string?> CpusetMems = new("--cpuset-mems") { Description = "MEMs in which to allow execution (0-3, 0,1)" };
    public readonly Option<string?> MemorySwappiness = new("--memory-swappiness") { Description = "Tune container memory swappiness (0 to 100) (default -1)" };
    public readonly Option<string?> PidsLimit = new("--pids-limit") { Description = "Tune container pids limit (set -1 for unlimited)" };
    public readonly Option<bool> ReadOnly = new("--read-only") { Description = "Mount the container's root filesystem as read only" };
    public readonly Option<bool> Init = new("--init") { Description = "Run an init inside the container that forwards signals and reaps processes" };
    public readonly Option<string?> Userns = new("--userns") { Description = "User namespace to use (\"host\": none, even when the daemon remaps users)" };
    public readonly Option<string?> Network = new("--network", "--net") { Description = "Connect a container to a network (none, bridge, host or a network name)" };
    public readonly Option<string[]> Volume = new("--volume", "-v") { Description = "Bind mount a volume" };
    public readonly Option<string[]> Mount = new("--mount") { Description = "Attach a filesystem mount to the container (type=bind|volume|tmpfs,source=…,target=…[,readonly])" };
    public readonly Option<string[]> Tmpfs = new("--tmpfs") { Description = "Mount a tmpfs directory (/path[:options])" };
    public readonly Option<string[]> VolumesFrom = new("--volumes-from") { Description = "Mount volumes from the specified container(s) (CONTAINER[:ro|:rw])" };
    public readonly Option<string[]> Publish = new("--publish", "-p") { Description = "Publish a container's port(s) to the host" };
    public readonly Option<string[]> Expose = new("--expose") { Description = "Expose a port or a range of ports" };
    public readonly Option<string[]> Label = new("--label", "-l") { Description = "Set meta data on a container" };
    public readonly Option<string?> Restart = new("--restart") { Description = "Restart policy to apply when a container exits (no, always, unless-stopped, on-failure[:max-retries])" };
    public readonly Option<string?> StopSignal = new("--stop-signal") { Description = "Signal to stop the container" };
    public readonly Option<string?> StopTimeout = new("--stop-timeout") { Description = "Timeout (in seconds) to stop a container" };
    public readonly Option<string[]> AddHost = new("--add-host") { Description = "Add a custom host-to-IP mapping (host:ip)" };
    public readonly Option<string[]> Dns = new("--dns") { Description = "Set custom DNS servers" };
    public readonly Option<string[]> NetworkAlias = new("--network-alias") { Description = "Add network-scoped alias for the container" };
    public readonly Option<string?> Ip = new("--ip") { Description = "IPv4 address (e.g., 172.30.100.104)" };
    public readonly Option<string?> MacAddress = new("--mac-address") { Description = "Container MAC address (e.g., 92:d0:c6:0a:29:33)" };
    public readonly Option<bool> PublishAll = new("--publish-all", "-P") { Description = "Publish all exposed ports to random ports" };
    public readonly Option<string[]> CapAdd = new("--cap-add") { Description = "Add Linux capabilities" };
    public readonly Option<string[]> CapDrop = new("--cap-drop") { Description = "Drop Linux capabilities" };
    public readonly Option<string?> ShmSize = new("--shm-size") { Description = "Size of /dev/shm" };
    public readonly Option<bool> Privileged = new("--privileged") { Description = "Give extended privileges to this container (all capabilities, all devices, no seccomp, /sys writable)" };
    public readonly Option<string[]> Device = new("--device") { Description = "Add a host device to the container" };
    public readonly Option<string[]> DeviceCgroupRule = new("--device-cgroup-rule") { Description = "Add a rule to the cgroup allowed devices list" };
    public readonly Option<string[]> SecurityOpt = new("--security-opt") { Description = "Security Options (no-new-privileges, seccomp=unconfined|PROFILE.json, systempaths=unconfined)" };
    public readonly Option<string?> HealthCmd = new("--health-cmd") { Description = "Command to run to check health" };
    public readonly Option<string?> HealthInterval = new("--health-interval") { Description = "Time between running the check (ms|s|m|h) (default 0s)" };
    public readonly Option<string?> HealthTimeout = new("--health-timeout") { Description = "Maximum time to allow one check to run (ms|s|m|h) (default 0s)" };
    public readonly Option<string?> HealthStartPeriod = new("--health-start-period") { Description = "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)" };
    public readonly Option<string?> HealthStartInterval = new("--health-start-interval") { Description = "Time between running the check during the start period (ms|s|m|h) (default 0s)" };
    public readonly Option<string?> HealthRetries = new("--health-retries") { Description = "Consecutive failures needed to report unhealthy" };
    public readonly Option<bool> NoHealthcheck = new("--no-healthcheck") { Description = "Disable any container-specified HEALTHCHECK" };
    public readonly ContainerModeFlags Modes = new();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
        {
            Interactive, Tty, Rm, Name, Env, EnvFile, Workdir, User, Hostname, Entrypoint, Memory, MemorySwap, MemoryReservation,
            Cpus, CpuShares, CpusetCpus, CpusetMems, MemorySwappiness, PidsLimit, ReadOnly, Init, Userns, Network, Volume, Mount, Tmpfs, VolumesFrom, Publish, Expose, Label, Restart, StopSignal, StopTimeout,
            AddHost, Dns, CapAdd, CapDrop, ShmSize, NetworkAlias, Ip, MacAddress, PublishAll, Privileged, SecurityOpt, Device, DeviceCgroupRule,
            HealthCmd, HealthInterval, HealthTimeout, HealthStartPeriod, HealthStartInterval, HealthRetries, NoHealthcheck,
        }.Concat(Modes.All))
            command.Options.Add(option);
    }

    /// <summary>Builds the ContainerConfig for POST /containers/create.</summary>
    /// <param name="detached">run -d (or create): nothing is attached.</param>
    /// <param name="consoleSize">rows and columns of the user's terminal, for a TTY container.</param>
    public JsonObject BuildConfig(ParseResult parse, string image, IReadOnlyList<string> command, bool detached,
        Func<string, string?> lookupEnv, (int Rows, int Cols)? consoleSize)
    {
        bool interactive = parse.GetValue(Interactive);
        bool tty = parse.GetValue(Tty);

        var config = new JsonObject
        {
            ["Hostname"] = parse.GetValue(Hostname) ?? "",
            ["User"] = parse.GetValue(User) ?? "",
            ["AttachStdin"] = interactive && !detached,
            ["AttachStdout"] = !detached,
            ["AttachStderr"] = !detached,
            ["Tty"] = tty,
            ["OpenStdin"] = interactive,
            // docker closes the container's stdin when the attached client's stdin ends.
            ["StdinOnce"] = interactive && !detached,
            ["Env"] = Strings(BuildEnv(parse, lookupEnv)),
            ["Cmd"] = command.Count > 0 ? Strings(command) : null,
            ["Image"] = image,
            ["WorkingDir"] = parse.GetValue(Workdir) ?? "",
            ["Labels"] = KeyValues(parse.GetValue(Label) ?? [], Label),
        };

        // --entrypoint "" resets the image's entrypoint; docker sends [""] for that.
        if (parse.GetResult(Entrypoint) is not null)
            config["Entrypoint"] = Strings([parse.GetValue(Entrypoint) ?? ""]);
        if (parse.GetValue(StopSignal) is { } stopSignal) config["StopSignal"] = stopSignal;
        if (FlagValues.Int(parse, StopTimeout) is { } stopTimeout) config["StopTimeout"] = stopTimeout;
        if (Healthcheck(parse) is { } healthcheck) config["Healthcheck"] = healthcheck;

        var hostConfig = new JsonObject();
        var exposed = new JsonObject();
        var bindings = new JsonObject();
        foreach (string spec in parse.GetValue(Publish) ?? [])
        {
            try { PortSpec.Add(spec, exposed, bindings); }
            catch (FormatException e) { throw new UsageException(e.Message); }
        }
        foreach (string spec in parse.GetValue(Expose) ?? []) exposed[PortKey(spec, Expose)] = new JsonObject();
        if (exposed.Count > 0) config["ExposedPorts"] = exposed;
        if (bindings.Count > 0) hostConfig["PortBindings"] = bindings;

        var binds = new List<string>();
        var volumes = new JsonObject();
        foreach (string spec in parse.GetValue(Volume) ?? [])
        {
            if (spec.Length == 0) throw FlagValues.Invalid(Volume, spec, "invalid empty volume spec");
            // "/data" alone is an anonymous volume; "src:/dst[:opts]" a bind or named volume.
            if (spec.Contains(':')) binds.Add(WithAbsoluteSource(spec)); else volumes[spec] = new JsonObject();
        }
        if (volumes.Count > 0) config["Volumes"] = volumes;
        // ... as in docker's CLI since 23.0, a source starting with "." (./my.cnf, ../data) is a host path relative
        // to the working directory, sent to the daemon as an absolute one; a volume name cannot start with ".".
        static string WithAbsoluteSource(string spec) =>
            spec.StartsWith('.') ? Path.GetFullPath(spec[..spec.IndexOf(':')]) + spec[spec.IndexOf(':')..] : spec;
        if (binds.Count > 0) hostConfig["Binds"] = Strings(binds);

        var mounts = new JsonArray();
        foreach (string spec in parse.GetValue(Mount) ?? [])
        {
            try { mounts.Add((JsonNode)MountSpec.Parse(spec)); }
            catch (FormatException e) { throw FlagValues.Invalid(Mount, spec, e.Message); }
        }
        if (mounts.Count > 0) hostConfig["Mounts"] = mounts;

        // --tmpfs /run:rw,size=64m → {"/run": "rw,size=64m"}: the Engine API's map of path to mount options.
        var tmpfs = new JsonObject();
        foreach (string spec in parse.GetValue(Tmpfs) ?? [])
        {
            int colon = spec.IndexOf(':');
            string path = colon < 0 ? spec : spec[..colon];
            if (path.Length == 0) throw FlagValues.Invalid(Tmpfs, spec, "invalid empty tmpfs path");
            tmpfs[path] = colon < 0 ? "" : spec[(colon + 1)..];
        }
        if (tmpfs.Count > 0) hostConfig["Tmpfs"] = tmpfs;

        // CONTAINER[:ro|:rw] as typed: docker's client sends them unchecked and the daemon judges the mode.
        if (parse.GetValue(VolumesFrom) is { Length: > 0 } from) hostConfig["VolumesFrom"] = Strings(from);

        if (parse.GetValue(Network) is { } network) hostConfig["NetworkMode"] = network;
        if (parse.GetValue(PublishAll)) hostConfig["PublishAllPorts"] = true;
        if (NetworkingConfig(parse) is { } networking) config["NetworkingConfig"] = networking;
        if (parse.GetValue(Restart) is { } restart) hostConfig["RestartPolicy"] = RestartPolicy(restart);
        hostConfig["AutoRemove"] = parse.GetValue(Rm);
        if (FlagValues.Memory(parse, Memory) is { } memory) hostConfig["Memory"] = memory;
        if (FlagValues.Memory(parse, MemorySwap, allowMinusOne: true) is { } swap) hostConfig["MemorySwap"] = swap;
        if (FlagValues.Memory(parse, MemoryReservation) is { } reservation) hostConfig["MemoryReservation"] = reservation;
        if (FlagValues.Memory(parse, ShmSize) is { } shm) hostConfig["ShmSize"] = shm;
        if (FlagValues.NanoCpus(parse, Cpus) is { } nano) hostConfig["NanoCpus"] = nano;
        if (FlagValues.Long(parse, CpuShares) is { } shares) hostConfig["CpuShares"] = shares;
        if (FlagValues.Long(parse, PidsLimit) is { } pids) hostConfig["PidsLimit"] = pids;
        if (parse.GetValue(CpusetCpus) is { } cpusetCpus) hostConfig["CpusetCpus"] = cpusetCpus;
        if (parse.GetValue(CpusetMems) is { } cpusetMems) hostConfig["CpusetMems"] = cpusetMems;
        if (FlagValues.Long(parse, MemorySwappiness) is { } swappiness) hostConfig["MemorySwappiness"] = swappiness;
        if (parse.GetValue(ReadOnly)) hostConfig["ReadonlyRootfs"] = true;
        if (parse.GetValue(Privileged)) hostConfig["Privileged"] = true;
        if (parse.GetValue(Init)) hostConfig["Init"] = true;
        if (parse.GetValue(Userns) is { } userns) hostConfig["UsernsMode"] = userns;
        if (parse.GetValue(AddHost) is { Length: > 0 } hosts) hostConfig["ExtraHosts"] = Strings(hosts.Select(h => AddHostEntry(h)));
        if (parse.GetValue(Dns) is { Length: > 0 } dns) hostConfig["Dns"] = Strings(dns);
        if (parse.GetValue(CapAdd) is { Length: > 0 } capAdd) hostConfig["CapAdd"] = Strings(capAdd);
        if (parse.GetValue(CapDrop) is { Length: > 0 } capDrop) hostConfig["CapDrop"] = Strings(capDrop);
        AddDevices(parse, hostConfig);
        if (tty && consoleSize is { } size) hostConfig["ConsoleSize"] = new JsonArray(size.Rows, size.Cols);
        var (securityOpts, systemPathsUnconfined) = Flags.SecurityOpts.Prepare(parse.GetValue(SecurityOpt) ?? []);
        if (securityOpts.Count > 0) hostConfig["SecurityOpt"] = Strings(securityOpts);
        if (systemPathsUnconfined) { hostConfig["MaskedPaths"] = new JsonArray(); hostConfig["ReadonlyPaths"] = new JsonArray(); }

        Modes.AddTo(hostConfig, parse);

        config["HostConfig"] = hostConfig;
        return config;
    }

    /// <summary>--device → HostConfig.Devices, --device-cgroup-rule → HostConfig.DeviceCgroupRules (checked as docker checks them).</summary>
    void AddDevices(ParseResult parse, JsonObject hostConfig)
    {
        var devices = new JsonArray();
        foreach (string spec in parse.GetValue(Device) ?? [])
        {
            DeviceFlag.Mapping m;
            try { m = DeviceFlag.Parse(spec); }
            catch (FormatException e) { throw new UsageException(e.Message); }
            devices.Add((JsonNode)new JsonObject { ["PathOnHost"] = m.PathOnHost, ["PathInContainer"] = m.PathInContainer, ["CgroupPermissions"] = m.CgroupPermissions });
        }
        if (devices.Count > 0) hostConfig["Devices"] = devices;
        var rules = new List<string>();
        foreach (string rule in parse.GetValue(DeviceCgroupRule) ?? [])
        {
            try { rules.Add(DeviceFlag.ValidateCgroupRule(rule)); }
            catch (FormatException e) { throw FlagValues.Invalid(DeviceCgroupRule, rule, e.Message); }
        }
        if (rules.Count > 0) hostConfig["DeviceCgroupRules"] = Strings(rules);
    }

    /// <summary>--network-alias, --ip and --mac-address: the endpoint settings of the --network the container joins
    /// (where docker's CLI puts the MAC too, since API 1.44).</summary>
    JsonObject? NetworkingConfig(ParseResult parse)
    {
        string[] aliases = parse.GetValue(NetworkAlias) ?? [];
        string? ip = parse.GetValue(Ip), mac = parse.GetValue(MacAddress);
        if (aliases.Length == 0 && string.IsNullOrEmpty(ip) && string.IsNullOrEmpty(mac)) return null;
        string network = parse.GetValue(Network) ?? "default";
        var endpoint = new JsonObject();
        if (aliases.Length > 0) endpoint["Aliases"] = Strings(aliases);
        if (!string.IsNullOrEmpty(ip)) endpoint["IPAMConfig"] = new JsonObject { ["IPv4Address"] = ip };
        if (!string.IsNullOrEmpty(mac)) endpoint["MacAddress"] = mac;
        return new JsonObject { ["EndpointsConfig"] = new JsonObject { [network] = endpoint } };
    }

    /// <summary>--env-file entries first, then -e, as docker orders them.</summary>
    List<string> BuildEnv(ParseResult parse, Func<string, string?> lookupEnv)
    {
        var env = new List<string>();
        foreach (string file in parse.GetValue(EnvFile) ?? [])
        {
            try { env.AddRange(Flags.EnvFile.ReadFile(file, lookupEnv)); }
            catch (FormatException e) { throw FlagValues.Invalid(EnvFile, file, e.Message); }
            catch (IOException e) { throw FlagValues.Invalid(EnvFile, file, $"open {file}: {e.Message}"); }
            catch (UnauthorizedAccessException) { throw FlagValues.Invalid(EnvFile, file, $"open {file}: permission denied"); }
        }
        foreach (string value in parse.GetValue(Env) ?? [])
        {
            try { env.Add(Flags.EnvFile.ParseFlag(value, lookupEnv)); }
            catch (FormatException e) { throw FlagValues.Invalid(Env, value, e.Message); }
        }
        return env;
    }

    static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    internal static JsonObject KeyValues(IEnumerable<string> pairs, Option option)
    {
        var o = new JsonObject();
        foreach (string pair in pairs)
        {
            int eq = pair.IndexOf('=');
            if (eq == 0) throw FlagValues.Invalid(option, pair, "invalid label: empty key");
            o[eq < 0 ? pair : pair[..eq]] = eq < 0 ? "" : pair[(eq + 1)..];
        }
        return o;
    }

    /// <summary>
    /// --health-* → Config.Healthcheck ({"Test": ["CMD-SHELL", cmd], "Interval": ns, …}); --no-healthcheck → {"Test": ["NONE"]}.
    /// As docker: only the flags given are sent (the daemon fills the rest from the image's HEALTHCHECK), a negative
    /// value is refused here, and --no-healthcheck with any --health-* flag is a conflict.
    /// </summary>
    JsonObject? Healthcheck(ParseResult parse)
    {
        string? cmd = parse.GetValue(HealthCmd);
        long interval = Nanoseconds(parse, HealthInterval), timeout = Nanoseconds(parse, HealthTimeout),
            startPeriod = Nanoseconds(parse, HealthStartPeriod), startInterval = Nanoseconds(parse, HealthStartInterval);
        int retries = FlagValues.Int(parse, HealthRetries) ?? 0;
        bool any = !string.IsNullOrEmpty(cmd) || interval != 0 || timeout != 0 || startPeriod != 0 || startInterval != 0 || retries != 0;
        if (parse.GetValue(NoHealthcheck))
        {
            if (any) throw new UsageException("--no-healthcheck conflicts with --health-* options");
            return new JsonObject { ["Test"] = new JsonArray("NONE") };
        }
        if (!any) return null;
        foreach (var (value, option) in new[] { (interval, HealthInterval), (timeout, HealthTimeout), (retries, HealthRetries), (startPeriod, HealthStartPeriod), (startInterval, HealthStartInterval) })
            if (value < 0) throw new UsageException($"{option.Name} cannot be negative");
        var health = new JsonObject();
        if (!string.IsNullOrEmpty(cmd)) health["Test"] = new JsonArray("CMD-SHELL", cmd);
        if (interval != 0) health["Interval"] = interval;
        if (timeout != 0) health["Timeout"] = timeout;
        if (startPeriod != 0) health["StartPeriod"] = startPeriod;
        if (startInterval != 0) health["StartInterval"] = startInterval;
        if (retries != 0) health["Retries"] = retries;
        return health;
    }

    /// <summary>A Go duration flag ("500ms", "1m30s") in nanoseconds; 0 when not given.</summary>
    static long Nanoseconds(ParseResult parse, Option<string?> option)
    {
        string? text = parse.GetValue(option);
        if (text is null) return 0;
        if (!GoDuration.TryParse(text, out TimeSpan d)) throw FlagValues.Invalid(option, text, $"time: invalid duration \"{text}\"");
        return d.Ticks * 100;
    }

    JsonObject RestartPolicy(string spec) => ParseRestartPolicy(Restart, spec);

    /// <summary>"no", "always", "unless-stopped", "on-failure[:N]" (run, create and update's --restart).</summary>
    internal static JsonObject ParseRestartPolicy(Option<string?> Restart, string spec)
    {
        string name = spec, countText = "";
        int colon = spec.IndexOf(':');
        if (colon >= 0) { name = spec[..colon]; countText = spec[(colon + 1)..]; }
        if (name is not ("no" or "always" or "unless-stopped" or "on-failure"))
            throw FlagValues.Invalid(Restart, spec, $"invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
        int count = 0;
        if (countText.Length > 0 && (name != "on-failure" || !int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out count)))
            throw FlagValues.Invalid(Restart, spec, "invalid restart policy format: maximum retry count must be an integer");
        return new JsonObject { ["Name"] = name == "no" ? "no" : name, ["MaximumRetryCount"] = count };
    }

    static bool IsPort(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and <= 65535;

    string PortKey(string spec, Option option)
    {
        string port = spec, proto = "tcp";
        int slash = spec.IndexOf('/');
        if (slash >= 0) { port = spec[..slash]; proto = spec[(slash + 1)..]; }
        if (!IsPort(port)) throw FlagValues.Invalid(option, spec, $"invalid range format for --expose: {spec}");
        return port + "/" + proto;
    }

    /// <summary>--add-host name:ip (docker also accepts name=ip); sent as "name:ip".</summary>
    string AddHostEntry(string spec)
    {
        int sep = spec.IndexOf('=');
        if (sep < 0) sep = spec.IndexOf(':');
        if (sep <= 0 || sep == spec.Length - 1) throw FlagValues.Invalid(AddHost, spec, $"bad format for add-host: \"{spec}\"");
        return spec[..sep] + ":" + spec[(sep + 1)..];
    }
}
