using System.Text.Json.Nodes;
using MiniContainer.Images;
using MiniContainer.Runtime;

namespace MiniContainer.Build;

/// <summary>What each instruction does to the stage: one method per instruction, in Dockerfile reference order.</summary>
public sealed partial class Builder
{
    private Task ExecuteAsync(Stage stage, Instruction ins)
    {
        var lookup = Lookup(stage);
        try
        {
            return ins.Keyword switch
            {
                "RUN" => RunAsync(stage, ins),
                "COPY" or "ADD" => CopyAsync(stage, ins, lookup),
                "WORKDIR" => WorkdirAsync(stage, ins, lookup),
                "ARG" => ArgAsync(stage, ins),
                "FROM" => throw new BuildException($"FROM is not allowed here (line {ins.Line})"),
                _ => MetadataAsync(stage, ins, lookup),
            };
        }
        catch (IgnorePatternException e) { throw new BuildException($"{ins.Keyword} failed: {e.Message}"); }
    }

    // RUN <command> (shell form, through SHELL) or RUN ["exec", "form"]
    private Task RunAsync(Stage stage, Instruction ins)
    {
        if (ins.Flags.Keys.FirstOrDefault() is { } flag)
            throw new BuildException($"the --{flag} option requires BuildKit, which this daemon does not have: use the classic RUN form (line {ins.Line})");
        var argv = ins.Json?.ToList() ?? Shell(stage).Append(ins.Args).ToList();
        if (argv.Count == 0 || argv.All(a => a.Length == 0)) throw new BuildException($"RUN requires at least one argument (line {ins.Line})");
        var image = stage.Image ?? throw new BuildException($"RUN cannot run in an empty image (FROM scratch with no files yet): there is no {argv[0]} (line {ins.Line})");

        // Build args reach the command as environment variables (the image's ENV wins); declared ones are part of
        // the cache key and of the history, the predefined proxy ones are neither.
        var envKeys = (stage.Config.Config?.Env ?? new()).Select(e => e.Split('=', 2)[0]).ToHashSet();
        var declared = stage.Args.Where(a => a.Value != null && !envKeys.Contains(a.Key)).OrderBy(a => a.Key, StringComparer.Ordinal)
            .Select(a => $"{a.Key}={a.Value}").ToList();
        var proxies = _options.BuildArgs.Where(a => ProxyArgs.Contains(a.Key) && a.Value != null && !envKeys.Contains(a.Key)).Select(a => $"{a.Key}={a.Value}");
        string prefix = declared.Count > 0 ? $"|{declared.Count} {string.Join(' ', declared)} " : "";
        return StepAsync(stage, "RUN " + prefix + Json(argv), null, prefix + string.Join(' ', argv), emptyLayer: false,
            config => RunStep.RunAsync(containers, images, image, config, argv, declared.Concat(proxies).ToList(),
                new RunStep.Network(_options.NetworkMode, _options.ExtraHosts), output));
    }

    // COPY [--from=stage|image] [--chown=u:g] [--chmod=0755] src… dest ; ADD also unpacks archives and fetches URLs
    private async Task CopyAsync(Stage stage, Instruction ins, Func<string, string?> lookup)
    {
        var words = ins.Json?.Select(w => ShellWords.Expand(w, lookup, _escape)).ToList() ?? ShellWords.ExpandAll(ins.Args, lookup, _escape);
        if (words.Count < 2)
            throw new BuildException($"{ins.Keyword} requires at least two arguments, but only one was provided. Destination could not be determined.");
        foreach (string flag in ins.Flags.Keys)
            if (flag is not ("from" or "chown" or "chmod" or "link" or "checksum" or "keep-git-dir"))
                throw new BuildException($"Unknown flag: {flag} (line {ins.Line})");
        if (ins.Keyword == "ADD" && ins.Flags.ContainsKey("from")) throw new BuildException("ADD does not support the --from flag: use COPY");
        string dest = CopyStep.DestinationPath(words[^1], stage.Config.Config?.WorkingDir);
        uint? chmod = CopyStep.ParseChmod(ins.Flags.GetValueOrDefault("chmod"));
        string? chown = ins.Flags.TryGetValue("chown", out var c) ? ShellWords.Expand(c, lookup, _escape) : null;

        RootfsView? fromView = null;
        string root = _context;
        string? fromId = null;
        try
        {
            if (ins.Flags.TryGetValue("from", out var fromFlag))
            {
                string from = ShellWords.Expand(fromFlag, lookup, _escape);
                var fromImage = FindStage(from) is { } s ? s.Image : images.Find(from)
                    ?? throw new BuildException($"invalid from flag value {from}: no build stage and no local image by that name");
                fromView = RootfsView.Mount(images, fromImage, NewScratchDir(), writable: false);
                root = fromView.Root;
                fromId = fromImage?.Id ?? "scratch";
            }
            var sourceWords = words[..^1];
            var sources = new List<CopyStep.Source>();
            var urls = sourceWords.Where(w => ins.Keyword == "ADD" && (w.StartsWith("http://", StringComparison.Ordinal) || w.StartsWith("https://", StringComparison.Ordinal))).ToList();
            foreach (string url in urls) sources.Add(await RemoteFile.FetchAsync(url, NewScratchDir()));
            sources.AddRange(CopyStep.Resolve(root, sourceWords.Except(urls).ToList(), ins.Keyword));
            if (sources.Count > 1 && !dest.EndsWith('/'))
                throw new BuildException($"When using {ins.Keyword} with more than one source file, the destination must be a directory and end with a /");

            string checksum = (fromId is null ? "" : fromId + ":") + CopyStep.Checksum(sources);
            string kind = sources.Count == 1 && !sources[0].IsDirectory ? "file" : "dir";
            string flags = string.Join(' ', ins.Flags.Where(f => f.Key is "chown" or "chmod").Select(f => $"--{f.Key}={f.Value}"));
            string shown = dest.Length > 1 ? dest : "/";
            await StepAsync(stage, $"{ins.Keyword} {flags} {Json(words)}", checksum,
                $"/bin/sh -c #(nop) {ins.Keyword} {kind}:{checksum[^64..]} in {shown} ", emptyLayer: false, config =>
                {
                    string scratch = NewScratchDir();
                    string upper;
                    using (var view = RootfsView.Mount(images, stage.Image, scratch, writable: true))
                    {
                        var owner = CopyStep.ResolveOwner(chown, view.Root);
                        CopyStep.CopyInto(view, sources, dest, owner, chmod, ins.Keyword, extractArchives: ins.Keyword == "ADD");
                        upper = view.UpperDir!;
                    }
                    return Task.FromResult(images.CreateChild(stage.Image, config, upper));
                });
        }
        finally { fromView?.Dispose(); }
    }

    // WORKDIR /path: relative to the previous one; the directory is created when the image lacks it
    private Task WorkdirAsync(Stage stage, Instruction ins, Func<string, string?> lookup)
    {
        string path = ShellWords.Expand(ins.Args, lookup, _escape);
        string full = CopyStep.DestinationPath(path, stage.Config.Config?.WorkingDir).TrimEnd('/');
        if (full.Length == 0) full = "/";
        return StepAsync(stage, "WORKDIR " + full, null, "/bin/sh -c #(nop) WORKDIR " + full, emptyLayer: false, config =>
        {
            config.Config!.WorkingDir = full;
            string scratch = NewScratchDir();
            bool unchanged;
            using (var view = RootfsView.Mount(images, stage.Image, scratch, writable: true))
            {
                string target = SecureJoin.Resolve(view.Root, full);
                if (MiniContainer.Linux.Kernel.LStat(target) is { IsDirectory: false })
                    throw new BuildException($"cannot make WORKDIR {full}: it exists in the image and is not a directory");
                Directory.CreateDirectory(target, (UnixFileMode)0b111_101_101);
                unchanged = view.Unchanged;
            }
            if (unchanged) config.History![^1].EmptyLayer = true;
            return Task.FromResult(images.CreateChild(stage.Image, config, unchanged ? null : Path.Combine(scratch, "upper")));
        });
    }

    // ARG name[=default] …
    private Task ArgAsync(Stage stage, Instruction ins)
    {
        DeclareArgs(ins, stage.Args, _metaArgs, Lookup(stage));
        var shown = ShellWords.Split(ins.Args, _escape).Select(w => w.Split('=', 2)[0]).Select(n => stage.Args[n] is { } v ? $"{n}={v}" : n);
        string text = string.Join(' ', shown);
        return MetadataStepAsync(stage, "ARG " + text, "/bin/sh -c #(nop)  ARG " + string.Join(' ', ShellWords.Split(ins.Args, _escape).Select(w => w.Split('=', 2)[0])), (_, _) => { });
    }

    /// <summary>The instructions that change only the image config.</summary>
    private Task MetadataAsync(Stage stage, Instruction ins, Func<string, string?> lookup)
    {
        string nop = "/bin/sh -c #(nop)  ";
        switch (ins.Keyword)
        {
            case "ENV":
            {
                var pairs = KeyValues(ins, lookup);
                string text = string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}"));
                return MetadataStepAsync(stage, "ENV " + text, nop + "ENV " + text, (d, _) =>
                {
                    d.Env ??= new List<string>();
                    foreach (var (k, v) in pairs)
                    {
                        d.Env.RemoveAll(e => e == k || e.StartsWith(k + "=", StringComparison.Ordinal));
                        d.Env.Add($"{k}={v}");
                    }
                });
            }
            case "LABEL":
            {
                var pairs = KeyValues(ins, lookup);
                string text = string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}"));
                return MetadataStepAsync(stage, "LABEL " + text, nop + "LABEL " + text, (d, _) => { foreach (var (k, v) in pairs) (d.Labels ??= new())[k] = v; });
            }
            case "CMD" or "ENTRYPOINT":
            {
                var argv = ins.Json?.ToList() ?? (ins.Args.Length == 0 && ins.Keyword == "ENTRYPOINT" ? new List<string>() : Shell(stage).Append(ins.Args).ToList());
                bool isCmd = ins.Keyword == "CMD";
                if (isCmd) stage.CmdSet = true;
                bool resetCmd = !isCmd && !stage.CmdSet;
                return MetadataStepAsync(stage, ins.Keyword + " " + Json(argv), nop + ins.Keyword + " " + Json(argv), (d, _) =>
                {
                    if (isCmd) d.Cmd = argv;
                    else
                    {
                        d.Entrypoint = argv;
                        if (resetCmd) d.Cmd = null;   // an ENTRYPOINT drops the base image's CMD
                    }
                });
            }
            case "USER":
            {
                string user = ShellWords.Expand(ins.Args, lookup, _escape);
                return MetadataStepAsync(stage, "USER " + user, nop + "USER " + user, (d, _) => d.User = user);
            }
            case "EXPOSE":
            {
                var ports = ShellWords.ExpandAll(ins.Args, lookup, _escape);
                var changes = ParseChanges(ports.Select(p => "EXPOSE " + p));
                string text = string.Join(' ', changes.ExposedPorts);
                return MetadataStepAsync(stage, "EXPOSE " + text, nop + "EXPOSE " + text, (d, _) => changes.ApplyTo(d));
            }
            case "VOLUME":
            {
                var volumes = ins.Json?.Select(v => ShellWords.Expand(v, lookup, _escape)).ToList() ?? ShellWords.ExpandAll(ins.Args, lookup, _escape);
                if (volumes.Any(v => v.Trim().Length == 0)) throw new BuildException("VOLUME specified can not be an empty string");
                string text = Json(volumes);
                return MetadataStepAsync(stage, "VOLUME " + text, nop + "VOLUME " + text, (d, _) => { foreach (string v in volumes) (d.Volumes ??= new())[v] = EmptyObject.Instance; });
            }
            case "STOPSIGNAL":
            {
                string signal = ShellWords.Expand(ins.Args, lookup, _escape);
                var changes = ParseChanges(["STOPSIGNAL " + signal]);
                return MetadataStepAsync(stage, "STOPSIGNAL " + signal, nop + "STOPSIGNAL " + signal, (d, _) => changes.ApplyTo(d));
            }
            case "SHELL":
            {
                var shell = ins.Json ?? throw new BuildException($"SHELL requires the arguments to be in JSON form (line {ins.Line})");
                if (shell.Count == 0) throw new BuildException("SHELL requires at least one argument");
                return MetadataStepAsync(stage, "SHELL " + Json(shell), nop + "SHELL " + Json(shell),
                    (d, _) => (d.Extra ??= new())["Shell"] = Element(new JsonArray(shell.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray())));
            }
            case "MAINTAINER":
            {
                string name = ShellWords.Expand(ins.Args, lookup, _escape);
                return MetadataStepAsync(stage, "MAINTAINER " + name, nop + "MAINTAINER " + name, (_, config) => config.Author = name);
            }
            case "HEALTHCHECK":
            {
                var health = Healthcheck.Parse(ins);
                string text = health.ToJsonString();
                return MetadataStepAsync(stage, "HEALTHCHECK " + text, nop + "HEALTHCHECK " + Healthcheck.Describe(health),
                    (d, _) => (d.Extra ??= new())["Healthcheck"] = Element(health));
            }
            case "ONBUILD":
            {
                var trigger = ins.Trigger!;
                string text = trigger.Keyword + (trigger.Original.IndexOf(' ') is int space and > 0 ? trigger.Original[space..] : "");
                return MetadataStepAsync(stage, "ONBUILD " + text, nop + "ONBUILD " + text, (d, _) =>
                {
                    var list = d.Extra?.TryGetValue("OnBuild", out var existing) == true && existing.ValueKind == System.Text.Json.JsonValueKind.Array
                        ? existing.EnumerateArray().Select(e => (JsonNode?)JsonValue.Create(e.GetString())).ToList() : new List<JsonNode?>();
                    list.Add(JsonValue.Create(text));
                    (d.Extra ??= new())["OnBuild"] = Element(new JsonArray(list.ToArray()));
                });
            }
            default:
                throw new BuildException($"unknown instruction: {ins.Keyword}");
        }
    }

    private static ImageConfigChanges ParseChanges(IEnumerable<string> lines)
    {
        try { return ImageConfigChanges.FromLines(lines); }
        catch (FormatException e) { throw new BuildException(e.Message); }
    }
}
