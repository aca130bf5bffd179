using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>The registry verbs: pull, push, login, logout. The daemon talks to the registry; the CLI keeps the
/// credentials (in docker's config.json) and sends them along in X-Registry-Auth, as the docker CLI does.</summary>
internal static class RegistryCommands
{
    public static IEnumerable<Command> Create(CliContext context) => [Pull(context), Push(context), Login(context), Logout(context)];

    static Command Pull(CliContext context)
    {
        var command = new CliCommand("pull", "Download an image from a registry", "[OPTIONS] NAME[:TAG|@DIGEST]");
        var allTags = new Option<bool>("--all-tags", "-a") { Description = "Download all tagged images in the repository" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable" };
        var name = new Argument<string[]>("NAME") { Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { allTags, platform, quiet }) command.Options.Add(o);
        command.Arguments.Add(name);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] names = parse.GetValue(name) ?? [];
            if (names.Length != 1) throw command.RequiresExactly(1);
            string image = names[0];
            var (repo, tag) = SplitReference(image);
            bool all = parse.GetValue(allTags);
            if (all && (tag.Length > 0 || image.Contains('@'))) throw new ExitException(ExitCodes.Error, "tag can't be used with --all-tags/-a");
            if (parse.GetValue(platform) is { } p && p != "linux/amd64" && p != "linux")
                throw new ExitException(ExitCodes.Error, $"platform {p} is not supported here: this daemon pulls images for linux/amd64");
            if (!all && tag.Length == 0) { tag = "latest"; if (!parse.GetValue(quiet)) Stdio.Out.WriteLine("Using default tag: latest"); }

            string query = $"/images/create?fromImage={ApiPaths.Query(repo)}&tag={ApiPaths.Query(tag)}";
            var client = await context.ConnectAsync(parse);
            using var response = await client.SendAsync(HttpMethod.Post, query, null, cancellation, AuthHeader(repo));
            int code = await ShowProgressAsync(response, parse.GetValue(quiet));
            if (code == ExitCodes.Ok && !all)
                Stdio.Out.WriteLine(FullName(repo) + (tag.Contains(':') ? "@" : ":") + tag);
            return code;
        });
        return command;
    }

    static Command Push(CliContext context)
    {
        var command = new CliCommand("push", "Upload an image to a registry", "[OPTIONS] NAME[:TAG]");
        var allTags = new Option<bool>("--all-tags", "-a") { Description = "Push all tags of an image to the repository" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
        var name = new Argument<string[]>("NAME") { Arity = ArgumentArity.ZeroOrMore };
        command.Options.Add(allTags);
        command.Options.Add(quiet);
        command.Arguments.Add(name);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] names = parse.GetValue(name) ?? [];
            if (names.Length != 1) throw command.RequiresExactly(1);
            var (repo, tag) = SplitReference(names[0]);
            bool all = parse.GetValue(allTags);
            if (all && tag.Length > 0) throw new ExitException(ExitCodes.Error, "tag can't be used with --all-tags/-a");
            if (!all && tag.Length == 0) { tag = "latest"; if (!parse.GetValue(quiet)) Stdio.Out.WriteLine("Using default tag: latest"); }

            var client = await context.ConnectAsync(parse);
            string path = $"{ApiPaths.Image(repo)}/push" + (tag.Length > 0 ? "?tag=" + ApiPaths.Query(tag) : "");
            using var response = await client.SendAsync(HttpMethod.Post, path, null, cancellation, AuthHeader(repo));
            int code = await ShowProgressAsync(response, parse.GetValue(quiet));
            if (code == ExitCodes.Ok && parse.GetValue(quiet)) Stdio.Out.WriteLine(FullName(repo) + (tag.Length > 0 ? ":" + tag : ""));
            return code;
        });
        return command;
    }

    static Command Login(CliContext context)
    {
        var command = new CliCommand("login", "Authenticate to a registry", "[OPTIONS] [SERVER]");
        var user = new Option<string?>("--username", "-u") { Description = "Username" };
        var password = new Option<string?>("--password", "-p") { Description = "Password or Personal Access Token (PAT)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Take the Password or Personal Access Token (PAT) from stdin" };
        var server = new Argument<string[]>("SERVER") { Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { password, passwordStdin, user }) command.Options.Add(o);
        command.Arguments.Add(server);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] servers = parse.GetValue(server) ?? [];
            if (servers.Length > 1) throw new UsageException("\"minicontainer login\" requires at most 1 argument.", showUsage: true);
            string key = DockerConfigFile.KeyFor(servers.FirstOrDefault());
            string? username = parse.GetValue(user), secret = parse.GetValue(password);
            if (parse.GetValue(passwordStdin))
            {
                if (secret != null) throw new ExitException(ExitCodes.Error, "--password and --password-stdin are mutually exclusive");
                if (username is null) throw new ExitException(ExitCodes.Error, "Must provide --username with --password-stdin");
                secret = Stdio.In.ReadToEnd().TrimEnd('\n', '\r');
            }
            else if (secret != null) Stdio.Err.WriteLine("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");

            var config = DockerConfigFile.Default();
            if (username is null && secret is null && config.Get(key) is var (storedUser, storedPassword)) (username, secret) = (storedUser, storedPassword);
            if (username is null)
            {
                if (!Stdio.InIsTerminal) throw new ExitException(ExitCodes.Error, "Error: Cannot perform an interactive login from a non TTY device");
                Stdio.Out.Write("Username: ");
                username = Stdio.In.ReadLine()?.Trim() ?? "";
            }
            if (username.Length == 0) throw new ExitException(ExitCodes.Error, "Error: Non-null Username Required");
            if (secret is null)
            {
                if (!Stdio.InIsTerminal) throw new ExitException(ExitCodes.Error, "Error: Cannot perform an interactive login from a non TTY device");
                secret = ReadSecret("Password: ");
            }
            if (secret.Length == 0) throw new ExitException(ExitCodes.Error, "Error: Password Required");

            var client = await context.ConnectAsync(parse);
            var body = new JsonObject { ["username"] = username, ["password"] = secret, ["serveraddress"] = key };
            await client.PostJsonAsync("/auth", body, cancellation);
            config.Store(key, username, secret);
            Stdio.Err.WriteLine($"WARNING! Your password will be stored unencrypted in {config.Path}.");
            Stdio.Out.WriteLine("Login Succeeded");
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Logout(CliContext context)
    {
        var command = new CliCommand("logout", "Log out from a registry", "[SERVER]");
        var server = new Argument<string[]>("SERVER") { Arity = ArgumentArity.ZeroOrMore };
        command.Arguments.Add(server);
        command.SetAction((parse, cancellation) =>
        {
            string[] servers = parse.GetValue(server) ?? [];
            if (servers.Length > 1) throw new UsageException("\"minicontainer logout\" requires at most 1 argument.", showUsage: true);
            string key = DockerConfigFile.KeyFor(servers.FirstOrDefault());
            if (DockerConfigFile.Default().Remove(key)) Stdio.Out.WriteLine($"Removing login credentials for {key}");
            else Stdio.Out.WriteLine($"Not logged in to {key}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    /// <summary>`run`/`create` of an image that is not there: pull it, progress on stderr; a failure is the daemon's error.</summary>
    internal static async Task PullForRunAsync(DockerClient client, string image)
    {
        var (repo, tag) = SplitReference(image);
        if (tag.Length == 0) tag = "latest";
        using var response = await client.SendAsync(HttpMethod.Post, $"/images/create?fromImage={ApiPaths.Query(repo)}&tag={ApiPaths.Query(tag)}", null, default, AuthHeader(repo));
        await using var stream = await response.Content.ReadAsStreamAsync();
        try { await JsonMessageStream.DisplayAsync(stream, Stdio.Err, TerminalNative.IsTerminal(2)); }
        catch (JsonMessageException e) { throw new ApiException(System.Net.HttpStatusCode.InternalServerError, e.Message); }
    }

    /// <summary>"127.0.0.1:5000/app:v1" → ("127.0.0.1:5000/app", "v1"); "app@sha256:…" → ("app", "sha256:…").</summary>
    internal static (string Repository, string Tag) SplitReference(string reference)
    {
        int at = reference.IndexOf('@');
        if (at >= 0) return (reference[..at], reference[(at + 1)..]);
        return MiniContainer.Images.ImageReference.SplitTag(reference);
    }

    /// <summary>"busybox" → "docker.io/library/busybox", as docker prints the name after a pull.</summary>
    internal static string FullName(string repository)
    {
        if (DockerConfigFile.RegistryOf(repository) != DockerConfigFile.DockerHubKey) return repository;
        string path = repository.StartsWith("docker.io/", StringComparison.Ordinal) ? repository[10..] : repository;
        return "docker.io/" + (path.Contains('/') ? path : "library/" + path);
    }

    static Dictionary<string, string> AuthHeader(string repository) =>
        new() { ["X-Registry-Auth"] = DockerConfigFile.Default().RegistryAuthHeader(DockerConfigFile.RegistryOf(repository)) };

    static async Task<int> ShowProgressAsync(HttpResponseMessage response, bool quiet)
    {
        await using var stream = await response.Content.ReadAsStreamAsync();
        try
        {
            await JsonMessageStream.DisplayAsync(stream, quiet ? TextWriter.Null : Stdio.Out, !quiet && Stdio.OutIsTerminal);
            return ExitCodes.Ok;
        }
        catch (JsonMessageException e)
        {
            Stdio.Err.WriteLine(e.Message);
            return ExitCodes.Error;
        }
    }

    /// <summary>Reads a line from the terminal without echoing it (the password prompt).</summary>
    static string ReadSecret(string prompt)
    {
        Stdio.Out.Write(prompt);
        var secret = new StringBuilder();
        using (RawTerminal.Enable(0))
        {
            var input = Stdio.OpenIn();
            int b;
            while ((b = input.ReadByte()) >= 0 && b != '\r' && b != '\n')
            {
                if (b == 3) throw new ExitException(130);                       // ^C
                if (b is 127 or 8) { if (secret.Length > 0) secret.Length--; }  // backspace
                else secret.Append((char)b);
            }
        }
        Stdio.Out.WriteLine();
        return Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(secret.ToString()));
    }
}
