using System.Globalization;
using System.Text.RegularExpressions;
using MiniContainer.Cli.Flags;
using YamlDotNet.RepresentationModel;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// The merged YAML tree → <see cref="ComposeProject"/>. Every key is either read into the model or refused with the
/// file, line and key: a key this CLI does not honour is never dropped silently.
/// </summary>
internal sealed partial class ServiceReader(ComposeSources sources, string firstFile, string workingDir, string projectName, Func<string, string?> lookup)
{
    static readonly HashSet<string> TopLevelKeys = ["version", "name", "services", "networks", "volumes"];

    public ComposeProject Read(YamlMappingNode root, IReadOnlyList<string> files, IReadOnlySet<string> activeProfiles)
    {
        foreach (var (key, _) in root.Children)
        {
            string k = ComposeSources.KeyText(key);
            if (!TopLevelKeys.Contains(k) && !k.StartsWith("x-", StringComparison.Ordinal)) throw Unsupported(key, "", k);
        }
        var networks = new Dictionary<string, ComposeNetwork>();
        if (ComposeSources.Child(root, "networks") is { } netsNode)
            foreach (var (key, value) in Map(netsNode, "networks")) networks[KeyName(key, "networks")] = ReadNetwork(KeyName(key, "networks"), value);
        var volumes = new Dictionary<string, ComposeVolume>();
        if (ComposeSources.Child(root, "volumes") is { } volsNode)
            foreach (var (key, value) in Map(volsNode, "volumes")) volumes[KeyName(key, "volumes")] = ReadVolume(KeyName(key, "volumes"), value);

        var servicesNode = ComposeSources.Child(root, "services");
        if (servicesNode is null || servicesNode is YamlMappingNode { Children.Count: 0 })
            throw new ComposeFileException($"{firstFile}: no service selected: the file has no services");
        var all = new Dictionary<string, (ComposeService Service, YamlNode Key)>();
        foreach (var (key, value) in Map(servicesNode, "services"))
        {
            string name = KeyName(key, "services");
            if (!ServiceName().IsMatch(name)) throw Error(key, "services", $"invalid service name \"{name}\": only [a-zA-Z0-9._-] are allowed");
            all[name] = (ReadService(name, value), key);
        }

        // Profiles: a service that names profiles runs only when one of them is active (--profile, COMPOSE_PROFILES).
        var enabled = all.Where(s => s.Value.Service.Profiles.Count == 0 || s.Value.Service.Profiles.Any(activeProfiles.Contains))
                         .ToDictionary(s => s.Key, s => s.Value);

        bool defaultUsed = false;
        foreach (var (name, (service, key)) in enabled)
        {
            foreach (var (dep, d) in service.DependsOn)
            {
                if (!all.ContainsKey(dep)) throw Error(key, $"services.{name}.depends_on", $"service \"{name}\" depends on undefined service \"{dep}\"");
                if (!enabled.ContainsKey(dep) && d.Required)
                    throw Error(key, $"services.{name}.depends_on", $"service \"{name}\" depends on service \"{dep}\", which is disabled by its profiles");
            }
            foreach (var (net, _) in service.Networks)
            {
                if (net == ComposeProject.DefaultNetwork) defaultUsed = true;
                else if (!networks.ContainsKey(net)) throw Error(key, $"services.{name}.networks", $"service \"{name}\" refers to undefined network {net}: invalid compose project");
            }
            foreach (var m in service.Volumes)
                if (m.Type == "volume" && m.Source.Length > 0 && !volumes.ContainsKey(m.Source))
                    throw Error(key, $"services.{name}.volumes", $"service \"{name}\" refers to undefined volume {m.Source}: invalid compose project");
        }
        if (defaultUsed && !networks.ContainsKey(ComposeProject.DefaultNetwork))
            networks[ComposeProject.DefaultNetwork] = new ComposeNetwork(ComposeProject.DefaultNetwork, $"{projectName}_default", false, null, [], []);

        var services = enabled.ToDictionary(s => s.Key, s => s.Value.Service);
        DependencyOrder.Sort(services);   // reports cycles now, before anything is created
        return new ComposeProject(projectName, workingDir, files, services, networks, volumes);
    }

    // ───────────── services ─────────────

    ComposeService ReadService(string name, YamlNode node)
    {
        string p = "services." + name;
        var map = node as YamlMappingNode ?? throw Error(node, p, "must be a mapping");
        var s = new ComposeService { Name = name };
        var env = new List<KeyValuePair<string, string>>();
        var fromEnvironment = new List<KeyValuePair<string, string>>();
        foreach (var (keyNode, v) in map.Children)
        {
            string key = ComposeSources.KeyText(keyNode), kp = p + "." + key;
            switch (key)
            {
                case "image": s = s with { Image = Str(v, kp) }; break;
                case "build": s = s with { Build = ReadBuild(v, kp) }; break;
                case "command": s = s with { Command = Command(v, kp) }; break;
                case "entrypoint": s = s with { Entrypoint = Command(v, kp) }; break;
                case "environment":
                    foreach (var (k, val) in Map(v, kp))
                    {
                        string varName = KeyName(k, kp);
                        // "FOO" or "FOO:" with no value: the value this shell (or .env) has, or nothing.
                        string? value = Nullable(val, kp + "." + varName) ?? lookup(varName);
                        if (value is not null) fromEnvironment.Add(new(varName, value));
                    }
                    break;
                case "env_file":
                    foreach (var (fileNode, file) in StrList(v, kp, allowScalar: true, itemKeys: ["path", "required"]))
                    {
                        string path = Path.GetFullPath(file.Path, workingDir);
                        if (!File.Exists(path))
                        {
                            if (!file.Required) continue;
                            throw Error(fileNode, kp, $"env file {path} not found: stat {path}: no such file or directory");
                        }
                        env.AddRange(DotEnv.ReadFile(path, lookup));
                    }
                    break;
                case "ports": s = s with { Ports = ReadPorts(v, kp) }; break;
                case "expose":
                    s = s with { Expose = Seq(v, kp).Select(item => ExposeEntry(item, kp)).ToList() };
                    break;
                case "volumes": s = s with { Volumes = Seq(v, kp).Select(item => ReadMount(item, kp)).ToList() }; break;
                case "tmpfs":
                    s = s with { Tmpfs = StrList(v, kp, allowScalar: true).Select(t => Tmpfs(t.Value.Path)).ToList() };
                    break;
                case "networks": s = s with { Networks = ReadServiceNetworks(v, kp) }; break;
                case "depends_on": s = s with { DependsOn = ReadDependsOn(v, kp) }; break;
                case "restart":
                    string restart = Str(v, kp);
                    if (!RestartPolicy().IsMatch(restart))
                        throw Error(v, kp, $"invalid restart policy \"{restart}\": use one of no, always, on-failure[:max-retries], unless-stopped");
                    s = s with { Restart = restart };
                    break;
                case "healthcheck": s = s with { Healthcheck = ReadHealthcheck(v, kp) }; break;
                case "container_name": s = s with { ContainerName = Str(v, kp) }; break;
                case "hostname": s = s with { Hostname = Str(v, kp) }; break;
                case "working_dir": s = s with { WorkingDir = Str(v, kp) }; break;
                case "user": s = s with { User = Str(v, kp) }; break;
                case "labels":
                    s = s with { Labels = StringMap(v, kp) };
                    break;
                case "stop_signal": s = s with { StopSignal = Str(v, kp) }; break;
                case "stop_grace_period": s = s with { StopGracePeriodNs = Duration(v, kp) }; break;
                case "mem_limit": s = s with { MemLimit = Bytes(v, kp) }; break;
                case "cpus": s = s with { Cpus = Cpus(v, kp) }; break;
                case "init": s = s with { Init = Bool(v, kp) }; break;
                case "profiles": s = s with { Profiles = StrList(v, kp, allowScalar: false).Select(x => x.Value.Path).ToList() }; break;
                case "deploy": s = ReadDeploy(s, v, kp); break;
                default:
                    if (!key.StartsWith("x-", StringComparison.Ordinal)) throw Unsupported(keyNode, p, key);
                    break;
            }
        }
        // env_file first, then environment; a later value of the same name wins (compose's order).
        var merged = new List<KeyValuePair<string, string>>();
        foreach (var kv in env.Concat(fromEnvironment))
        {
            merged.RemoveAll(e => e.Key == kv.Key);
            merged.Add(kv);
        }
        s = s with { Environment = merged };
        if (s.Image is null && s.Build is null) throw Error(node, p, $"service \"{name}\" has neither an image nor a build context specified: invalid compose project");
        if (s.Networks.Count == 0) s = s with { Networks = [new(ComposeProject.DefaultNetwork, new ComposeServiceNetwork([], null))] };
        return s;
    }

    ComposeBuild ReadBuild(YamlNode v, string p)
    {
        if (v is YamlScalarNode) return new ComposeBuild(Path.GetFullPath(Str(v, p), workingDir), null, new Dictionary<string, string?>(), null);
        string context = ".";
        string? dockerfile = null, target = null;
        var args = new Dictionary<string, string?>();
        foreach (var (k, val) in Map(v, p))
        {
            string key = ComposeSources.KeyText(k);
            switch (key)
            {
                case "context": context = Str(val, p + ".context"); break;
                case "dockerfile": dockerfile = Str(val, p + ".dockerfile"); break;
                case "target": target = Str(val, p + ".target"); break;
                case "args":
                    foreach (var (ak, av) in Map(val, p + ".args")) args[KeyName(ak, p + ".args")] = Nullable(av, p + ".args") ?? lookup(KeyName(ak, p + ".args"));
                    break;
                default: throw Unsupported(k, p, key);
            }
        }
        return new ComposeBuild(Path.GetFullPath(context, workingDir), dockerfile, args, target);
    }

    ComposeService ReadDeploy(ComposeService s, YamlNode v, string p)
    {
        foreach (var (k, val) in Map(v, p))
        {
            if (ComposeSources.KeyText(k) != "resources") throw Unsupported(k, p, ComposeSources.KeyText(k));
            foreach (var (rk, rv) in Map(val, p + ".resources"))
            {
                if (ComposeSources.KeyText(rk) != "limits") throw Unsupported(rk, p + ".resources", ComposeSources.KeyText(rk));
                string lp = p + ".resources.limits";
                foreach (var (lk, lv) in Map(rv, lp))
                {
                    switch (ComposeSources.KeyText(lk))
                    {
                        case "memory": s = s with { MemLimit = Bytes(lv, lp + ".memory") }; break;
                        case "cpus": s = s with { Cpus = Cpus(lv, lp + ".cpus") }; break;
                        default: throw Unsupported(lk, lp, ComposeSources.KeyText(lk));
                    }
                }
            }
        }
        return s;
    }

    List<ComposePort> ReadPorts(YamlNode v, string p)
    {
        var ports = new List<ComposePort>();
        foreach (var item in Seq(v, p))
        {
            if (item is YamlMappingNode m)
            {
                string target = "", published = "", hostIp = "", protocol = "tcp";
                foreach (var (k, val) in m.Children)
                {
                    switch (ComposeSources.KeyText(k))
                    {
                        case "target": target = Str(val, p + ".target"); break;
                        case "published": published = Str(val, p + ".published"); break;
                        case "host_ip": hostIp = Str(val, p + ".host_ip"); break;
                        case "protocol": protocol = Str(val, p + ".protocol"); break;
                        case "mode":
                            if (Str(val, p + ".mode") != "host" && Str(val, p + ".mode") != "ingress") throw Error(val, p + ".mode", "mode must be host or ingress");
                            break;
                        default: throw Unsupported(k, p, ComposeSources.KeyText(k));
                    }
                }
                if (target.Length == 0) throw Error(m, p, "a port needs a target");
                ports.Add(Checked(new ComposePort(hostIp, published, target, protocol), m, p));
                continue;
            }
            string spec = Str(item, p);
            // Check the short form with the CLI's -p parser, then keep its parts.
            try { PortSpec.Add(spec, new(), new()); }
            catch (FormatException e) { throw Error(item, p, $"invalid port \"{spec}\": {e.Message}"); }
            string rest = spec, proto = "tcp";
            int slash = rest.LastIndexOf('/');
            if (slash >= 0) { proto = rest[(slash + 1)..]; rest = rest[..slash]; }
            string ip = "";
            if (rest.StartsWith('['))
            {
                int close = rest.IndexOf(']');
                ip = rest[1..close];
                rest = rest[(close + 2)..];
            }
            var parts = rest.Split(':');
            if (parts.Length == 3) { ip = parts[0]; parts = parts[1..]; }
            ports.Add(parts.Length == 2 ? new ComposePort(ip, parts[0], parts[1], proto) : new ComposePort(ip, "", parts[0], proto));
        }
        return ports;
    }

    ComposePort Checked(ComposePort port, YamlNode node, string p)
    {
        try { PortSpec.Add(port.ToSpec(), new(), new()); }
        catch (FormatException e) { throw Error(node, p, $"invalid port: {e.Message}"); }
        return port;
    }

    string ExposeEntry(YamlNode item, string p)
    {
        string text = Str(item, p);
        string port = text.Contains('/') ? text : text + "/tcp";
        if (!ExposePattern().IsMatch(port)) throw Error(item, p, $"invalid expose \"{text}\": a port, optionally /tcp, /udp or /sctp");
        return port;
    }

    ComposeMount ReadMount(YamlNode item, string p)
    {
        if (item is YamlMappingNode m)
        {
            string type = "volume", source = "", target = "";
            bool ro = false;
            foreach (var (k, val) in m.Children)
            {
                switch (ComposeSources.KeyText(k))
                {
                    case "type": type = Str(val, p + ".type"); break;
                    case "source": source = Str(val, p + ".source"); break;
                    case "target": target = Str(val, p + ".target"); break;
                    case "read_only": ro = Bool(val, p + ".read_only"); break;
                    default: throw Unsupported(k, p, ComposeSources.KeyText(k));
                }
            }
            if (type is not ("volume" or "bind" or "tmpfs")) throw Error(m, p + ".type", $"unsupported volume type \"{type}\": use volume, bind or tmpfs");
            if (!target.StartsWith('/')) throw Error(m, p + ".target", $"invalid mount target \"{target}\": must be an absolute path");
            if (type == "bind") source = HostPath(source);
            return new ComposeMount(type, source, target, ro);
        }
        string spec = Str(item, p);
        var (src, dst, mode) = VolumeSyntax.SplitShort(spec);
        if (!dst.StartsWith('/')) throw Error(item, p, $"invalid volume \"{spec}\": the container path must be absolute");
        if (mode is not ("" or "ro" or "rw")) throw Error(item, p, $"invalid volume \"{spec}\": unsupported mode \"{mode}\" (ro or rw)");
        if (src.Length == 0) return new ComposeMount("volume", "", dst, mode == "ro");
        return VolumeSyntax.IsPath(src) ? new ComposeMount("bind", HostPath(src), dst, mode == "ro") : new ComposeMount("volume", src, dst, mode == "ro");
    }

    /// <summary>A bind source relative to the project directory ("./data") or the home directory ("~/data"), made absolute.</summary>
    string HostPath(string source)
    {
        if (source.StartsWith('~')) source = (lookup("HOME") ?? "/root") + source[1..];
        return Path.GetFullPath(source, workingDir);
    }

    static KeyValuePair<string, string> Tmpfs(string spec)
    {
        int colon = spec.IndexOf(':');
        return colon < 0 ? new(spec, "") : new(spec[..colon], spec[(colon + 1)..]);
    }

    List<KeyValuePair<string, ComposeServiceNetwork>> ReadServiceNetworks(YamlNode v, string p)
    {
        var list = new List<KeyValuePair<string, ComposeServiceNetwork>>();
        foreach (var (k, val) in Map(v, p))
        {
            string name = KeyName(k, p), np = p + "." + name;
            var aliases = new List<string>();
            string? ip = null;
            if (val is YamlMappingNode m)
                foreach (var (ek, ev) in m.Children)
                {
                    switch (ComposeSources.KeyText(ek))
                    {
                        case "aliases": aliases.AddRange(StrList(ev, np + ".aliases", allowScalar: false).Select(a => a.Value.Path)); break;
                        case "ipv4_address": ip = Str(ev, np + ".ipv4_address"); break;
                        default: throw Unsupported(ek, np, ComposeSources.KeyText(ek));
                    }
                }
            else if (Nullable(val, np) is not null) throw Error(val, np, "must be a mapping (aliases, ipv4_address) or empty");
            list.Add(new(name, new ComposeServiceNetwork(aliases, ip)));
        }
        return list;
    }

    List<KeyValuePair<string, ComposeDependency>> ReadDependsOn(YamlNode v, string p)
    {
        var list = new List<KeyValuePair<string, ComposeDependency>>();
        foreach (var (k, val) in Map(v, p))
        {
            string name = KeyName(k, p), dp = p + "." + name;
            string condition = "service_started";
            bool required = true;
            foreach (var (ck, cv) in Map(val, dp))
            {
                switch (ComposeSources.KeyText(ck))
                {
                    case "condition":
                        condition = Str(cv, dp + ".condition");
                        if (condition is not ("service_started" or "service_healthy" or "service_completed_successfully"))
                            throw Error(cv, dp + ".condition", $"invalid condition \"{condition}\": use service_started, service_healthy or service_completed_successfully");
                        break;
                    case "required": required = Bool(cv, dp + ".required"); break;
                    default: throw Unsupported(ck, dp, ComposeSources.KeyText(ck));
                }
            }
            list.Add(new(name, new ComposeDependency(condition, required)));
        }
        return list;
    }

    ComposeHealthcheck ReadHealthcheck(YamlNode v, string p)
    {
        IReadOnlyList<string>? test = null;
        long? interval = null, timeout = null, startPeriod = null, startInterval = null;
        int? retries = null;
        bool disable = false;
        foreach (var (k, val) in Map(v, p))
        {
            string key = ComposeSources.KeyText(k), kp = p + "." + key;
            switch (key)
            {
                case "test":
                    // A string is a shell command (CMD-SHELL); a list starts with NONE, CMD or CMD-SHELL.
                    if (val is YamlScalarNode) test = ["CMD-SHELL", Str(val, kp)];
                    else
                    {
                        test = StrList(val, kp, allowScalar: false).Select(t => t.Value.Path).ToList();
                        if (test.Count == 0 || test[0] is not ("NONE" or "CMD" or "CMD-SHELL"))
                            throw Error(val, kp, "a test list must start with NONE, CMD or CMD-SHELL");
                    }
                    break;
                case "interval": interval = Duration(val, kp); break;
                case "timeout": timeout = Duration(val, kp); break;
                case "start_period": startPeriod = Duration(val, kp); break;
                case "start_interval": startInterval = Duration(val, kp); break;
                case "retries":
                    if (!int.TryParse(Str(val, kp), NumberStyles.None, CultureInfo.InvariantCulture, out int r)) throw Error(val, kp, "must be a whole number");
                    retries = r;
                    break;
                case "disable": disable = Bool(val, kp); break;
                default: throw Unsupported(k, p, key);
            }
        }
        return new ComposeHealthcheck(test, interval, timeout, retries, startPeriod, startInterval, disable);
    }

    // ───────────── top-level networks and volumes ─────────────

    ComposeNetwork ReadNetwork(string key, YamlNode node)
    {
        var subnets = new List<KeyValuePair<string, string?>>();
        var r = ReadResource("network", key, node, "bridge", (k, v, kp) =>
        {
            if (k != "ipam") return false;
            subnets.AddRange(ReadIpam(v, kp));
            return true;
        });
        if (r.External && subnets.Count > 0) throw Error(node, "networks." + key, $"conflicting parameters \"external\" and \"ipam\" specified for network \"{key}\"");
        return new ComposeNetwork(key, r.Name, r.External, r.Driver, r.Labels, subnets);
    }

    IEnumerable<KeyValuePair<string, string?>> ReadIpam(YamlNode v, string p)
    {
        var result = new List<KeyValuePair<string, string?>>();
        foreach (var (k, val) in Map(v, p))
        {
            switch (ComposeSources.KeyText(k))
            {
                case "driver":
                    if (Str(val, p + ".driver") != "default") throw Error(val, p + ".driver", "only the default IPAM driver");
                    break;
                case "config":
                    foreach (var item in Seq(val, p + ".config"))
                    {
                        string? subnet = null, gateway = null;
                        foreach (var (ck, cv) in Map(item, p + ".config"))
                        {
                            switch (ComposeSources.KeyText(ck))
                            {
                                case "subnet": subnet = Str(cv, p + ".config.subnet"); break;
                                case "gateway": gateway = Str(cv, p + ".config.gateway"); break;
                                default: throw Unsupported(ck, p + ".config", ComposeSources.KeyText(ck));
                            }
                        }
                        if (subnet is null) throw Error(item, p + ".config", "an IPAM config needs a subnet");
                        result.Add(new(subnet, gateway));
                    }
                    break;
                default: throw Unsupported(k, p, ComposeSources.KeyText(k));
            }
        }
        return result;
    }

    ComposeVolume ReadVolume(string key, YamlNode node)
    {
        var r = ReadResource("volume", key, node, "local", (_, _, _) => false);
        return new ComposeVolume(key, r.Name, r.External, r.Driver, r.Labels);
    }

    /// <summary>
    /// What top-level networks and volumes share: name, external, driver (only <paramref name="driverAllowed"/>), labels;
    /// <paramref name="more"/> reads a kind's own keys (true when it took the key). An unnamed external object keeps its key
    /// as its name; any other gets the project's prefix.
    /// </summary>
    (string Name, bool External, string? Driver, List<KeyValuePair<string, string>> Labels) ReadResource(
        string kind, string key, YamlNode node, string driverAllowed, Func<string, YamlNode, string, bool> more)
    {
        string p = kind + "s." + key;
        string? name = null, driver = null;
        bool external = false;
        var labels = new List<KeyValuePair<string, string>>();
        if (node is YamlMappingNode map)
            foreach (var (k, v) in map.Children)
            {
                string kk = ComposeSources.KeyText(k), kp = p + "." + kk;
                switch (kk)
                {
                    case "name": name = Str(v, kp); break;
                    case "external": external = Bool(v, kp); break;
                    case "driver":
                        driver = Str(v, kp);
                        if (driver != driverAllowed) throw Error(v, kp, $"unsupported {kind} driver \"{driver}\": only {driverAllowed}");
                        break;
                    case "labels": labels = StringMap(v, kp); break;
                    default:
                        if (!more(kk, v, kp)) throw Unsupported(k, p, kk);
                        break;
                }
            }
        else if (Nullable(node, p) is not null) throw Error(node, p, "must be a mapping or empty");
        if (external && (driver is not null || labels.Count > 0))
            throw Error(node, p, $"conflicting parameters \"external\" and \"{(driver is not null ? "driver" : "labels")}\" specified for {kind} \"{key}\"");
        return (name ?? (external ? key : $"{projectName}_{key}"), external, driver, labels);
    }

    /// <summary>A map of strings (labels), a null value read as "".</summary>
    List<KeyValuePair<string, string>> StringMap(YamlNode v, string path)
        => Map(v, path).Select(kv => new KeyValuePair<string, string>(KeyName(kv.Key, path), Nullable(kv.Value, path) ?? "")).ToList();

    // ───────────── scalar helpers, each naming the key in its error ─────────────

    ComposeFileException Error(YamlNode node, string path, string message) => sources.Error(node, path, message, firstFile);

    ComposeFileException Unsupported(YamlNode keyNode, string parent, string key)
        => sources.Error(keyNode, parent.Length == 0 ? key : parent + "." + key,
            $"key \"{key}\" is not supported by minicontainer compose (not part of the compose format, or not honoured by this CLI)", firstFile);

    IEnumerable<KeyValuePair<YamlNode, YamlNode>> Map(YamlNode node, string path)
    {
        if (node is YamlMappingNode m) return m.Children;
        if (node is YamlScalarNode { Value: null or "" }) return [];
        throw Error(node, path, "must be a mapping");
    }

    IEnumerable<YamlNode> Seq(YamlNode node, string path)
        => node as YamlSequenceNode is { } q ? q.Children : throw Error(node, path, "must be a list");

    string KeyName(YamlNode key, string path)
        => key is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw Error(key, path, "keys must be non-empty strings");

    string Str(YamlNode node, string path)
        => node is YamlScalarNode { Value: { } v } && !IsNull(node) ? v : throw Error(node, path, "must be a string");

    /// <summary>A scalar value, or null for YAML's null (empty, ~, null).</summary>
    string? Nullable(YamlNode node, string path)
        => IsNull(node) ? null : node is YamlScalarNode { Value: { } v } ? v : throw Error(node, path, "must be a string");

    static bool IsNull(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null" or "Null" or "NULL", Style: YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any };

    bool Bool(YamlNode node, string path) => Str(node, path).ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        var other => throw Error(node, path, $"\"{other}\" is not a boolean (true or false)"),
    };

    long Duration(YamlNode node, string path)
    {
        string text = Str(node, path);
        if (!GoDuration.TryParse(text, out var d) || d < TimeSpan.Zero) throw Error(node, path, $"invalid duration \"{text}\" (e.g. 10s, 1m30s, 500ms)");
        return d.Ticks * 100;
    }

    long Bytes(YamlNode node, string path)
    {
        string text = Str(node, path);
        try { return MemorySize.Parse(text); }
        catch (FormatException e) { throw Error(node, path, e.Message); }
    }

    decimal Cpus(YamlNode node, string path)
    {
        string text = Str(node, path);
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal cpus) || cpus <= 0)
            throw Error(node, path, $"invalid cpus \"{text}\": a positive number");
        return cpus;
    }

    /// <summary>command/entrypoint: a list as is, or a string split as a shell would (compose's shlex).</summary>
    IReadOnlyList<string> Command(YamlNode node, string path)
    {
        if (node is YamlSequenceNode) return StrList(node, path, allowScalar: false).Select(x => x.Value.Path).ToList();
        try { return ShellWords.Split(Str(node, path)); }
        catch (FormatException e) { throw Error(node, path, e.Message); }
    }

    /// <summary>A list of strings (or a lone string when <paramref name="allowScalar"/>); items may be {path, required} maps where <paramref name="itemKeys"/> says so.</summary>
    List<(YamlNode Node, (string Path, bool Required) Value)> StrList(YamlNode node, string path, bool allowScalar, string[]? itemKeys = null)
    {
        if (allowScalar && node is YamlScalarNode) return [(node, (Str(node, path), true))];
        var result = new List<(YamlNode, (string, bool))>();
        foreach (var item in Seq(node, path))
        {
            if (itemKeys is not null && item is YamlMappingNode m)
            {
                string? file = null;
                bool required = true;
                foreach (var (k, v) in m.Children)
                {
                    switch (ComposeSources.KeyText(k))
                    {
                        case "path": file = Str(v, path + ".path"); break;
                        case "required": required = Bool(v, path + ".required"); break;
                        default: throw Unsupported(k, path, ComposeSources.KeyText(k));
                    }
                }
                result.Add((item, (file ?? throw Error(item, path, "needs a path"), required)));
                continue;
            }
            result.Add((item, (Str(item, path), true)));
        }
        return result;
    }

    [GeneratedRegex("^[a-zA-Z0-9._-]+$")]
    private static partial Regex ServiceName();

    [GeneratedRegex("^(no|always|unless-stopped|on-failure(:[0-9]+)?)$")]
    private static partial Regex RestartPolicy();

    [GeneratedRegex("^[0-9]+(-[0-9]+)?/(tcp|udp|sctp)$")]
    private static partial Regex ExposePattern();
}
