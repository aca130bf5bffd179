using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Explaining;
using MiniContainer.Build;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Build;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// `build`: sends the context (a tar, .dockerignore applied, streamed) to POST /build and prints the daemon's
/// progress as docker's classic builder does: "Step 2/5 : RUN …", " ---> Using cache", "Successfully built …".
/// </summary>
internal static class BuildCommand
{
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("build", "Build an image from a Dockerfile", "[OPTIONS] PATH");
        var tags = new Option<string[]>("--tag", "-t") { Description = "Name and optionally a tag in the \"name:tag\" format" };
        var file = new Option<string?>("--file", "-f") { Description = "Name of the Dockerfile (Default is 'PATH/Dockerfile')" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set build-time variables" };
        var target = new Option<string?>("--target") { Description = "Set the target build stage to build." };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use cache when building the image" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the build output and print image ID on success" };
        var labels = new Option<string[]>("--label") { Description = "Set metadata for an image" };
        var rm = new Option<bool>("--rm") { Description = "Remove intermediate containers after a successful build", DefaultValueFactory = _ => true };
        var forceRm = new Option<bool>("--force-rm") { Description = "Always remove intermediate containers" };
        var progress = new Option<string>("--progress")
        {
            Description = "Set type of progress output (\"auto\", \"plain\", \"tty\"). Use plain to show container output",
            DefaultValueFactory = _ => "auto",
        };
        var path = new Argument<string[]>("PATH") { Arity = ArgumentArity.ZeroOrMore };
        var explain = ExplainCommand.Option();
        foreach (var o in new Option[] { buildArgs, file, forceRm, labels, noCache, progress, quiet, rm, tags, target, explain }) command.Options.Add(o);
        command.Arguments.Add(path);

        command.SetAction(async (parse, cancellation) =>
        {
            string[] paths = parse.GetValue(path) ?? [];
            if (paths.Length != 1) throw command.RequiresExactly(1);
            string root = paths[0];
            if (root.Contains("://")) throw new ExitException(ExitCodes.Error, $"unable to prepare context: building from a URL is not supported here: {root}");
            if (!Directory.Exists(root)) throw new ExitException(ExitCodes.Error, $"unable to prepare context: path \"{root}\" not found");
            var explained = ExplainCommand.Get(parse, explain);
            bool live = explained is null && parse.GetValue(progress) switch
            {
                "auto" => Stdio.OutIsTerminal,
                "tty" => true,
                "plain" => false,
                var mode => throw new ExitException(ExitCodes.Error, $"invalid progress mode \"{mode}\": use auto, plain or tty"),
            };

            var query = new List<string>();
            foreach (string t in parse.GetValue(tags) ?? []) query.Add("t=" + ApiPaths.Query(t));
            var (dockerfileName, extra) = LocateDockerfile(root, parse.GetValue(file));
            query.Add("dockerfile=" + ApiPaths.Query(dockerfileName));
            if (BuildArgs(parse.GetValue(buildArgs) ?? []) is { Count: > 0 } args) query.Add("buildargs=" + ApiPaths.Query(args.ToJsonString()));
            if (KeyValues(parse.GetValue(labels) ?? []) is { Count: > 0 } l) query.Add("labels=" + ApiPaths.Query(l.ToJsonString()));
            if (parse.GetValue(target) is { Length: > 0 } stage) query.Add("target=" + ApiPaths.Query(stage));
            if (parse.GetValue(noCache)) query.Add("nocache=1");
            bool q = parse.GetValue(quiet);
            if (q) query.Add("q=1");
            query.Add("rm=" + (parse.GetValue(rm) ? 1 : 0));
            if (parse.GetValue(forceRm)) query.Add("forcerm=1");
            if (explained is not null) query.Add("explain=1");   // our extension: the steps come as {"explain": …} messages

            BuildContext content;
            try { content = new BuildContext(root, dockerfileName, extra); }
            catch (IgnorePatternException e) { throw new ExitException(ExitCodes.Error, e.Message); }

            var client = await context.ConnectAsync(parse);
            using var response = await client.SendAsync(HttpMethod.Post, "/build?" + string.Join('&', query), content, cancellation);
            await using var stream = await response.Content.ReadAsStreamAsync(cancellation);
            if (!q && live)
            {
                await ShowLiveAsync(stream, cancellation);
                return ExitCodes.Ok;
            }
            string? imageId = null;
            var pullProgress = new ProgressRenderer(Stdio.Out, Stdio.OutIsTerminal);
            // An instruction's steps arrive one message each, before the next line of output: printed together, so
            // the text view groups them by phase once.
            var steps = new List<ExplainStep>();
            void PrintSteps()
            {
                if (steps.Count == 0 || explained is not { } mode) return;
                Stdio.Out.Flush();   // the "Step N/M" line before its steps
                ExplainCommand.Print(steps, mode);
                steps.Clear();
            }
            await foreach (var node in JsonMessageStream.ReadAsync(stream, cancellation))
            {
                if (node is not JsonObject m) continue;
                if (m["explain"] is JsonObject step)
                {
                    if (step.Deserialize(ExplainJson.Default.ExplainStep) is { } parsed) steps.Add(parsed);
                    continue;
                }
                PrintSteps();
                if (Failure(m) is { } failure) throw failure;
                if (m["aux"] is JsonObject aux && aux["ID"]?.GetValue<string>() is { } id) imageId = id;
                if (q) continue;
                if (m["stream"] is JsonValue s && s.GetValueKind() == JsonValueKind.String) Stdio.Out.Write(s.GetValue<string>());
                else if (m["status"] is not null) pullProgress.Render(m);   // FROM pulling its image: docker pull's lines
            }
            PrintSteps();
            if (q && imageId != null) Stdio.Out.WriteLine(imageId);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The terminal view: each running step redrawn in place with its time and last output lines, a
    /// summary line once it ends; on failure the failing step's whole output is printed before the error.</summary>
    static async Task ShowLiveAsync(Stream stream, CancellationToken cancellation)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var view = new BuildLiveView(Stdio.Out, () => TerminalNative.GetWindowSize(1) is { Cols: > 0 } size ? size.Cols : 80, () => clock.Elapsed);
        using (var timer = new Timer(_ => view.Tick(), null, 100, 100))
        {
            try
            {
                await foreach (var node in JsonMessageStream.ReadAsync(stream, cancellation))
                {
                    if (node is not JsonObject m) continue;
                    if (Failure(m) is { } failure) { view.Fail(); throw failure; }
                    if (m["stream"] is JsonValue s && s.GetValueKind() == JsonValueKind.String) view.Stream(s.GetValue<string>());
                    else if (m["status"] is not null) view.Status(m);
                }
            }
            catch (Exception e) when (e is not ExitException) { view.Fail(); throw; }
        }
        view.Complete();
    }

    /// <summary>An {"error"}/{"errorDetail"} message as the exit it causes (the command's exit code when it carries one).</summary>
    static ExitException? Failure(JsonObject m)
    {
        if (m["error"] is null && m["errorDetail"] is null) return null;
        string message = (m["errorDetail"] as JsonObject)?["message"]?.GetValue<string>() ?? m["error"]?.GetValue<string>() ?? "build failed";
        int code = (m["errorDetail"] as JsonObject)?["code"] is JsonValue c && c.GetValueKind() == JsonValueKind.Number ? c.GetValue<int>() : 0;
        return new ExitException(code == 0 ? ExitCodes.Error : code, message);
    }

    /// <summary>-f inside the context is sent as its path in the context; -f from elsewhere travels in the tar under a private name.</summary>
    static (string Name, (string, string)? Extra) LocateDockerfile(string root, string? file)
    {
        string full = Path.GetFullPath(file ?? Path.Combine(root, "Dockerfile"));
        if (file == "-") throw new ExitException(ExitCodes.Error, "reading the Dockerfile from stdin is not supported here: pass -f FILE");
        if (!File.Exists(full))
            throw new ExitException(ExitCodes.Error, $"unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {full}: no such file or directory");
        string rootFull = Path.GetFullPath(root).TrimEnd('/') + "/";
        if (full.StartsWith(rootFull, StringComparison.Ordinal)) return (full[rootFull.Length..], null);
        string name = ".dockerfile." + Guid.NewGuid().ToString("N")[..12];
        return (name, (name, full));
    }

    /// <summary>--build-arg K=V; a bare K takes the value of K in this environment (skipped when unset), as docker does.</summary>
    static JsonObject BuildArgs(string[] values)
    {
        var result = new JsonObject();
        foreach (string v in values)
        {
            int eq = v.IndexOf('=');
            if (eq > 0) result[v[..eq]] = v[(eq + 1)..];
            else if (Environment.GetEnvironmentVariable(v) is { } fromEnv) result[v] = fromEnv;
        }
        return result;
    }

    static JsonObject KeyValues(string[] values)
    {
        var result = new JsonObject();
        foreach (string v in values)
        {
            int eq = v.IndexOf('=');
            result[eq < 0 ? v : v[..eq]] = eq < 0 ? "" : v[(eq + 1)..];
        }
        return result;
    }
}
