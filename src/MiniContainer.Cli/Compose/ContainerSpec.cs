using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Flags;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// A service → the body of POST /containers/create, and its config hash. The hash covers everything the body says
/// about the container (but not the per-container name and number), so an unchanged service hashes the same on
/// every `up` and a changed one — environment, image, ports… — does not: that is how up decides what to recreate.
/// </summary>
internal static class ContainerSpec
{
    public static string ContainerName(ComposeProject project, ComposeService service, int number)
        => service.ContainerName ?? $"{project.Name}-{service.Name}-{number}";

    /// <summary>The create body without the per-container labels; hash it with <see cref="Hash"/>.</summary>
    public static JsonObject Body(ComposeProject project, ComposeService s)
    {
        var labels = new JsonObject();
        foreach (var (k, v) in s.Labels) labels[k] = v;
        var config = new JsonObject
        {
            ["Image"] = s.ImageFor(project.Name),
            ["Env"] = Strings(s.Environment.Select(kv => kv.Key + "=" + kv.Value)),
            ["Labels"] = labels,
            ["AttachStdout"] = true,
            ["AttachStderr"] = true,
        };
        if (s.Command is not null) config["Cmd"] = Strings(s.Command);
        if (s.Entrypoint is not null) config["Entrypoint"] = Strings(s.Entrypoint.Count == 0 ? [""] : s.Entrypoint);
        if (s.Hostname is not null) config["Hostname"] = s.Hostname;
        if (s.User is not null) config["User"] = s.User;
        if (s.WorkingDir is not null) config["WorkingDir"] = s.WorkingDir;
        if (s.StopSignal is not null) config["StopSignal"] = s.StopSignal;
        if (s.StopGracePeriodNs is { } grace) config["StopTimeout"] = (int)Math.Ceiling(grace / 1e9);
        if (s.Healthcheck is { } h) config["Healthcheck"] = Healthcheck(h);

        var host = new JsonObject();
        var exposed = new JsonObject();
        var bindings = new JsonObject();
        foreach (var p in s.Ports) PortSpec.Add(p.ToSpec(), exposed, bindings);
        foreach (string e in s.Expose) exposed[e] = new JsonObject();
        if (exposed.Count > 0) config["ExposedPorts"] = exposed;
        if (bindings.Count > 0) host["PortBindings"] = bindings;

        var mounts = new JsonArray();
        var anonymous = new JsonObject();
        foreach (var m in s.Volumes)
        {
            if (m.Type == "volume" && m.Source.Length == 0) { anonymous[m.Target] = new JsonObject(); continue; }
            string source = m.Type == "volume" ? project.Volumes[m.Source].Name : m.Source;
            var mount = new JsonObject { ["Type"] = m.Type, ["Target"] = m.Target, ["ReadOnly"] = m.ReadOnly };
            if (m.Type != "tmpfs") mount["Source"] = source;
            mounts.Add((JsonNode)mount);
        }
        if (anonymous.Count > 0) config["Volumes"] = anonymous;
        if (mounts.Count > 0) host["Mounts"] = mounts;
        if (s.Tmpfs.Count > 0)
        {
            var tmpfs = new JsonObject();
            foreach (var (path, options) in s.Tmpfs) tmpfs[path] = options;
            host["Tmpfs"] = tmpfs;
        }
        if (s.Restart is { } restart)
        {
            int colon = restart.IndexOf(':');
            host["RestartPolicy"] = new JsonObject
            {
                ["Name"] = colon < 0 ? restart : restart[..colon],
                ["MaximumRetryCount"] = colon < 0 ? 0 : int.Parse(restart[(colon + 1)..], CultureInfo.InvariantCulture),
            };
        }
        if (s.MemLimit is { } mem) host["Memory"] = mem;
        if (s.Cpus is { } cpus) host["NanoCpus"] = (long)(cpus * 1_000_000_000m);
        if (s.Init is { } init) host["Init"] = init;

        // The first network is the container's NetworkMode; all of them (with their aliases) go in EndpointsConfig.
        var endpoints = new JsonObject();
        foreach (var (key, n) in s.Networks)
        {
            var endpoint = new JsonObject { ["Aliases"] = Strings(new[] { s.Name }.Concat(n.Aliases).Distinct()) };
            if (n.Ipv4Address is not null) endpoint["IPAMConfig"] = new JsonObject { ["IPv4Address"] = n.Ipv4Address };
            endpoints[project.Networks[key].Name] = endpoint;
        }
        host["NetworkMode"] = project.Networks[s.Networks[0].Key].Name;
        config["HostConfig"] = host;
        config["NetworkingConfig"] = new JsonObject { ["EndpointsConfig"] = endpoints };
        return config;
    }

    /// <summary>sha256 of the body as JSON, in hex (the body's key order is fixed by the code above, so equal services hash equal).</summary>
    public static string Hash(JsonObject body) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body.ToJsonString())));

    /// <summary>The body for container number <paramref name="number"/>: the compose labels added, the container name as one more alias.</summary>
    /// <param name="imageId">the image's ID at creation (label com.docker.compose.image), so a rebuilt or re-pulled image is noticed.</param>
    public static JsonObject ForContainer(ComposeProject project, ComposeService s, JsonObject body, string hash, int number, bool oneOff = false, string? imageId = null)
    {
        var config = (JsonObject)body.DeepClone();
        var labels = (JsonObject)config["Labels"]!;
        labels[ComposeLabels.Project] = project.Name;
        labels[ComposeLabels.Service] = s.Name;
        labels[ComposeLabels.ContainerNumber] = number.ToString(CultureInfo.InvariantCulture);
        labels[ComposeLabels.OneOff] = oneOff ? "True" : "False";
        labels[ComposeLabels.ConfigHash] = hash;
        labels[ComposeLabels.DependsOn] = string.Join(",", s.DependsOn.Select(d => $"{d.Key}:{d.Value.Condition}:false"));
        labels[ComposeLabels.WorkingDir] = project.WorkingDir;
        labels[ComposeLabels.ConfigFiles] = string.Join(",", project.ConfigFiles);
        labels[ComposeLabels.Image] = imageId ?? s.ImageFor(project.Name);
        labels[ComposeLabels.Version] = ComposeLabels.VersionValue;
        string name = ContainerName(project, s, number);
        // A one-off container (compose run) is not the service: as in docker compose, it does not take the service's
        // restart policy (a `restart: always` service could otherwise not be `run --rm`).
        if (oneOff) ((JsonObject)config["HostConfig"]!).Remove("RestartPolicy");
        // A one-off container (compose run) answers to no service name: `ping web` keeps meaning the service's own container.
        foreach (var (_, endpoint) in (JsonObject)config["NetworkingConfig"]!["EndpointsConfig"]!)
        {
            if (oneOff) ((JsonObject)endpoint!).Remove("Aliases");
            else ((JsonArray)endpoint!["Aliases"]!).Add((JsonNode?)JsonValue.Create(name));
        }
        return config;
    }

    static JsonObject Healthcheck(ComposeHealthcheck h)
    {
        var o = new JsonObject();
        if (h.Disable) { o["Test"] = Strings(["NONE"]); return o; }
        if (h.Test is not null) o["Test"] = Strings(h.Test);
        if (h.IntervalNs is { } i) o["Interval"] = i;
        if (h.TimeoutNs is { } t) o["Timeout"] = t;
        if (h.Retries is { } r) o["Retries"] = r;
        if (h.StartPeriodNs is { } sp) o["StartPeriod"] = sp;
        if (h.StartIntervalNs is { } si) o["StartInterval"] = si;
        return o;
    }

    static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
}
