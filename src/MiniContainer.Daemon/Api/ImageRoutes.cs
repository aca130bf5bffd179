using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Containers;
using MiniContainer.Images;

namespace MiniContainer.Api;

/// <summary>/images/* of the Docker Engine API: list, inspect, tag, remove, import, load, save.</summary>
public static class ImageRoutes
{
    public static void Map(Router r, ImageStore images, ContainerService containers)
    {
        r.Map("GET", "/images/json", ctx =>
        {
            var filters = FilterArgs.Parse(ctx.Q("filters"));
            bool all = ctx.QBool("all");
            var includes = ListFilter(filters, reference => Get(images, reference));
            var patterns = filters.Contains("reference") ? filters.Get("reference") : null;
            var list = images.List()
                // Untagged images with a child are a build's intermediate images: shown only with -a, never dangling.
                .Where(i => i.RepoTags.Count > 0 || (all && !filters.Contains("dangling")) || !images.HasChildren(i.Id))
                .Where(includes)
                // As dockerd: a reference filter also trims each image's names to those it matches.
                .Select(i => (Image: i,
                    Tags: patterns is null ? i.RepoTags : i.RepoTags.Where(t => patterns.Any(p => ReferenceMatches(t, p))).ToList(),
                    Digests: patterns is null ? i.RepoDigests : i.RepoDigests.Where(t => patterns.Any(p => ReferenceMatches(t, p))).ToList()))
                .Where(x => patterns is null || x.Tags.Count + x.Digests.Count > 0)
                .OrderByDescending(x => x.Image.Created)
                .Select(x => Summary(images, containers, x.Image, x.Tags, x.Digests))
                .ToList();
            return ctx.WriteJsonAsync(200, list, DaemonJson.Default.ListImageSummary);
        });

        r.Map("GET", "/images/{name*}/json", ctx => ctx.WriteJsonAsync(200, Inspect(images, Get(images, ctx.R("name"))), DaemonJson.Default.ImageInspect));

        r.Map("POST", "/images/{name*}/tag", async ctx =>
        {
            string repo = ctx.Q("repo") ?? throw new BadRequestException("repository name must have at least one component");
            string tag = ctx.Q("tag") is { Length: > 0 } t ? t : "latest";
            images.Tag(ctx.R("name"), repo.Contains(':') && !repo.Contains('/') ? repo : $"{repo}:{tag}");
            await ctx.WriteEmptyAsync(201);
        });

        r.Map("DELETE", "/images/{name*}", ctx =>
        {
            var result = images.RemoveWithParents(ctx.R("name"), ctx.QBool("force"), ctx.QBool("noprune"), id => containers.All.FirstOrDefault(c => c.Record.Image == id)?.Record.Id);
            var array = new JsonArray(result.Select(kv => (JsonNode)new JsonObject { [kv.Key] = kv.Value }).ToArray());
            return ctx.WriteJsonNodeAsync(200, array);
        });

        // docker import: fromSrc=- with the rootfs tarball as the body. fromImage=: pull (RegistryRoutes).
        r.Map("POST", "/images/create", async ctx =>
        {
            if (ctx.Q("fromSrc") is { } src)
            {
                if (src != "-") throw new BadRequestException("importing from a URL is not supported here: send the tarball in the request body (fromSrc=-)");
                string? repo = ctx.Q("repo");
                string? tag = ctx.Q("tag");
                string? repoTag = string.IsNullOrEmpty(repo) ? null : repo.LastIndexOf(':') > repo.LastIndexOf('/') && !repo.EndsWith(':') ? repo : $"{repo}:{(string.IsNullOrEmpty(tag) ? "latest" : tag)}";
                var changes = ctx.Query.TryGetValue("changes", out var c) ? c : new List<string>();
                ImageConfigChanges? parsed = null;
                foreach (string line in changes)
                {
                    parsed ??= new ImageConfigChanges();
                    try { parsed.Parse(line); } catch (FormatException e) { throw new BadRequestException(e.Message); }
                }
                var image = images.Import(ctx.Body, repoTag, parsed, ctx.Q("message"));
                var stream = await ctx.StartStreamAsync(200, "application/json");
                await stream.WriteAsync(Encoding.UTF8.GetBytes(new JsonObject { ["status"] = image.Id }.ToJsonString() + "\n"));
                return;
            }
            await RegistryRoutes.PullAsync(ctx, images);
        });

        // docker commit: the container's image plus a layer of what the container changed.
        r.Map("POST", "/commit", async ctx =>
        {
            var c = containers.Get(ctx.Q("container") ?? throw new BadRequestException("no container given to commit"));
            var r = c.Record;
            string? repo = ctx.Q("repo");
            string? repoTag = string.IsNullOrEmpty(repo) ? null : $"{repo}:{(ctx.Q("tag") is { Length: > 0 } t ? t : "latest")}";
            var parent = images.Find(r.Image) ?? throw new NotFoundException($"No such image: {r.Image}");
            var config = new ContainerDefaults
            {
                User = r.Config.User, Env = r.Config.Env, Cmd = r.Config.Cmd, Entrypoint = r.Config.Entrypoint,
                WorkingDir = r.Config.WorkingDir, Labels = r.Config.Labels, StopSignal = r.Config.StopSignal,
                ExposedPorts = parent.Config.Config?.ExposedPorts, Volumes = parent.Config.Config?.Volumes,
            };
            if (ctx.Query.TryGetValue("changes", out var changes) && changes.Count > 0)
            {
                try { ImageConfigChanges.FromLines(changes).ApplyTo(config); }
                catch (FormatException e) { throw new BadRequestException(e.Message); }
            }
            var exclude = new HashSet<string> { "/etc/hostname", "/etc/hosts", "/etc/resolv.conf" };
            exclude.UnionWith(r.Mounts.Select(m => m.Destination));
            bool pause = ctx.Q("pause") is not ("0" or "false" or "False");   // dockerd's default: pause
            var image = await containers.WhilePausedAsync(c, pause, () => images.Commit(parent, r.GraphDriver.Data["UpperDir"], exclude, config, repoTag,
                ctx.Q("comment"), ctx.Q("author"), string.Join(' ', new[] { r.Path }.Concat(r.Args))));
            Log.Info($"committed container {r.ShortId} as {image.Id[7..19]}{(repoTag is null ? "" : " (" + repoTag + ")")}");
            await ctx.WriteJsonAsync(201, new IdResponse(image.Id), DaemonJson.Default.IdResponse);
        });

        r.Map("POST", "/images/load", async ctx =>
        {
            // Loaded fully (verified, then committed) before anything is written. As with dockerd, the answer is a
            // 200 JSON stream even when the archive is refused: the error is its one message.
            List<string> loaded;
            try { loaded = images.Load(ctx.Body, line => Log.Trace("load: " + line)).ToList(); }
            catch (Exception e) when (HttpServer.ErrorStatus(e).Status < 500)
            {
                var failed = await ctx.StartStreamAsync(200, "application/json");
                await failed.WriteAsync(Encoding.UTF8.GetBytes(new JsonObject
                    { ["errorDetail"] = new JsonObject { ["message"] = e.Message }, ["error"] = e.Message }.ToJsonString() + "\n"));
                return;
            }
            var stream = await ctx.StartStreamAsync(200, "application/json");
            foreach (string line in loaded)
                await stream.WriteAsync(Encoding.UTF8.GetBytes(new JsonObject { ["stream"] = line + "\n" }.ToJsonString() + "\n"));
        });

        r.Map("GET", "/images/get", ctx => SaveAsync(ctx, images, ctx.Query.TryGetValue("names", out var n) ? n : new List<string>()));
        r.Map("GET", "/images/{name*}/get", ctx => SaveAsync(ctx, images, new List<string> { ctx.R("name") }));
    }

    private static async Task SaveAsync(HttpContext ctx, ImageStore images, List<string> names)
    {
        if (names.Count == 0) throw new BadRequestException("no images given to save");
        foreach (string n in names) Get(images, n);          // fail before the 200 goes out
        var stream = await ctx.StartStreamAsync(200, "application/x-tar");
        var buffered = new BufferedStream(stream, 1 << 20);
        images.Save(names, buffered);
        await buffered.FlushAsync();
    }

    private static Image Get(ImageStore images, string reference) =>
        images.Find(reference) ?? throw new NotFoundException($"No such image: {reference}");

    /// <summary>One row of GET /images/json (and of /system/df, which knows <paramref name="sharedSize"/>).</summary>
    internal static ImageSummary Summary(ImageStore images, ContainerService containers, Image i,
        IReadOnlyList<string> tags, IReadOnlyList<string> digests, long sharedSize = -1) => new()
    {
        Id = i.Id, ParentId = images.ParentOf(i.Id) ?? "", RepoTags = tags, RepoDigests = digests,
        Created = i.Created.ToUnixTimeSeconds(), Size = i.Size, SharedSize = sharedSize, VirtualSize = i.Size,
        Labels = i.Config.Config?.Labels ?? new Dictionary<string, string>(),
        Containers = containers.All.Count(c => c.Record.Image == i.Id),
    };

    /// <summary>The image config's "container_config" as stored (an empty one when it has none, as dockerd answers).</summary>
    private static ContainerDefaults ContainerConfigOf(Image i)
    {
        try
        {
            if (JsonNode.Parse(i.RawConfig)?["container_config"] is JsonObject o)
                return System.Text.Json.JsonSerializer.Deserialize(o, ImageJson.Default.ContainerDefaults) ?? new ContainerDefaults();
        }
        catch (System.Text.Json.JsonException) { }
        return new ContainerDefaults();
    }

    /// <summary>
    /// GET /images/json's filters but `reference` (which also trims names, so the route applies it): dangling (no tag),
    /// every label, before/since (images created before/after the named one) and until (a time). Different keys ANDed.
    /// </summary>
    internal static Func<Image, bool> ListFilter(FilterArgs filters, Func<string, Image> lookup)
    {
        filters.Validate("dangling", "label", "before", "since", "reference", "until");
        bool? dangling = filters.Contains("dangling") ? filters.GetBool("dangling", false) : null;
        var before = filters.Get("before").Select(b => lookup(b).Created).ToList();
        var since = filters.Get("since").Select(b => lookup(b).Created).ToList();
        var until = filters.Get("until").Select(u => PruneFilters.Cutoff(u, DateTimeOffset.UtcNow)).ToList();
        return i => (dangling is not { } d || d == (i.RepoTags.Count == 0))
            && filters.MatchLabels("label", i.Config.Config?.Labels)
            && before.All(t => i.Created < t) && since.All(t => i.Created > t) && until.All(t => i.Created <= t);
    }

    private static bool ReferenceMatches(string reference, string pattern)
    {
        // Docker's FamiliarMatch: the pattern (path.Match: * and ? stop at '/') against "repo:tag" / "repo@digest",
        // then against the bare repository, so "busybox" and "busybox:*" both match "busybox:latest".
        string regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", "[^/]*").Replace("\\?", "[^/]") + "$";
        string repository = ImageStore.RepositoryOf(reference);
        return System.Text.RegularExpressions.Regex.IsMatch(reference, regex) || System.Text.RegularExpressions.Regex.IsMatch(repository, regex);
    }

    /// <summary>
    /// The image's container defaults as dockerd shows them: its Config type always carries these keys, so clients
    /// index them without checking (docker-py's build test reads Config["OnBuild"]). The stored config keeps only
    /// what the image has.
    /// </summary>
    private static ContainerDefaults? InspectConfig(ContainerDefaults? stored)
    {
        if (stored is null) return null;
        var shown = System.Text.Json.JsonSerializer.Deserialize(
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(stored, ImageJson.Default.ContainerDefaults), ImageJson.Default.ContainerDefaults)!;
        shown.User ??= "";
        shown.WorkingDir ??= "";
        var extra = shown.Extra ??= new();
        foreach (var (key, json) in AlwaysShown)
            if (!extra.ContainsKey(key)) extra[key] = System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();
        return shown;
    }

    private static readonly (string Key, string Json)[] AlwaysShown =
    [
        ("Hostname", "\"\""), ("Domainname", "\"\""), ("AttachStdin", "false"), ("AttachStdout", "false"), ("AttachStderr", "false"),
        ("Tty", "false"), ("OpenStdin", "false"), ("StdinOnce", "false"), ("Image", "\"\""), ("OnBuild", "null"),
    ];

    /// <summary>GET /images/{name}/json, Docker's shape.</summary>
    public static ImageInspect Inspect(ImageStore images, Image i) => new()
    {
        ContainerConfig = ContainerConfigOf(i),
        Id = i.Id,
        RepoTags = i.RepoTags,
        RepoDigests = i.RepoDigests,
        Parent = images.ParentOf(i.Id) ?? "",
        Comment = i.Config.History?.LastOrDefault()?.Comment ?? "",
        Created = i.Config.Created ?? i.Created.UtcDateTime.ToString("o"),
        DockerVersion = "",
        Author = i.Config.Author ?? "",
        Config = InspectConfig(i.Config.Config),
        Architecture = i.Config.Architecture,
        Os = i.Config.Os,
        Size = i.Size,
        GraphDriver = new GraphDriverData { Name = "overlay2", Data = { ["LowerDir"] = string.Join(':', images.LowerDirs(i)) } },
        RootFS = new ImageRootFs(Type: "layers", Layers: i.Config.RootFs.DiffIds),
        Metadata = new ImageMetadata(LastTagTime: "0001-01-01T00:00:00Z"),
    };
}
