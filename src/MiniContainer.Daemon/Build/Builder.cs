using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Containers;
using MiniContainer.Images;
using MiniContainer.Registry;
using MiniContainer.Runtime;

namespace MiniContainer.Build;

/// <summary>What POST /build asked for.</summary>
/// <param name="NetworkMode">The RUN containers' network (none, host, bridge, a network's name or ID); null: the default bridge.</param>
/// <param name="ExtraHosts">"host:ip" lines for the RUN containers' /etc/hosts.</param>
/// <param name="CacheFrom">cachefrom: when given, a cached step counts only if its image is one of these images or
/// was built on the way to one (null: the whole local cache, as without the option).</param>
public sealed record BuildOptions(
    IReadOnlyList<string> Tags, string Dockerfile, IReadOnlyDictionary<string, string?> BuildArgs, string? Target,
    bool NoCache, IReadOnlyDictionary<string, string> Labels,
    string? NetworkMode = null, IReadOnlyList<string>? ExtraHosts = null, IReadOnlyList<string>? CacheFrom = null);

/// <summary>
/// The classic builder: reads the Dockerfile, then runs each stage's instructions in order on top of the
/// stage's base image. Every step makes a new image from the one before (its parent): RUN, COPY, ADD and
/// WORKDIR add a layer, the others only change the config (an "empty_layer" history entry). Each step is first
/// looked up in the build cache. Only the final stage (or --target) is tagged. Output as Docker's classic builder.
/// </summary>
public sealed partial class Builder(ImageStore images, ContainerService containers, BuildCache cache, string workDir, BuildOutput output)
{
    /// <summary>Credentials for registries FROM pulls from (X-Registry-Config: registry → auth), anonymous otherwise.</summary>
    public Func<string, AuthConfig> RegistryCredentials { get; init; } = _ => AuthConfig.Anonymous;

    /// <summary>FROM an image this daemon does not have: pull it first, as `docker build` does, the pull's progress in the build output.</summary>
    private async Task<Image> PullBaseImageAsync(string reference)
    {
        ImageReference parsed;
        try { parsed = ImageReference.Parse(reference); }
        catch (InvalidReferenceException e) { throw new BuildException(e.Message); }
        var progress = new ProgressWriter(() => Task.FromResult(output.ProgressStream));
        try { await new Puller(images).PullAsync(parsed, RegistryCredentials(parsed.Domain), allTags: false, progress, CancellationToken.None); }
        catch (Exception e) when (e is RegistryException or InvalidArchiveException or IOException or InvalidOperationException)
        {
            await progress.CompleteAsync();
            throw new BuildException(e.Message);
        }
        await progress.CompleteAsync();
        return images.Find(reference) ?? throw new BuildException($"No such image: {reference}");
    }

    /// <summary>Build args every Dockerfile may use without declaring them (kept out of the image's history).</summary>
    private static readonly HashSet<string> ProxyArgs = new(StringComparer.Ordinal)
    {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    };
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private sealed class Stage
    {
        public string? Name;
        public Image? Image;
        public ImageConfig Config = new();
        public bool CmdSet;
        public readonly Dictionary<string, string?> Args = new(StringComparer.Ordinal);
    }

    private BuildOptions _options = null!;
    private string _context = "";
    private char _escape = '\\';
    private readonly Dictionary<string, string?> _metaArgs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _usedArgs = new(StringComparer.Ordinal);
    private readonly List<Stage> _stages = new();
    private int _step, _total, _scratchCounter;

    /// <summary>Builds <paramref name="dockerfileText"/> with <paramref name="contextDir"/> as the context; returns the final stage's image.</summary>
    public async Task<Image> BuildAsync(string contextDir, string dockerfileText, BuildOptions options)
    {
        _options = options;
        _context = contextDir;
        var dockerfile = DockerfileParser.Parse(dockerfileText, Path.GetFileName(options.Dockerfile));
        _escape = dockerfile.Escape;

        // ARGs before the first FROM, then one list of instructions per stage.
        var stages = new List<List<Instruction>>();
        foreach (var ins in dockerfile.Instructions)
        {
            if (ins.Keyword == "FROM") stages.Add(new List<Instruction> { ins });
            else if (stages.Count > 0) stages[^1].Add(ins);
            else if (ins.Keyword == "ARG") DeclareArgs(ins, _metaArgs, inherited: null, lookup: MetaLookup);
            else throw new BuildException($"{Path.GetFileName(options.Dockerfile)} parse error line {ins.Line}: no build stage in current context: {ins.Keyword} before the first FROM (only ARG may come before it)");
        }
        if (stages.Count == 0) throw new BuildException("the Dockerfile has no FROM instruction: no build stage in current context");

        int last = stages.Count - 1;
        if (!string.IsNullOrEmpty(options.Target))
        {
            last = stages.FindIndex(s => string.Equals(StageName(s[0]), options.Target, StringComparison.OrdinalIgnoreCase));
            if (last < 0) throw new BuildException($"failed to reach build target {options.Target} in Dockerfile");
        }
        _total = stages.Take(last + 1).Sum(s => s.Count);

        for (int i = 0; i <= last; i++) await BuildStageAsync(stages[i]);
        var final = _stages[last];
        if (options.Labels.Count > 0)
        {
            string text = string.Join(' ', options.Labels.Select(kv => $"\"{kv.Key}\"='{kv.Value}'"));
            await MetadataStepAsync(final, "LABEL " + text, $"/bin/sh -c #(nop)  LABEL {text}",
                (d, _) => { foreach (var (k, v) in options.Labels) (d.Labels ??= new())[k] = v; });
        }
        if (final.Image is null) throw new BuildException("No image was generated. Is your Dockerfile empty?");

        var unused = options.BuildArgs.Keys.Where(k => !_usedArgs.Contains(k) && !ProxyArgs.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unused.Count > 0) await output.LineAsync($"[Warning] One or more build-args [{string.Join(' ', unused)}] were not consumed");
        return final.Image;
    }

    private string? MetaLookup(string name) => _metaArgs.TryGetValue(name, out var v) ? v : null;

    private static string? StageName(Instruction from)
    {
        var words = ShellWords.Split(from.Args);
        return words.Count == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
    }

    // ───────────────────────────── stages ─────────────────────────────

    private async Task BuildStageAsync(List<Instruction> instructions)
    {
        var from = instructions[0];
        var stage = new Stage();
        await output.LineAsync($"Step {++_step}/{_total} : {from.Original}");
        var words = ShellWords.Split(from.Args, _escape);
        if (words.Count is not (1 or 3) || (words.Count == 3 && !words[1].Equals("AS", StringComparison.OrdinalIgnoreCase)))
            throw new BuildException($"FROM requires either one or three arguments: FROM <image> [AS <name>] (line {from.Line})");
        string reference = ShellWords.Expand(words[0], MetaLookup, _escape);
        foreach (string name in _metaArgs.Keys) if (from.Args.Contains(name, StringComparison.Ordinal)) _usedArgs.Add(name);
        stage.Name = words.Count == 3 ? words[2] : null;
        if (stage.Name != null && _stages.Any(s => string.Equals(s.Name, stage.Name, StringComparison.OrdinalIgnoreCase)))
            throw new BuildException($"duplicate name {stage.Name}: each stage needs its own name");

        if (reference.Equals("scratch", StringComparison.OrdinalIgnoreCase))
        {
            stage.Config = new ImageConfig
            {
                Architecture = images.List().FirstOrDefault()?.Config.Architecture ?? "amd64", Os = "linux",
                Config = new ContainerDefaults { Env = new List<string> { DefaultPath } }, History = new List<HistoryEntry>(),
            };
            await output.LineAsync(" ---> ");
        }
        else
        {
            var baseImage = FindStage(reference)?.Image ?? images.Find(reference) ?? await PullBaseImageAsync(reference);
            stage.Image = baseImage;
            stage.Config = ImageStore.CopyConfig(baseImage);
            stage.Config.Config ??= new ContainerDefaults();
            await output.LineAsync($" ---> {baseImage.ShortId}");
        }
        _stages.Add(stage);

        // ONBUILD triggers of the base image run now, and are not inherited by what we build.
        if (stage.Config.Config?.Extra is { } extra && extra.Remove("OnBuild", out var triggers) && triggers.ValueKind == JsonValueKind.Array)
        {
            var list = triggers.EnumerateArray().Select(t => t.GetString() ?? "").Where(t => t.Length > 0).ToList();
            if (list.Count > 0) await output.LineAsync($"# Executing {list.Count} build trigger{(list.Count == 1 ? "" : "s")}");
            foreach (string trigger in list) await ExecuteAsync(stage, DockerfileParser.ParseInstruction(trigger, from.Line, "ONBUILD", _escape));
        }

        foreach (var ins in instructions.Skip(1))
        {
            await output.LineAsync($"Step {++_step}/{_total} : {ins.Original}");
            await ExecuteAsync(stage, ins);
        }
    }

    private Stage? FindStage(string nameOrIndex)
    {
        if (int.TryParse(nameOrIndex, out int index)) return index >= 0 && index < _stages.Count ? _stages[index] : null;
        return _stages.FirstOrDefault(s => string.Equals(s.Name, nameOrIndex, StringComparison.OrdinalIgnoreCase));
    }

    // ───────────────────────────── steps and the cache ─────────────────────────────

    /// <summary>Runs one step through the cache: reuse the image a step with the same key made, or make it now.</summary>
    private async Task StepAsync(Stage stage, string cacheText, string? checksum, string createdBy, bool emptyLayer, Func<ImageConfig, Task<Image>> make)
    {
        string key = BuildCache.Key(stage.Image?.Id ?? Digests.Of(ImageJson.Serialize(stage.Config, ImageJson.Store.ImageConfig)), cacheText, checksum);
        if (!_options.NoCache && cache.Find(key, images) is { } hit && CacheSourcesAllow(hit))
        {
            await output.LineAsync(" ---> Using cache");
            await AdoptAsync(stage, hit);
            return;
        }
        var config = ImageJson.Parse(ImageJson.Serialize(stage.Config, ImageJson.Store.ImageConfig), ImageJson.Store.ImageConfig, "config");
        string now = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ");
        config.Created = now;
        config.Config ??= new ContainerDefaults();
        (config.History ??= new List<HistoryEntry>()).Add(new HistoryEntry { Created = now, CreatedBy = createdBy, EmptyLayer = emptyLayer ? true : null });
        var image = await make(config);
        cache.Add(key, image.Id, images);
        await AdoptAsync(stage, image);
    }

    private HashSet<string>? _cacheSources;

    /// <summary>
    /// cachefrom, as the classic builder reads it: with source images named, a local cache hit is used only when it is
    /// one of them or an ancestor of one (walking the parents builds record); names that match no image are skipped,
    /// so with none left nothing comes from the cache. Without cachefrom every hit counts.
    /// </summary>
    private bool CacheSourcesAllow(Image hit)
    {
        if (_options.CacheFrom is null) return true;
        if (_cacheSources is null)
        {
            _cacheSources = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in _options.CacheFrom)
                for (string? id = images.Find(name)?.Id; id != null && _cacheSources.Add(id); id = images.ParentOf(id)) { }
        }
        return _cacheSources.Contains(hit.Id);
    }

    private async Task AdoptAsync(Stage stage, Image image)
    {
        stage.Image = image;
        stage.Config = ImageStore.CopyConfig(image);
        stage.Config.Config ??= new ContainerDefaults();
        await output.LineAsync($" ---> {image.ShortId}");
    }

    private Task MetadataStepAsync(Stage stage, string cacheText, string createdBy, Action<ContainerDefaults, ImageConfig> apply) =>
        StepAsync(stage, cacheText, null, createdBy, emptyLayer: true, config =>
        {
            apply(config.Config!, config);
            return Task.FromResult(images.CreateChild(stage.Image, config, null));
        });

    private string NewScratchDir()
    {
        string dir = Path.Combine(workDir, $"step-{++_scratchCounter}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    // ───────────────────────────── variables ─────────────────────────────

    /// <summary>What $NAME means at this step: the image's ENV first, then the ARGs the stage declared.</summary>
    private Func<string, string?> Lookup(Stage stage) => name =>
    {
        var env = stage.Config.Config?.Env;
        if (env != null)
            for (int i = env.Count - 1; i >= 0; i--)
                if (env[i].StartsWith(name + "=", StringComparison.Ordinal)) return env[i][(name.Length + 1)..];
        if (stage.Args.TryGetValue(name, out var value)) { _usedArgs.Add(name); return value; }
        return null;
    };

    /// <summary>ARG name[=default] …: the value is --build-arg's, else the default, else (in a stage) the global ARG's.</summary>
    private void DeclareArgs(Instruction ins, Dictionary<string, string?> into, Dictionary<string, string?>? inherited, Func<string, string?> lookup)
    {
        foreach (string word in ShellWords.Split(ins.Args, _escape))
        {
            int eq = word.IndexOf('=');
            string name = eq < 0 ? word : word[..eq];
            if (name.Length == 0) throw new BuildException($"ARG names can not be blank (line {ins.Line})");
            string? value = eq < 0 ? null : ShellWords.Expand(word[(eq + 1)..], lookup, _escape);
            if (eq < 0 && inherited != null && inherited.TryGetValue(name, out var global)) value = global;
            if (_options.BuildArgs.TryGetValue(name, out var given) && given != null) value = given;
            into[name] = value;
            _usedArgs.Add(name);
        }
    }

    /// <summary>ENV and LABEL: KEY=VALUE pairs (quotes and escapes as in a shell), or the old "KEY rest of line".</summary>
    private List<(string Key, string Value)> KeyValues(Instruction ins, Func<string, string?> lookup)
    {
        var words = ShellWords.Split(ins.Args, _escape);
        var pairs = new List<(string, string)>();
        if (!words[0].Contains('='))
        {
            int space = ins.Args.IndexOfAny([' ', '\t']);
            if (space < 0) throw new BuildException($"{ins.Keyword} must have two arguments (line {ins.Line})");
            pairs.Add((ShellWords.Expand(ins.Args[..space], lookup, _escape), ShellWords.Expand(ins.Args[(space + 1)..].Trim(), lookup, _escape)));
            return pairs;
        }
        foreach (string word in words)
        {
            int eq = word.IndexOf('=');
            if (eq < 0) throw new BuildException($"Syntax error - can't find = in \"{word}\". Must be of the form: name=value (line {ins.Line})");
            string key = ShellWords.Expand(word[..eq], lookup, _escape);
            if (key.Length == 0) throw new BuildException($"{ins.Keyword} names can not be blank (line {ins.Line})");
            pairs.Add((key, ShellWords.Expand(word[(eq + 1)..], lookup, _escape)));
        }
        return pairs;
    }

    private static string Json(IEnumerable<string> items) => new JsonArray(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()).ToJsonString();

    private static JsonElement Element(JsonNode node)
    {
        using var doc = JsonDocument.Parse(node.ToJsonString());
        return doc.RootElement.Clone();
    }

    /// <summary>The shell SHELL set (stored in the config as Docker stores it), else /bin/sh -c.</summary>
    private static List<string> Shell(Stage stage) =>
        stage.Config.Config?.Extra is { } e && e.TryGetValue("Shell", out var s) && s.ValueKind == JsonValueKind.Array
            ? s.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
            : new List<string> { "/bin/sh", "-c" };
}
