using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Commands;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Compose;

internal sealed record UpOptions(IReadOnlyList<string> Services, bool ForceRecreate, bool NoDeps, bool RemoveOrphans, bool NoRecreate)
{
    /// <summary>Only the images, networks and volumes the services need, no containers (what `compose run` needs before its one-off container).</summary>
    public bool InfrastructureOnly { get; init; }

    /// <summary>--explain: each network, volume and container up creates (and each start) is explained as the
    /// individual command would explain it.</summary>
    public ExplainCommand.Mode? Explain { get; init; }
}

/// <summary>
/// `compose up`'s convergence: make the engine hold what the project describes, touching only what differs.
/// Images first (nothing is created when one is missing and cannot be pulled), then networks and volumes, then each
/// service in dependency order: its dependencies' conditions awaited, its container kept when the config hash matches,
/// recreated when not, created when absent, and started. What this run created is remembered, so a failure can say
/// exactly what is left for `down`.
/// </summary>
internal sealed class ComposeUp(DockerClient client, ComposeProject project)
{
    readonly List<string> _created = [];
    ExplainCommand.Mode? _explain;

    /// <summary>Converges the project; returns the containers of the services it brought up, in start order.</summary>
    public async Task<List<(ComposeService Service, string Id, string Name)>> RunAsync(UpOptions options)
    {
        _explain = options.Explain;
        var services = DependencyOrder.Closure(project.Services, options.Services, options.NoDeps);
        await EnsureImagesAsync(services);
        try
        {
            if (!options.InfrastructureOnly) await RemoveOrWarnOrphansAsync(options.RemoveOrphans);
            foreach (var key in services.SelectMany(s => s.Networks.Select(n => n.Key)).Distinct()) await EnsureNetworkAsync(project.Networks[key]);
            foreach (var key in services.SelectMany(s => s.Volumes).Where(m => m.Type == "volume" && m.Source.Length > 0).Select(m => m.Source).Distinct())
                await EnsureVolumeAsync(project.Volumes[key]);
            var started = new List<(ComposeService, string, string)>();
            if (options.InfrastructureOnly) return started;
            var existing = await ProjectState.ContainersAsync(client, project.Name);
            foreach (var service in services)
            {
                await WaitForDependenciesAsync(service, options.NoDeps ? [] : services);
                var (id, name) = await ConvergeAsync(service, existing.Where(c => c.Service == service.Name).ToList(), options);
                started.Add((service, id, name));
            }
            return started;
        }
        catch (Exception e) when (e is ApiException or ComposeUpException && _created.Count > 0)
        {
            throw new ComposeUpException($"{Message(e)}\nup stopped half-way; it created: {string.Join(", ", _created)}. `minicontainer compose down` removes them.");
        }
    }

    static string Message(Exception e) => e is ApiException ? "Error response from daemon: " + e.Message : e.Message;

    async Task EnsureImagesAsync(List<ComposeService> services)
    {
        foreach (var s in services)
        {
            string image = s.ImageFor(project.Name);
            if (await ProjectState.InspectAsync(client, ApiPaths.Image(image) + "/json") is not null) continue;
            if (s.Build is not null)
                throw new ComposeUpException($"service \"{s.Name}\": image {image} was not built");
            Stdio.Err.WriteLine($" {s.Name} Pulling");
            try { await RegistryCommands.PullForRunAsync(client, image); }
            catch (ApiException e) { throw new ComposeUpException($"service \"{s.Name}\": pull access denied or image not found for {image}: {e.Message}"); }
        }
    }

    async Task RemoveOrWarnOrphansAsync(bool remove)
    {
        var orphans = (await ProjectState.ContainersAsync(client, project.Name)).Where(c => !project.Services.ContainsKey(c.Service)).ToList();
        if (orphans.Count == 0) return;
        if (!remove)
        {
            Stdio.Err.WriteLine($"WARN[0000] Found orphan containers ([{string.Join(" ", orphans.Select(o => o.Name))}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.");
            return;
        }
        foreach (var o in orphans)
        {
            Progress("Container", o.Name, "Removing");
            await client.DeleteAsync($"{ApiPaths.Container(o.Id)}?force=1&v=1");
            Progress("Container", o.Name, "Removed");
        }
    }

    async Task EnsureNetworkAsync(ComposeNetwork n)
    {
        if (await ProjectState.InspectAsync(client, "/networks/" + Uri.EscapeDataString(n.Name)) is not null) return;
        if (n.External)
            throw new ComposeUpException($"network {n.Name} declared as external, but could not be found");
        var labels = new JsonObject { [ComposeLabels.Network] = n.Key, [ComposeLabels.Project] = project.Name, [ComposeLabels.Version] = ComposeLabels.VersionValue };
        foreach (var (k, v) in n.Labels) labels[k] = v;
        var body = new JsonObject { ["Name"] = n.Name, ["Driver"] = n.Driver ?? "bridge", ["Labels"] = labels, ["CheckDuplicate"] = true };
        if (n.Subnets.Count > 0)
            body["IPAM"] = new JsonObject
            {
                ["Driver"] = "default",
                ["Config"] = new JsonArray([.. n.Subnets.Select(s => (JsonNode?)new JsonObject { ["Subnet"] = s.Key, ["Gateway"] = s.Value })]),
            };
        Progress("Network", n.Name, "Creating");
        await ExplainCommand.PostAsync(client, "/networks/create", body, _explain);
        _created.Add("network " + n.Name);
        Progress("Network", n.Name, "Created");
    }

    async Task EnsureVolumeAsync(ComposeVolume v)
    {
        if (await ProjectState.InspectAsync(client, ApiPaths.Volume(v.Name)) is not null) return;
        if (v.External)
            throw new ComposeUpException($"external volume \"{v.Name}\" not found");
        var labels = new JsonObject { [ComposeLabels.Volume] = v.Key, [ComposeLabels.Project] = project.Name, [ComposeLabels.Version] = ComposeLabels.VersionValue };
        foreach (var (k, val) in v.Labels) labels[k] = val;
        Progress("Volume", v.Name, "Creating");
        await ExplainCommand.PostAsync(client, "/volumes/create", new JsonObject { ["Name"] = v.Name, ["Driver"] = v.Driver ?? "local", ["Labels"] = labels }, _explain);
        _created.Add("volume " + v.Name);
        Progress("Volume", v.Name, "Created");
    }

    /// <summary>One container per service: kept (and started) when its hash matches, else recreated or created.</summary>
    async Task<(string Id, string Name)> ConvergeAsync(ComposeService service, List<ProjectContainer> current, UpOptions options)
    {
        var body = ContainerSpec.Body(project, service);
        string hash = ContainerSpec.Hash(body);
        // More than one container of a service (scaled down in the file): keep the first, remove the rest.
        foreach (var extra in current.Skip(1))
        {
            Progress("Container", extra.Name, "Removing");
            await client.DeleteAsync($"{ApiPaths.Container(extra.Id)}?force=1");
            Progress("Container", extra.Name, "Removed");
        }
        var container = current.FirstOrDefault();
        // The hash covers the image's name; its ID tells a rebuilt (up --build) or re-pulled image from the one the container runs.
        string? imageId = (string?)(await ProjectState.InspectAsync(client, ApiPaths.Image(service.ImageFor(project.Name)) + "/json"))?["Id"];
        bool sameImage = container is null || imageId is null || (string?)container.Raw["ImageID"] == imageId;
        if (container is not null && ((container.ConfigHash == hash && sameImage) || options.NoRecreate) && !options.ForceRecreate)
        {
            if (!container.Running)
            {
                Progress("Container", container.Name, "Starting");
                await ExplainCommand.StartAsync(client, container.Id, _explain);
                Progress("Container", container.Name, "Started");
            }
            else Progress("Container", container.Name, "Running");
            return (container.Id, container.Name);
        }
        int number = container?.Number is > 0 and var n ? n : 1;
        string name = ContainerSpec.ContainerName(project, service, number);
        bool oldKept = container is not null && await MoveAsideAsync(container);
        Progress("Container", name, container is null ? "Creating" : "Recreate");
        var response = await client.PostJsonAsync(ExplainCommand.Query(_explain, "/containers/create?name=" + ApiPaths.Query(name)), ContainerSpec.ForContainer(project, service, body, hash, number, imageId: imageId));
        string id = (string?)response?["Id"] ?? throw new IOException("the daemon's create answer has no Id");
        await ExplainCommand.PrintCreateAsync(client, response, id, _explain);
        _created.Add("container " + name);
        if (container is not null)
        {
            if (oldKept) await client.DeleteAsync($"{ApiPaths.Container(container.Id)}?force=1");
            Progress("Container", name, "Recreated");
        }
        else Progress("Container", name, "Created");
        Progress("Container", name, "Starting");
        await ExplainCommand.StartAsync(client, id, _explain);
        Progress("Container", name, "Started");
        return (id, name);
    }

    /// <summary>
    /// Recreation keeps the old container until the new one exists, as compose does: stopped, then renamed to
    /// "&lt;id12&gt;_&lt;name&gt;" to free its name. A daemon without the rename endpoint gets stop and remove instead
    /// (the old container is then gone before the new one is made). Returns whether the old container still exists.
    /// </summary>
    async Task<bool> MoveAsideAsync(ProjectContainer old)
    {
        Progress("Container", old.Name, "Stopping");
        await client.PostJsonAsync($"{ApiPaths.Container(old.Id)}/stop");
        Progress("Container", old.Name, "Stopped");
        try
        {
            await client.PostJsonAsync($"{ApiPaths.Container(old.Id)}/rename?name={ApiPaths.Query(old.Id[..12] + "_" + old.Name)}");
            return true;
        }
        catch (ApiException e) when (e.IsNotFound || e.Status == System.Net.HttpStatusCode.MethodNotAllowed)
        {
            await client.DeleteAsync($"{ApiPaths.Container(old.Id)}?force=1");
            return false;
        }
    }

    /// <summary>Waits for what each dependency's condition asks of its container: started, healthy, or exited 0.</summary>
    async Task WaitForDependenciesAsync(ComposeService service, List<ComposeService> upNow)
    {
        foreach (var (dep, d) in service.DependsOn)
        {
            if (!project.Services.ContainsKey(dep) || d.Condition == "service_started") continue;
            var containers = (await ProjectState.ContainersAsync(client, project.Name)).Where(c => c.Service == dep).ToList();
            if (containers.Count == 0)
            {
                if (!d.Required || !upNow.Any(s => s.Name == dep)) continue;
                throw new ComposeUpException($"dependency {dep} of {service.Name} has no container");
            }
            foreach (var c in containers)
            {
                if (d.Condition == "service_healthy") await ServiceWaits.HealthyAsync(client, c.Id, c.Name);
                else await ServiceWaits.CompletedAsync(client, c.Id, c.Name, dep);
            }
        }
    }

    internal static void Progress(string kind, string name, string what) => Stdio.Err.WriteLine($" {kind} {name}  {what}");
}

/// <summary>An up/down failure worth a plain message (the CLI prints it and exits 1).</summary>
internal sealed class ComposeUpException(string message) : Exception(message);
