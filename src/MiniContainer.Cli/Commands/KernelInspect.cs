using System.Text.Json;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;
using MiniContainer.Inspection;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// `inspect --kernel CONTAINER…`: what the kernel holds for each running container, from MiniContainer's own
/// endpoint GET /containers/{id}/kernel. The default is the sectioned text view; `--format json` prints the
/// daemon's document as it came (re-indented), and any other format is a Go template over it, as for inspect.
/// </summary>
internal static class KernelInspect
{
    public static async Task<int> RunAsync(DockerClient client, string[] containers, string? format)
    {
        var template = string.IsNullOrEmpty(format) ? null : ContainerCommands.InspectTemplate(format);
        var found = new List<string>();
        var errors = new List<string>();
        foreach (string name in containers)
        {
            try { found.Add(await client.GetStringAsync($"{ApiPaths.Container(name)}/kernel")); }
            catch (ApiException e) { errors.Add((e.IsNotFound ? "Error: " : "Error response from daemon: ") + e.Message); }
        }

        if (string.IsNullOrEmpty(format))
            foreach (string raw in found)
                Stdio.Out.Write(KernelViewText.Render(JsonSerializer.Deserialize(raw, KernelViewJson.Default.KernelView)!));
        else if (found.Count > 0)
            Stdio.Out.Write(ContainerCommands.FormatInspected(found, template));
        foreach (string e in errors) Stdio.Err.WriteLine(e);
        return errors.Count == 0 ? ExitCodes.Ok : ExitCodes.Error;
    }
}
