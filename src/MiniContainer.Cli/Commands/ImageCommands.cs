using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Flags;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>The image verbs: images, rmi, tag, import (a rootfs tarball), load and save (docker-archive / OCI tarballs).</summary>
internal static class ImageCommands
{
    public static IEnumerable<Command> Create(CliContext context) =>
        [Images(context), Rmi(context), Tag(context), Import(context), Load(context), Save(context)];

    // ───────────── images ─────────────

    static Command Images(CliContext context)
    {
        var command = new CliCommand("images", "List images", "[OPTIONS] [REPOSITORY[:TAG]]");
        var all = new Option<bool>("--all", "-a") { Description = "Show all images (default hides intermediate images)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var digests = new Option<bool>("--digests") { Description = "Show digests" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Filter output based on conditions provided (reference=…, dangling=true…)" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" };
        var reference = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        foreach (var o in new Option[] { all, digests, filter, format, noTrunc, quiet }) command.Options.Add(o);
        command.Arguments.Add(reference);

        command.SetAction(async (parse, cancellation) =>
        {
            var specs = (parse.GetValue(filter) ?? []).ToList();
            if (parse.GetValue(reference) is { Length: > 0 } r) specs.Add("reference=" + r);
            var query = new List<string>();
            if (parse.GetValue(all)) query.Add("all=1");
            if (ContainerCommands.BuildFilters(specs, filter) is { } filters) query.Add("filters=" + ApiPaths.Query(filters));

            var client = await context.ConnectAsync(parse);
            var list = await client.GetJsonAsync("/images/json" + (query.Count > 0 ? "?" + string.Join('&', query) : "")) as JsonArray ?? [];

            string template = parse.GetValue(format) is { Length: > 0 } f && f != "table" ? f
                : parse.GetValue(quiet) ? ImageRows.QuietFormat
                : parse.GetValue(digests) ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                : ImageRows.DefaultFormat;
            var now = DateTimeOffset.UtcNow;
            bool truncate = !parse.GetValue(noTrunc);
            var rows = list.OfType<JsonObject>().SelectMany(i => ImageRows.Rows(i, truncate, now, parse.GetValue(digests)));
            Stdio.Out.Write(ContainerCommands.RenderOrFail(template, rows, ImageRows.Headers));
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── rmi, tag ─────────────

    static Command Rmi(CliContext context)
    {
        var command = new CliCommand("rmi", "Remove one or more images", "[OPTIONS] IMAGE [IMAGE...]");
        var force = new Option<bool>("--force", "-f") { Description = "Force removal of the image" };
        var noPrune = new Option<bool>("--no-prune") { Description = "Do not delete untagged parents" };
        var names = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.ZeroOrMore };
        command.Options.Add(force);
        command.Options.Add(noPrune);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] images = parse.GetValue(names) ?? [];
            if (images.Length == 0) throw command.RequiresAtLeast(1);
            string query = $"?force={(parse.GetValue(force) ? 1 : 0)}&noprune={(parse.GetValue(noPrune) ? 1 : 0)}";
            var client = await context.ConnectAsync(parse);
            return await Targets.ForEachAsync(images, async image =>
            {
                var deleted = await client.DeleteAsync(ApiPaths.Image(image) + query) as JsonArray ?? [];
                foreach (var item in deleted.OfType<JsonObject>())
                {
                    if (item["Untagged"]?.GetValue<string>() is { } untagged) Stdio.Out.WriteLine("Untagged: " + untagged);
                    if (item["Deleted"]?.GetValue<string>() is { } gone) Stdio.Out.WriteLine("Deleted: " + gone);
                }
            }, echoName: false);
        });
        return command;
    }

    static Command Tag(CliContext context)
    {
        var command = new CliCommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]");
        var names = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.ZeroOrMore };
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] args = parse.GetValue(names) ?? [];
            if (args.Length != 2) throw command.RequiresExactly(2);
            var (repo, tag) = MiniContainer.Images.ImageReference.SplitTag(args[1]);
            var client = await context.ConnectAsync(parse);
            await client.PostJsonAsync($"{ApiPaths.Image(args[0])}/tag?repo={ApiPaths.Query(repo)}&tag={ApiPaths.Query(tag.Length == 0 ? "latest" : tag)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── import, load, save ─────────────

    static Command Import(CliContext context)
    {
        var command = new CliCommand("import", "Import the contents from a tarball to create a filesystem image", "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]");
        var change = new Option<string[]>("--change", "-c") { Description = "Apply Dockerfile instruction to the created image" };
        var message = new Option<string?>("--message", "-m") { Description = "Set commit message for imported image" };
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable" };
        var args = new Argument<string[]>("SOURCE") { Arity = ArgumentArity.ZeroOrMore };
        command.Options.Add(change);
        command.Options.Add(message);
        command.Options.Add(platform);
        command.Arguments.Add(args);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] values = parse.GetValue(args) ?? [];
            if (values.Length is < 1 or > 2) throw values.Length == 0 ? command.RequiresAtLeast(1) : new UsageException($"\"minicontainer import\" requires at most 2 arguments.", showUsage: true);
            string source = values[0];
            bool isUrl = source.StartsWith("http://", StringComparison.Ordinal) || source.StartsWith("https://", StringComparison.Ordinal);

            var query = new List<string> { "fromSrc=" + ApiPaths.Query(isUrl ? source : "-") };
            if (values.Length == 2)
            {
                var (repo, tag) = MiniContainer.Images.ImageReference.SplitTag(values[1]);
                query.Add("repo=" + ApiPaths.Query(repo));
                if (tag.Length > 0) query.Add("tag=" + ApiPaths.Query(tag));
            }
            if (parse.GetValue(message) is { } m) query.Add("message=" + ApiPaths.Query(m));
            if (parse.GetValue(platform) is { } p) query.Add("platform=" + ApiPaths.Query(p));
            foreach (string c in parse.GetValue(change) ?? []) query.Add("changes=" + ApiPaths.Query(c));

            Stream? body = null;
            if (!isUrl)
            {
                try { body = source == "-" ? Stdio.OpenIn() : File.OpenRead(source); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ExitException(ExitCodes.Error, $"open {source}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message)}");
                }
            }
            using (body)
            {
                var client = await context.ConnectAsync(parse);
                HttpContent? content = null;
                if (body is not null)
                {
                    content = new StreamContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
                }
                using var response = await client.SendAsync(HttpMethod.Post, "/images/create?" + string.Join('&', query), content);
                return await DisplayProgressAsync(response);
            }
        });
        return command;
    }

    static Command Load(CliContext context)
    {
        var command = new CliCommand("load", "Load an image from a tar archive or STDIN", "[OPTIONS]");
        var input = new Option<string?>("--input", "-i") { Description = "Read from tar archive file, instead of STDIN" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the load output" };
        command.Options.Add(input);
        command.Options.Add(quiet);
        command.SetAction(async (parse, cancellation) =>
        {
            string? file = parse.GetValue(input);
            if (file is null && Stdio.InIsTerminal)
                throw new ExitException(ExitCodes.Error, "requested load from stdin, but stdin is empty");
            Stream body;
            try { body = file is null ? Stdio.OpenIn() : File.OpenRead(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ExitException(ExitCodes.Error, $"open {file}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message)}");
            }
            using (body)
            {
                var client = await context.ConnectAsync(parse);
                var content = new StreamContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
                using var response = await client.SendAsync(HttpMethod.Post, $"/images/load?quiet={(parse.GetValue(quiet) ? 1 : 0)}", content);
                return await DisplayProgressAsync(response);
            }
        });
        return command;
    }

    static Command Save(CliContext context)
    {
        var command = new CliCommand("save", "Save one or more images to a tar archive (streamed to STDOUT by default)", "[OPTIONS] IMAGE [IMAGE...]");
        var output = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
        var names = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.ZeroOrMore };
        command.Options.Add(output);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] images = parse.GetValue(names) ?? [];
            if (images.Length == 0) throw command.RequiresAtLeast(1);
            string? file = parse.GetValue(output);
            if (file is null && Stdio.OutIsTerminal)
                throw new ExitException(ExitCodes.Error, "cowardly refusing to save to a terminal. Use the -o flag or redirect");

            var client = await context.ConnectAsync(parse);
            string query = string.Join('&', images.Select(i => "names=" + ApiPaths.Query(i)));
            using var response = await client.SendAsync(HttpMethod.Get, "/images/get?" + query);
            await using var tar = await response.Content.ReadAsStreamAsync();
            await TarOutput.WriteAsync(tar, file);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>import and load answer with a JSON progress stream (or plain text from old daemons); print it as docker does.</summary>
    static async Task<int> DisplayProgressAsync(HttpResponseMessage response)
    {
        await using var stream = await response.Content.ReadAsStreamAsync();
        if (response.Content.Headers.ContentType?.MediaType is { } type && type != "application/json" && !type.EndsWith("+json", StringComparison.Ordinal))
        {
            using var reader = new StreamReader(stream);
            Stdio.Out.Write(await reader.ReadToEndAsync());
            return ExitCodes.Ok;
        }
        try
        {
            await JsonMessageStream.DisplayAsync(stream, Stdio.Out, Stdio.OutIsTerminal);
            return ExitCodes.Ok;
        }
        catch (JsonMessageException e)
        {
            Stdio.Err.WriteLine(e.Message);
            return ExitCodes.Error;
        }
    }
}
