using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// A compose file the CLI cannot honour, worded so a person can find the spot: "compose.yaml:7: services.web.ports: …".
/// Thrown before anything is sent to the daemon, so a bad file never leaves a half-made project behind.
/// </summary>
internal sealed class ComposeFileException(string message) : Exception(message)
{
    /// <summary>"FILE:LINE: PATH: MESSAGE"; the line is the node's (1-based), or left out when the node was made by the loader.</summary>
    public static ComposeFileException At(string file, YamlNode? node, string path, string message)
        => new($"{Where(file, node)}{path}: {message}");

    public static ComposeFileException At(string file, Mark mark, string path, string message)
        => new($"{file}{(mark.Line > 0 ? ":" + mark.Line : "")}: {path}: {message}");

    static string Where(string file, YamlNode? node)
        => node is not null && node.Start.Line > 0 ? $"{file}:{node.Start.Line}: " : file + ": ";
}
