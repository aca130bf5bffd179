using MiniContainer.Cli.Api;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// `compose down`: the project's containers stopped and removed (dependents first), then its networks, and with -v its
/// named volumes and the containers' anonymous ones; with --rmi the images. External networks and volumes are never touched.
/// </summary>
internal sealed class ComposeDown(DockerClient client, ComposeProject project)
{
    public async Task RunAsync(bool volumes, string? rmi, bool removeOrphans, int? timeout)
    {
        var containers = await ProjectState.ContainersAsync(client, project.Name);
        var oneOffs = await ProjectState.ContainersAsync(client, project.Name, oneOff: true);
        var order = DependencyOrder.Sort(project.Services).Select(s => s.Name).ToList();
        var mine = containers.Where(c => project.Services.ContainsKey(c.Service))
                             .OrderByDescending(c => order.IndexOf(c.Service)).ToList();
        var orphans = containers.Where(c => !project.Services.ContainsKey(c.Service)).ToList();
        if (removeOrphans) mine.AddRange(orphans);
        else if (orphans.Count > 0)
            Terminal.Stdio.Err.WriteLine($"WARN[0000] Found orphan containers ([{string.Join(" ", orphans.Select(o => o.Name))}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.");
        mine.AddRange(oneOffs);

        foreach (var c in mine)
        {
            if (c.Running)
            {
                ComposeUp.Progress("Container", c.Name, "Stopping");
                await client.PostJsonAsync($"{ApiPaths.Container(c.Id)}/stop" + (timeout is { } t ? $"?t={t}" : ""));
                ComposeUp.Progress("Container", c.Name, "Stopped");
            }
            ComposeUp.Progress("Container", c.Name, "Removing");
            await client.DeleteAsync($"{ApiPaths.Container(c.Id)}?force=1" + (volumes ? "&v=1" : ""));
            ComposeUp.Progress("Container", c.Name, "Removed");
        }
        foreach (var n in project.Networks.Values.Where(n => !n.External))
        {
            if (await ProjectState.InspectAsync(client, "/networks/" + Uri.EscapeDataString(n.Name)) is null) continue;
            ComposeUp.Progress("Network", n.Name, "Removing");
            await client.DeleteAsync("/networks/" + Uri.EscapeDataString(n.Name));
            ComposeUp.Progress("Network", n.Name, "Removed");
        }
        if (volumes)
            foreach (var v in project.Volumes.Values.Where(v => !v.External))
            {
                if (await ProjectState.InspectAsync(client, ApiPaths.Volume(v.Name)) is null) continue;
                ComposeUp.Progress("Volume", v.Name, "Removing");
                await client.DeleteAsync(ApiPaths.Volume(v.Name));
                ComposeUp.Progress("Volume", v.Name, "Removed");
            }
        if (rmi is not null)
        {
            // all: every service's image; local: only the ones compose names itself (built, no image: of their own).
            var images = project.Services.Values.Where(s => rmi == "all" || s.Image is null).Select(s => s.ImageFor(project.Name)).Distinct();
            foreach (string image in images)
            {
                if (await ProjectState.InspectAsync(client, ApiPaths.Image(image) + "/json") is null) continue;
                ComposeUp.Progress("Image", image, "Removing");
                await client.DeleteAsync(ApiPaths.Image(image));
                ComposeUp.Progress("Image", image, "Removed");
            }
        }
    }
}
