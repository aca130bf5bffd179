using System.CommandLine;

namespace MiniContainer.Cli;

/// <summary>
/// Reads the command line once before System.CommandLine does, to give it docker's shape:
///  • after the image of run/create (the container of exec/top, the word daemon) everything belongs to the
///    container's command, flags included — we insert "--" there, so `run -it busybox sh -c "ls -l"` keeps "-c";
///  • a token that looks like a flag but is none of ours is docker's "unknown flag: --foo" (System.CommandLine
///    would quietly take it as an argument).
/// Options that take a value skip their value, in all spellings: "--name x", "--name=x", "-e X", "-eX", "-ite X".
/// </summary>
internal static class ArgumentPreparer
{
    public static string[] Prepare(RootCommand root, IReadOnlyList<string> args)
    {
        var result = new List<string>(args.Count + 1);
        var path = new List<Command> { root };
        Command current = root;
        int positionals = 0;

        for (int i = 0; i < args.Count; i++)
        {
            string token = args[i];
            if (current is CliCommand { ForeignArgumentsAfter: int after } && positionals == after)
            {
                // docker stops reading flags at the image: even a "--" here is the command's own argument.
                result.Add("--");
                result.AddRange(args.Skip(i));
                return [.. result];
            }
            result.Add(token);
            if (token == "--") { result.AddRange(args.Skip(i + 1)); return [.. result]; }

            if (token.StartsWith("--", StringComparison.Ordinal))
            {
                int eq = token.IndexOf('=');
                string name = eq < 0 ? token : token[..eq];
                var option = Find(path, name) ?? throw new UsageException($"unknown flag: {name}") { Command = current };
                // A flag with an optional value (--explain[=json]) gets it only after "=": alone, its implicit one.
                if (eq < 0 && option is Commands.OptionalValueOption optional) { result[^1] = token + "=" + optional.ImplicitValue; continue; }
                if (eq < 0 && TakesValue(option) && i + 1 < args.Count) result.Add(args[++i]);
                continue;
            }
            if (token.Length > 1 && token[0] == '-')
            {
                // A cluster of short flags: each letter a boolean, until one that takes a value eats the rest (or the next token).
                for (int j = 1; j < token.Length; j++)
                {
                    if (token[j] == '=' ) break;   // "-t=false"
                    var option = Find(path, "-" + token[j])
                        ?? throw new UsageException($"unknown shorthand flag: '{token[j]}' in {token}") { Command = current };
                    if (TakesValue(option))
                    {
                        if (j == token.Length - 1 && i + 1 < args.Count) result.Add(args[++i]);
                        break;
                    }
                }
                continue;
            }

            if (positionals == 0 && current.Subcommands.FirstOrDefault(c => c.Name == token || c.Aliases.Contains(token)) is { } sub)
            {
                current = sub;
                path.Add(sub);
                continue;
            }
            positionals++;
        }
        return [.. result];
    }

    /// <summary>The option called <paramref name="name"/> on the current command, or a recursive one (--help) on a parent.</summary>
    static Option? Find(List<Command> path, string name)
    {
        for (int i = path.Count - 1; i >= 0; i--)
        {
            foreach (var option in path[i].Options)
            {
                if (i < path.Count - 1 && !option.Recursive) continue;
                if (option.Name == name || option.Aliases.Contains(name)) return option;
            }
        }
        return null;
    }

    static bool TakesValue(Option option) => option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0;
}
