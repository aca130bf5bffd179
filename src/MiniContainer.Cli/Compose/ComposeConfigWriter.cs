using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// `compose config`: the resolved model — files merged, variables substituted, defaults filled in (networks,
/// project-scoped names, absolute paths) — written back as YAML with the RepresentationModel's emitter.
/// </summary>
internal static class ComposeConfigWriter
{
    public static string Write(ComposeProject project)
    {
        var root = new YamlMappingNode { { "name", project.Name } };
        var services = new YamlMappingNode();
        foreach (var s in project.Services.Values.OrderBy(s => s.Name, StringComparer.Ordinal)) services.Add(s.Name, Service(s));
        root.Add("services", services);
        if (project.Networks.Count > 0)
        {
            var networks = new YamlMappingNode();
            foreach (var n in project.Networks.Values.OrderBy(n => n.Key, StringComparer.Ordinal))
            {
                var m = new YamlMappingNode { { "name", n.Name } };
                if (n.External) m.Add("external", "true");
                if (n.Driver is not null) m.Add("driver", n.Driver);
                if (n.Subnets.Count > 0)
                {
                    var config = new YamlSequenceNode();
                    foreach (var (subnet, gateway) in n.Subnets)
                    {
                        var c = new YamlMappingNode { { "subnet", subnet } };
                        if (gateway is not null) c.Add("gateway", gateway);
                        config.Add(c);
                    }
                    m.Add("ipam", new YamlMappingNode { { "config", config } });
                }
                AddMap(m, "labels", n.Labels);
                networks.Add(n.Key, m);
            }
            root.Add("networks", networks);
        }
        if (project.Volumes.Count > 0)
        {
            var volumes = new YamlMappingNode();
            foreach (var v in project.Volumes.Values.OrderBy(v => v.Key, StringComparer.Ordinal))
            {
                var m = new YamlMappingNode { { "name", v.Name } };
                if (v.External) m.Add("external", "true");
                if (v.Driver is not null) m.Add("driver", v.Driver);
                AddMap(m, "labels", v.Labels);
                volumes.Add(v.Key, m);
            }
            root.Add("volumes", volumes);
        }
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        string text = writer.ToString();
        // The emitter ends a document with "...": compose config does not.
        if (text.EndsWith("...\n", StringComparison.Ordinal)) text = text[..^4];
        return text.TrimEnd() + "\n";
    }

    static YamlMappingNode Service(ComposeService s)
    {
        var m = new YamlMappingNode();
        if (s.Build is { } b)
        {
            var build = new YamlMappingNode { { "context", b.Context } };
            if (b.Dockerfile is not null) build.Add("dockerfile", b.Dockerfile);
            if (b.Target is not null) build.Add("target", b.Target);
            if (b.Args.Count > 0)
            {
                var args = new YamlMappingNode();
                foreach (var (k, v) in b.Args) args.Add(k, v is null ? new YamlScalarNode("") : new YamlScalarNode(v));
                build.Add("args", args);
            }
            m.Add("build", build);
        }
        if (s.Command is not null) m.Add("command", Seq(s.Command));
        if (s.ContainerName is not null) m.Add("container_name", s.ContainerName);
        if (s.Cpus is { } cpus) m.Add("cpus", cpus.ToString(CultureInfo.InvariantCulture));
        if (s.DependsOn.Count > 0)
        {
            var deps = new YamlMappingNode();
            foreach (var (name, d) in s.DependsOn)
                deps.Add(name, new YamlMappingNode { { "condition", d.Condition }, { "required", d.Required ? "true" : "false" } });
            m.Add("depends_on", deps);
        }
        if (s.Entrypoint is not null) m.Add("entrypoint", Seq(s.Entrypoint));
        AddMap(m, "environment", s.Environment);
        if (s.Expose.Count > 0) m.Add("expose", Seq(s.Expose));
        if (s.Healthcheck is { } h)
        {
            var hc = new YamlMappingNode();
            if (h.Test is not null) hc.Add("test", Seq(h.Test));
            if (h.IntervalNs is { } i) hc.Add("interval", Duration(i));
            if (h.TimeoutNs is { } t) hc.Add("timeout", Duration(t));
            if (h.Retries is { } r) hc.Add("retries", r.ToString(CultureInfo.InvariantCulture));
            if (h.StartPeriodNs is { } sp) hc.Add("start_period", Duration(sp));
            if (h.StartIntervalNs is { } si) hc.Add("start_interval", Duration(si));
            if (h.Disable) hc.Add("disable", "true");
            m.Add("healthcheck", hc);
        }
        if (s.Hostname is not null) m.Add("hostname", s.Hostname);
        if (s.Image is not null) m.Add("image", s.Image);
        if (s.Init is { } init) m.Add("init", init ? "true" : "false");
        AddMap(m, "labels", s.Labels);
        if (s.MemLimit is { } mem) m.Add("mem_limit", mem.ToString(CultureInfo.InvariantCulture));
        var networks = new YamlMappingNode();
        foreach (var (name, n) in s.Networks)
        {
            if (n.Aliases.Count == 0 && n.Ipv4Address is null) { networks.Add(name, new YamlScalarNode("null")); continue; }
            var e = new YamlMappingNode();
            if (n.Aliases.Count > 0) e.Add("aliases", Seq(n.Aliases));
            if (n.Ipv4Address is not null) e.Add("ipv4_address", n.Ipv4Address);
            networks.Add(name, e);
        }
        m.Add("networks", networks);
        if (s.Ports.Count > 0)
        {
            var ports = new YamlSequenceNode();
            foreach (var p in s.Ports)
            {
                var pm = new YamlMappingNode { { "target", p.Target } };
                if (p.Published.Length > 0) pm.Add("published", p.Published);
                if (p.HostIp.Length > 0) pm.Add("host_ip", p.HostIp);
                pm.Add("protocol", p.Protocol);
                ports.Add(pm);
            }
            m.Add("ports", ports);
        }
        if (s.Profiles.Count > 0) m.Add("profiles", Seq(s.Profiles));
        if (s.Restart is not null) m.Add("restart", s.Restart);
        if (s.StopGracePeriodNs is { } grace) m.Add("stop_grace_period", Duration(grace));
        if (s.StopSignal is not null) m.Add("stop_signal", s.StopSignal);
        if (s.Tmpfs.Count > 0) m.Add("tmpfs", Seq(s.Tmpfs.Select(t => t.Value.Length > 0 ? t.Key + ":" + t.Value : t.Key)));
        if (s.User is not null) m.Add("user", s.User);
        if (s.Volumes.Count > 0)
        {
            var volumes = new YamlSequenceNode();
            foreach (var v in s.Volumes)
            {
                var vm = new YamlMappingNode { { "type", v.Type } };
                if (v.Source.Length > 0) vm.Add("source", v.Source);
                vm.Add("target", v.Target);
                if (v.ReadOnly) vm.Add("read_only", "true");
                volumes.Add(vm);
            }
            m.Add("volumes", volumes);
        }
        if (s.WorkingDir is not null) m.Add("working_dir", s.WorkingDir);
        return m;
    }

    static void AddMap<TValue>(YamlMappingNode parent, string key, IEnumerable<KeyValuePair<string, TValue>> items)
    {
        var map = new YamlMappingNode();
        foreach (var (k, v) in items) map.Add(k, new YamlScalarNode(v?.ToString() ?? "") { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted });
        if (map.Children.Count > 0) parent.Add(key, map);
    }

    static YamlSequenceNode Seq(IEnumerable<string> items) => new(items.Select(i => (YamlNode)new YamlScalarNode(i)));

    /// <summary>Nanoseconds as a Go duration, as compose config prints them: 1m30s, 500ms.</summary>
    internal static string Duration(long ns)
    {
        if (ns == 0) return "0s";
        if (ns % 1_000_000_000 != 0) return (ns / 1_000_000).ToString(CultureInfo.InvariantCulture) + "ms";
        long s = ns / 1_000_000_000;
        string text = "";
        if (s >= 3600) { text += s / 3600 + "h"; s %= 3600; }
        if (s >= 60) { text += s / 60 + "m"; s %= 60; }
        if (s > 0 || text.Length == 0) text += s + "s";
        return text;
    }
}
