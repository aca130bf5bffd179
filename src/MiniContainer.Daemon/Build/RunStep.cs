using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Containers;
using MiniContainer.Images;
using MiniContainer.Runtime;

namespace MiniContainer.Build;

/// <summary>
/// RUN: a real container of ours, created from the step's image with its Env, WorkingDir and User (plus the
/// build args the step sees), its output streamed into the build output. On success its upper dir becomes the
/// step's layer. The container is removed in every case, with its anonymous volumes. No network yet: RUN
/// containers get their own network namespace with only loopback, like every container today.
/// </summary>
public static class RunStep
{
    /// <summary>Runs <paramref name="argv"/>; returns the new image, or throws BuildException with Docker's message and the exit code.</summary>
    public static async Task<Image> RunAsync(ContainerService containers, ImageStore images, Image image, ImageConfig newConfig,
                                             List<string> argv, List<string> extraEnv, BuildOutput output)
    {
        var defaults = image.Config.Config ?? new ContainerDefaults();
        var body = new JsonObject
        {
            ["Image"] = image.Id,
            ["Entrypoint"] = new JsonArray(JsonValue.Create("")),
            ["Cmd"] = new JsonArray(argv.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["Env"] = new JsonArray(extraEnv.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["Labels"] = new JsonObject { ["com.minicontainer.build"] = "true" },
        };
        var c = containers.Create(null, body);
        try
        {
            await output.LineAsync($" ---> Running in {c.Record.ShortId}");
            var attached = containers.AttachAsync(c, "stdout stderr");
            await containers.StartAsync(c);
            var shim = await attached;
            if (shim != null)
            {
                await using (shim)
                {
                    var decoder = Encoding.UTF8.GetDecoder();
                    while (await ShimProtocol.ReadFrameAsync(shim) is { } frame)
                    {
                        if (frame.Type == ShimProtocol.Exited) break;
                        if (frame.Type is not (ShimProtocol.Stdout or ShimProtocol.Stderr)) continue;
                        char[] chars = new char[decoder.GetCharCount(frame.Payload, false)];
                        decoder.GetChars(frame.Payload, chars, false);
                        await output.RawAsync(new string(chars));
                    }
                }
            }
            var state = await containers.WaitAsync(c, "not-running", CancellationToken.None);
            if (state.ExitCode != 0)
                throw new BuildException($"The command '{string.Join(' ', argv)}' returned a non-zero code: {state.ExitCode}", state.ExitCode);

            var exclude = new HashSet<string> { "/etc/hostname", "/etc/hosts", "/etc/resolv.conf" };
            exclude.UnionWith(c.Record.Mounts.Select(m => m.Destination));   // changes under a VOLUME are discarded, as Docker does
            var result = images.CreateChild(image, newConfig, c.Record.GraphDriver.Data["UpperDir"], exclude);
            await output.LineAsync($"Removing intermediate container {c.Record.ShortId}");
            return result;
        }
        finally
        {
            await containers.RemoveAsync(c, force: true, removeVolumes: true);
        }
    }
}
