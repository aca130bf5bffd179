using System.CommandLine;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// Some compose verbs are exactly a plain CLI verb on a container or image the project names: `compose exec web sh` is
/// `exec -it myapp-web-1 sh`, `compose build web` is `build -t myapp-web ./web`. They run that verb's own command in
/// this process, with the same -H, so there is one implementation of exec and build.
/// </summary>
internal static class CliDelegation
{
    public static async Task<int> RunAsync(ParseResult parse, CliContext context, params string[] args)
    {
        var root = (RootCommand)parse.RootCommandResult.Command;
        var global = new List<string>();
        if (parse.GetValue(context.Host) is { } host) global.AddRange(["-H", host]);
        if (parse.GetValue(context.NoAutostart)) global.Add("--no-autostart");
        var prepared = ArgumentPreparer.Prepare(root, [.. global, .. args]);
        var inner = root.Parse(prepared, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (inner.Errors.Count > 0) throw new UsageException(inner.Errors[0].Message);
        return await inner.InvokeAsync(new InvocationConfiguration
        {
            Output = Terminal.Stdio.Out,
            Error = Terminal.Stdio.Err,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        });
    }
}
