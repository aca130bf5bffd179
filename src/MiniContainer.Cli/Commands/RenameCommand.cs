using System.CommandLine;
using MiniContainer.Cli.Api;

namespace MiniContainer.Cli.Commands;

/// <summary>`rename CONTAINER NEW_NAME`, as docker's: silent on success; on failure the daemon's error, then docker's
/// "Error: failed to rename container named …", exit 1.</summary>
internal static class RenameCommand
{
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("rename", "Rename a container", "CONTAINER NEW_NAME");
        var args = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        command.Arguments.Add(args);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] a = parse.GetValue(args) ?? [];
            if (a.Length != 2) throw command.RequiresExactly(2);
            string oldName = a[0].Trim(), newName = a[1].Trim();
            if (oldName.Length == 0 || newName.Length == 0) throw new ExitException(ExitCodes.Error, "Error: Neither old nor new names may be empty");
            var client = await context.ConnectAsync(parse);
            try { await client.PostJsonAsync($"{ApiPaths.Container(oldName)}/rename?name={ApiPaths.Query(newName)}"); }
            catch (ApiException e)
            {
                throw new ExitException(ExitCodes.Error, $"Error response from daemon: {e.Message}\nError: failed to rename container named {oldName}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
