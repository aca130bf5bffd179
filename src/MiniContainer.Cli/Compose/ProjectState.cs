using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;

namespace MiniContainer.Cli.Compose;

/// <summary>A container of a project, as GET /containers/json lists it.</summary>
internal sealed record ProjectContainer(string Id, string Name, string Service, int Number, string ConfigHash, bool OneOff, string State, JsonObject Raw)
{
    public bool Running => State is "running" or "restarting";
}

/// <summary>What the engine holds for a project: found by the compose labels only, as docker compose finds it.</summary>
internal static class ProjectState
{
    /// <summary>
    /// Every container labelled with the project (the label filter narrows the listing; service and one-off are
    /// checked here so the answer does not depend on how the daemon combines several label filters).
    /// </summary>
    public static async Task<List<ProjectContainer>> ContainersAsync(DockerClient client, string project, bool all = true, bool oneOff = false)
    {
        string filters = Uri.EscapeDataString(new JsonObject { ["label"] = new JsonArray($"{ComposeLabels.Project}={project}") }.ToJsonString());
        var list = await client.GetJsonAsync($"/containers/json?all={(all ? 1 : 0)}&filters={filters}") as JsonArray ?? [];
        var result = new List<ProjectContainer>();
        foreach (var node in list)
        {
            if (node is not JsonObject c || c["Labels"] is not JsonObject labels) continue;
            if ((string?)labels[ComposeLabels.Project] != project) continue;
            bool isOneOff = string.Equals((string?)labels[ComposeLabels.OneOff], "True", StringComparison.OrdinalIgnoreCase);
            if (isOneOff != oneOff) continue;
            string name = (c["Names"] as JsonArray)?.FirstOrDefault()?.GetValue<string>().TrimStart('/') ?? "";
            int.TryParse((string?)labels[ComposeLabels.ContainerNumber], out int number);
            result.Add(new ProjectContainer((string)c["Id"]!, name, (string?)labels[ComposeLabels.Service] ?? "", number,
                (string?)labels[ComposeLabels.ConfigHash] ?? "", isOneOff, (string?)c["State"] ?? "", c));
        }
        return result.OrderBy(c => c.Service, StringComparer.Ordinal).ThenBy(c => c.Number).ToList();
    }

    /// <summary>GET on an object's inspect path; null when the engine has no such object.</summary>
    public static async Task<JsonObject?> InspectAsync(DockerClient client, string path)
    {
        try { return await client.GetJsonAsync(path) as JsonObject; }
        catch (ApiException e) when (e.IsNotFound) { return null; }
    }
}
