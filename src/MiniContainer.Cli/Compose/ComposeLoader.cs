using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace MiniContainer.Cli.Compose;

/// <summary>What the compose command line says about where the project is (docker compose's -f, -p, --project-directory, --env-file, --profile).</summary>
internal sealed record ComposeOptions(
    IReadOnlyList<string> Files,
    string? ProjectName,
    string? ProjectDirectory,
    IReadOnlyList<string> EnvFiles,
    IReadOnlyList<string> Profiles,
    Func<string, string?> Environment,
    string CurrentDirectory);

/// <summary>
/// Finds the compose files, reads the .env, names the project and hands the merged tree to <see cref="ServiceReader"/>:
/// compose v2's order of loading, from the command line to a checked <see cref="ComposeProject"/>.
/// </summary>
internal static partial class ComposeLoader
{
    public static readonly string[] DefaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

    public static ComposeProject Load(ComposeOptions options)
    {
        var files = FindFiles(options);
        string workingDir = options.ProjectDirectory is { Length: > 0 } dir
            ? Path.GetFullPath(dir, options.CurrentDirectory)
            : Path.GetDirectoryName(files[0])!;

        // Interpolation reads the process environment first, then the env files (.env by default): the shell wins, as in compose.
        var fromFiles = new Dictionary<string, string>();
        var envFiles = options.EnvFiles.Count > 0
            ? options.EnvFiles.Select(f => Path.GetFullPath(f, options.CurrentDirectory)).ToList()
            : [Path.Combine(workingDir, ".env")];
        foreach (string envFile in envFiles)
        {
            if (!File.Exists(envFile))
            {
                if (options.EnvFiles.Count > 0) throw new ComposeFileException($"couldn't find env file: {envFile}");
                continue;
            }
            foreach (var (k, v) in DotEnv.ReadFile(envFile, name => options.Environment(name) ?? fromFiles.GetValueOrDefault(name)))
                fromFiles[k] = v;
        }
        string? Lookup(string name) => options.Environment(name) ?? fromFiles.GetValueOrDefault(name);
        var interpolation = new Interpolation(Lookup);

        var sources = new ComposeSources();
        YamlMappingNode? merged = null;
        foreach (string file in files)
        {
            var tree = sources.Load(file, Display(file, options.CurrentDirectory), interpolation);
            if (merged is null) merged = tree; else ComposeSources.Merge(merged, tree);
        }

        string? nameInFile = ComposeSources.Child(merged!, "name") is YamlScalarNode { Value: { Length: > 0 } n } ? n : null;
        string? given = options.ProjectName ?? (Lookup("COMPOSE_PROJECT_NAME") is { Length: > 0 } env ? env : null);
        string name = ProjectName(given, nameInFile, workingDir);
        var profiles = options.Profiles.Concat((Lookup("COMPOSE_PROFILES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet();
        var reader = new ServiceReader(sources, Display(files[0], options.CurrentDirectory), workingDir, name, Lookup);
        return reader.Read(merged!, files, profiles);
    }

    /// <summary>-f files as given (each must exist), else the first default name found here or in a parent directory.</summary>
    static List<string> FindFiles(ComposeOptions options)
    {
        if (options.Files.Count > 0)
        {
            var list = new List<string>();
            foreach (string f in options.Files)
            {
                string full = Path.GetFullPath(f, options.CurrentDirectory);
                if (!File.Exists(full)) throw new ComposeFileException($"open {full}: no such file or directory");
                list.Add(full);
            }
            return list;
        }
        for (var dir = new DirectoryInfo(options.CurrentDirectory); dir is not null; dir = dir.Parent)
            foreach (string candidate in DefaultFileNames)
            {
                string full = Path.Combine(dir.FullName, candidate);
                if (File.Exists(full)) return [full];
            }
        throw new ComposeFileException("no configuration file provided: not found");
    }

    static string Display(string file, string cwd)
    {
        string relative = Path.GetRelativePath(cwd, file);
        return relative.StartsWith("..", StringComparison.Ordinal) ? file : relative;
    }

    /// <summary>
    /// -p (or COMPOSE_PROJECT_NAME) must already be a valid name; name: in the file too; the directory's name is
    /// normalised as compose does: lower case, only a-z 0-9 _ -, starting with a letter or digit.
    /// </summary>
    internal static string ProjectName(string? given, string? inFile, string workingDir)
    {
        foreach (string? explicitName in new[] { given, inFile })
        {
            if (explicitName is null) continue;
            if (!ValidName().IsMatch(explicitName))
                throw new ComposeFileException($"invalid project name \"{explicitName}\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number");
            return explicitName;
        }
        string normalized = new string(Path.GetFileName(workingDir.TrimEnd('/')).ToLowerInvariant()
            .Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-').ToArray()).TrimStart('_', '-');
        if (normalized.Length == 0)
            throw new ComposeFileException($"project name must not be empty: the directory name \"{Path.GetFileName(workingDir)}\" has no usable characters; use -p or name:");
        return normalized;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex ValidName();
}
