using System.CommandLine;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>`port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published ports, from inspect's NetworkSettings.Ports.</summary>
internal static class PortCommand
{
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("port", "List port mappings or a specific mapping for the container", "CONTAINER [PRIVATE_PORT[/PROTO]]");
        var args = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        command.Arguments.Add(args);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] a = parse.GetValue(args) ?? [];
            if (a.Length < 1) throw command.RequiresAtLeast(1);
            if (a.Length > 2) throw command.RequiresAtMost(2);
            var client = await context.ConnectAsync(parse);
            var inspected = await client.GetJsonAsync(ApiPaths.Container(a[0]) + "/json") as JsonObject;
            var ports = (inspected?["NetworkSettings"] as JsonObject)?["Ports"] as JsonObject;
            try
            {
                foreach (string line in PortFormat.PortLines(ports, a[0], a.Length == 2 ? a[1] : null)) Stdio.Out.WriteLine(line);
            }
            catch (FormatException e) { throw new ExitException(ExitCodes.Error, "Error: " + e.Message); }
            return ExitCodes.Ok;
        });
        return command;
    }
}
