using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Containers;
using MiniContainer.Images;
using MiniContainer.Runtime;

namespace MiniContainer.Build;

/// <summary>
/// RUN: a real container of ours, created from the step's image with its Env, WorkingDir and User (plus the
/// build args the step sees), its output streamed into the build output. On success its upper dir becomes the
/// step's layer. The container is removed in every case, with its anonymous volumes. Its network is the build's
/// networkmode (the default bridge unless asked), with the build's extrahosts in its /etc/hosts.
/// </summary>
public static class RunStep
{
    /// <summary>The build's networkmode (null or "default": the default bridge) and extrahosts ("host:ip").</summary>
    public sealed record Network(string? Mode, IReadOnlyList<string>? ExtraHosts);

    /// <summary>Runs <paramref name="argv"/>; returns the new image, or throws BuildException with Docker's message and the exit code.</summary>
    public static async Task<Image> RunAsync(ContainerService containers, ImageStore images, Image image, ImageConfig newConfig,
                                             List<string> argv, List<string> extraEnv, Network network, BuildOutput output)
    {
        var hostConfig = new JsonObject();
        if (network.Mode is { Length: > 0 } mode && mode != "default") hostConfig["NetworkMode"] = mode;
        if (network.ExtraHosts is { Count: > 0 } hosts) hostConfig["ExtraHosts"] = new JsonArray(hosts.Select(h => (JsonNode?)JsonValue.Create(h)).ToArray());
        var body = new JsonObject
        {
            ["Image"] = image.Id,
            ["Entrypoint"] = new JsonArray(JsonValue.Create("")),
            ["Cmd"] = new JsonArray(argv.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["Env"] = new JsonArray(extraEnv.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["Labels"] = new JsonObject { ["com.minicontainer.build"] = "true" },
            ["HostConfig"] = hostConfig,
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
                    Decoder stdout = Encoding.UTF8.GetDecoder(), stderr = Encoding.UTF8.GetDecoder();
                    while (await ShimProtocol.ReadFrameAsync(shim) is { } frame)
                    {
                        if (frame.Type == ShimProtocol.Exited) break;
                        if (frame.Type is not (ShimProtocol.Stdout or ShimProtocol.Stderr)) continue;
                        var decoder = frame.Type == ShimProtocol.Stderr ? stderr : stdout;
                        char[] chars = new char[decoder.GetCharCount(frame.Payload, false)];
                        decoder.GetChars(frame.Payload, chars, false);
                        // The classic builder shows what went to stderr in bright red: each piece between ESC[91m and ESC[0m.
                        string text = new(chars);
                        await output.RawAsync(frame.Type == ShimProtocol.Stderr ? "\u001b[91m" + text + "\u001b[0m" : text);
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
