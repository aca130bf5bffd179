using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Build;
using MiniContainer.Containers;
using MiniContainer.Explaining;
using MiniContainer.Images;
using MiniContainer.Registry;
using MiniContainer.Runtime;
using MiniContainer.Storage;

namespace MiniContainer.Api;

/// <summary>
/// POST /build (the classic builder's protocol: the context tar as the body, options in the query, a JSON
/// message stream back), GET /images/{name}/history and POST /images/prune.
/// </summary>
public static class BuildRoutes
{
    public static void Map(Router r, HostPaths paths, ImageStore images, ContainerService containers)
    {
        var cache = new BuildCache(paths);

        r.Map("POST", "/build", async ctx =>
        {
            if (ctx.Q("remote") is { Length: > 0 } remote)
                throw new BadRequestException($"building from a remote context is not supported here: {remote}; send the context as a tar");
            var tags = ctx.Query.TryGetValue("t", out var t) ? t.Where(x => x.Length > 0).ToList() : new List<string>();
            foreach (string tag in tags)
                if (!ImageReference.TryParse(tag, out var parsed) || parsed.Digest != null)
                    throw new BadRequestException($"invalid reference format: {tag}");
            var options = new BuildOptions(
                // The first value, as Go's FormValue reads it: docker-py sends a Dockerfile from outside the context as
                // two values, the generated name it put in the context tar, then the file's text.
                tags, ctx.Query.TryGetValue("dockerfile", out var f) && f.Count > 0 && f[0].Length > 0 ? f[0] : "Dockerfile",
                JsonMap(ctx.Q("buildargs"), "buildargs"), ctx.Q("target"), ctx.QBool("nocache"),
                JsonMap(ctx.Q("labels"), "labels").ToDictionary(kv => kv.Key, kv => kv.Value ?? ""),
                NetworkMode: ctx.Q("networkmode"),
                ExtraHosts: ctx.Query.TryGetValue("extrahosts", out var hosts) ? hosts.Where(h => h.Length > 0).ToList() : null,
                CacheFrom: CacheFrom(ctx.Q("cachefrom")));

            var stream = await ctx.StartStreamAsync(200, "application/json");
            // ?explain=1 (our extension): the steps of every instruction (its RUN container's, its COPY's, its layer's).
            var explained = ExplainRoutes.Requested(ctx);
            using var listening = ExplainSession.ListenForRequest("build");
            var output = new BuildOutput(stream, ctx.QBool("q")) { Explained = explained is not null };
            string workDir = Path.Combine(paths.Tmp, "build-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(workDir);
            try
            {
                string context = Path.Combine(workDir, "context");
                Directory.CreateDirectory(context);
                try { LayerUnpacker.Unpack(ctx.Body, context); }
                catch (InvalidArchiveException e) { throw new BuildException("the build context is not a valid tar archive: " + e.Message); }
                string dockerfileText = ReadDockerfile(context, options.Dockerfile);

                var builder = new Builder(images, containers, cache, workDir, output) { RegistryCredentials = RegistryConfig(ctx) };
                var image = await builder.BuildAsync(context, dockerfileText, options);
                await output.ImageIdAsync(image.Id);
                await output.LineAsync($"Successfully built {image.ShortId}");
                foreach (string tag in tags)
                {
                    images.Tag(image.Id, tag);
                    await output.LineAsync($"Successfully tagged {ImageReference.Parse(tag).WithDefaultTag()}");
                }
                Log.Info($"built image {image.ShortId}{(tags.Count > 0 ? " (" + string.Join(", ", tags) + ")" : "")}");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The 200 is out already: a failure is the stream's last message, as Docker's builder reports it.
                if (e is BuildException or DockerfileException or ApiException) Log.Info($"build failed: {e.Message}");
                else Log.Warn($"build failed: {e}");
                await output.ErrorAsync(e.Message, e is BuildException b ? b.Code : 0);
            }
            finally
            {
                try { Directory.Delete(workDir, recursive: true); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Log.Warn($"build: cannot delete {workDir}: {e.Message}"); }
            }
        });

        r.Map("GET", "/images/{name*}/history", ctx =>
        {
            var image = images.Find(ctx.R("name")) ?? throw new NotFoundException($"No such image: {ctx.R("name")}");
            return ctx.WriteJsonNodeAsync(200, ImageHistory.Build(images, image));
        });

        // The docker CLI's `system prune` and `builder prune` ask this. Our builder is Docker's classic one: its cache is
        // the intermediate images a build leaves (parents of what it tagged), and `image prune` already removes every
        // chain no tag needs any more. So there is never a separate cache object to delete, and the answer says so.
        r.Map("POST", "/build/prune", ctx =>
            ctx.WriteJsonNodeAsync(200, new JsonObject { ["CachesDeleted"] = new JsonArray(), ["SpaceReclaimed"] = 0 }));

        r.Map("POST", "/images/prune", ctx =>
        {
            var filters = FilterArgs.Parse(ctx.Q("filters"));
            PruneFilters.Validate(filters, "dangling");
            bool all = !filters.GetBool("dangling", true);   // dangling=false: every unused image, not only untagged ones
            var (deleted, reclaimed) = images.Prune(all, id => containers.All.Any(c => c.Record.Image == id),
                image => PruneFilters.Matches(filters, image.Config.Config?.Labels, image.Created));
            var list = new JsonArray(deleted.Select(kv => (JsonNode?)new JsonObject { [kv.Key] = kv.Value }).ToArray());
            return ctx.WriteJsonNodeAsync(200, new JsonObject { ["ImagesDeleted"] = list, ["SpaceReclaimed"] = reclaimed });
        });
    }

    /// <summary>The Dockerfile's text; then, as Docker does, the Dockerfile and .dockerignore leave the context when .dockerignore names them.</summary>
    private static string ReadDockerfile(string context, string name)
    {
        string path = SecureJoin.Resolve(context, name);
        if (!File.Exists(path)) throw new BuildException($"Cannot locate specified Dockerfile: {name}");
        string text = File.ReadAllText(path);
        string ignoreFile = Path.Combine(context, ".dockerignore");
        if (File.Exists(ignoreFile))
        {
            IgnorePatterns patterns;
            try { patterns = IgnorePatterns.Parse(File.ReadAllText(ignoreFile)); }
            catch (IgnorePatternException e) { throw new BuildException(e.Message); }
            foreach (string file in new[] { IgnorePatterns.Clean(name), ".dockerignore" })
                if (patterns.IsIgnored(file)) File.Delete(SecureJoin.Resolve(context, file));
        }
        return text;
    }

    /// <summary>cachefrom: a JSON array of image names (null when not given).</summary>
    private static List<string>? CacheFrom(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            if (JsonNode.Parse(json) is JsonArray a && a.All(e => e is JsonValue v && v.GetValueKind() == JsonValueKind.String))
                return a.Select(e => e!.GetValue<string>()).ToList();
        }
        catch (JsonException) { }
        throw new BadRequestException($"invalid cachefrom: {json}: expected a JSON array of image names");
    }

    /// <summary>buildargs / labels: a JSON object of strings (null: a build arg given without a value).</summary>
    /// <summary>X-Registry-Config, which docker build sends: base64url JSON of registry → credentials (config.json's
    /// "auths"), for FROM images the daemon must pull. Keys may be "host:port", a URL, or Docker Hub's index URL.</summary>
    private static Func<string, AuthConfig> RegistryConfig(HttpContext ctx)
    {
        if (!ctx.Headers.TryGetValue("X-Registry-Config", out string? header) || string.IsNullOrWhiteSpace(header)) return _ => AuthConfig.Anonymous;
        var byRegistry = new Dictionary<string, AuthConfig>(StringComparer.OrdinalIgnoreCase);
        try
        {
            if (JsonNode.Parse(AuthConfig.DecodeBase64Url(header)) is JsonObject map)
                foreach (var (key, value) in map)
                    if (value is JsonObject entry)
                        byRegistry[RegistryHost(key)] = AuthConfig.FromJson(System.Text.Encoding.UTF8.GetBytes(entry.ToJsonString()));
        }
        catch (Exception e) when (e is FormatException or JsonException) { throw new BadRequestException("invalid X-Registry-Config header: " + e.Message); }
        return domain => byRegistry.TryGetValue(domain, out var auth) ? auth : AuthConfig.Anonymous;
    }

    /// <summary>"https://index.docker.io/v1/" → docker.io, "http://127.0.0.1:5000/v2/" → 127.0.0.1:5000, "host:5000" stays.</summary>
    internal static string RegistryHost(string key)
    {
        string host = key.Contains("://", StringComparison.Ordinal) ? key[(key.IndexOf("://", StringComparison.Ordinal) + 3)..] : key;
        host = host.Split('/')[0];
        return host is "index.docker.io" or "registry-1.docker.io" ? "docker.io" : host;
    }

    private static Dictionary<string, string?> JsonMap(string? json, string what)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json)) return result;
        try
        {
            if (JsonNode.Parse(json) is not JsonObject o) throw new BadRequestException($"{what} must be a JSON object");
            foreach (var (k, v) in o) result[k] = v is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : v?.ToJsonString();
        }
        catch (JsonException e) { throw new BadRequestException($"invalid {what}: {e.Message}"); }
        return result;
    }
}
