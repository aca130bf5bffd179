using System.CommandLine;
using System.CommandLine.Help;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// Docker's management commands: `image ls`, `image rm`, `container ls`, `container rm`… are the same commands as
/// `images`, `rmi`, `ps`, `rm` under a group name, which many tutorials use. Each alias shares the original's
/// options, arguments and action, so there is one implementation of each verb.
/// </summary>
internal static class CommandGroups
{
    static readonly (string Alias, string Command)[] ImageVerbs =
    [
        ("ls", "images"), ("rm", "rmi"), ("tag", "tag"), ("import", "import"), ("load", "load"), ("save", "save"),
        ("pull", "pull"), ("push", "push"), ("build", "build"),
    ];

    static readonly (string Alias, string Command)[] ContainerVerbs =
    [
        ("ls", "ps"), ("run", "run"), ("create", "create"), ("start", "start"), ("stop", "stop"), ("restart", "restart"),
        ("kill", "kill"), ("rm", "rm"), ("exec", "exec"), ("logs", "logs"), ("attach", "attach"), ("wait", "wait"),
        ("top", "top"), ("diff", "diff"), ("export", "export"), ("commit", "commit"), ("cp", "cp"), ("port", "port"),
        ("rename", "rename"), ("pause", "pause"), ("unpause", "unpause"), ("update", "update"), ("stats", "stats"),
    ];

    public static void Add(RootCommand root, CliContext context)
    {
        var image = Group(root, "image", "Manage images");
        foreach (var (alias, name) in ImageVerbs) AddAlias(root, image, alias, name);
        image.Subcommands.Add(ContainerCommands.Inspect(context, "image"));

        var container = Group(root, "container", "Manage containers");
        foreach (var (alias, name) in ContainerVerbs) AddAlias(root, container, alias, name);
        container.Subcommands.Add(ContainerCommands.Inspect(context, "container"));

        var system = Group(root, "system", "Manage MiniContainer");
        AddAlias(root, system, "info", "info");
        AddAlias(root, system, "events", "events");
        system.Subcommands.Add(SystemCommands.Df(context));
    }

    /// <summary>The group command, reused when another file already made it (`image history` and `image prune` live in HistoryCommands).</summary>
    static Command Group(RootCommand root, string name, string description)
    {
        if (root.Subcommands.FirstOrDefault(c => c.Name == name) is { } existing) return existing;
        var group = NewGroup(name, description);
        root.Subcommands.Add(group);
        return group;
    }

    /// <summary>A group command ("image", "system"…): run alone it prints its help, as docker does.</summary>
    internal static Command NewGroup(string name, string description, params Command[] subcommands)
    {
        var group = new CliCommand(name, description, "COMMAND");
        foreach (var c in subcommands) group.Subcommands.Add(c);
        group.SetAction(parse => new HelpAction().Invoke(parse));
        return group;
    }

    /// <summary>`GROUP ALIAS` runs exactly what the top-level command runs (commands this build does not have are skipped).</summary>
    static void AddAlias(RootCommand root, Command group, string alias, string name)
    {
        if (group.Subcommands.Any(c => c.Name == alias)) return;
        if (root.Subcommands.FirstOrDefault(c => c.Name == name) is not CliCommand original) return;
        string args = original.Usage[("minicontainer " + original.FullName).Length..].TrimStart();
        var copy = new CliCommand(alias, original.Description ?? "", args, group.Name) { ForeignArgumentsAfter = original.ForeignArgumentsAfter };
        foreach (var o in original.Options) copy.Options.Add(o);
        foreach (var a in original.Arguments) copy.Arguments.Add(a);
        copy.Action = original.Action;
        group.Subcommands.Add(copy);
    }
}
