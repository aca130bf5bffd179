using System.CommandLine;

namespace MiniContainer.Cli.Compose;

/// <summary>`compose build` and up's builds: each service's build: section as a `minicontainer build` of its context, tagged with the service's image.</summary>
internal static class ComposeBuilder
{
    public static async Task BuildAsync(ParseResult parse, CliContext context, ComposeProject project, IEnumerable<ComposeService> services, bool noCache)
    {
        foreach (var s in services)
        {
            if (s.Build is not { } b) continue;
            if (!Directory.Exists(b.Context)) throw new ComposeUpException($"service \"{s.Name}\": build context {b.Context} does not exist");
            var args = new List<string> { "build", "-t", s.ImageFor(project.Name) };
            args.AddRange(["--label", $"{ComposeLabels.Project}={project.Name}", "--label", $"{ComposeLabels.Service}={s.Name}"]);
            if (b.Dockerfile is not null) args.AddRange(["-f", Path.GetFullPath(b.Dockerfile, b.Context)]);
            foreach (var (k, v) in b.Args) if (v is not null) args.AddRange(["--build-arg", k + "=" + v]);
            if (b.Target is not null) args.AddRange(["--target", b.Target]);
            if (noCache) args.Add("--no-cache");
            args.Add(b.Context);
            ComposeUp.Progress("Service", s.Name, "Building");
            int code = await CliDelegation.RunAsync(parse, context, [.. args]);
            if (code != 0) throw new ComposeUpException($"failed to build service \"{s.Name}\" (exit {code})");
            ComposeUp.Progress("Service", s.Name, "Built");
        }
    }
}
