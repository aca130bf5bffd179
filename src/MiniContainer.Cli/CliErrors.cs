using System.CommandLine;

namespace MiniContainer.Cli;

/// <summary>
/// A wrong flag, value or argument count. Printed as docker does — the message, then
/// "See 'minicontainer CMD --help'." — and the CLI exits 125.
/// </summary>
internal sealed class UsageException(string message, bool showUsage = false) : Exception(message)
{
    /// <summary>Also print "Usage: …" and the command's description (argument-count errors).</summary>
    public bool ShowUsage { get; } = showUsage;

    /// <summary>The command the error belongs to, when known before parsing (unknown flags).</summary>
    public Command? Command { get; init; }
}

/// <summary>End the CLI with <see cref="ExitCode"/>, after printing the message (if any) to stderr.</summary>
internal sealed class ExitException(int exitCode, string? message = null) : Exception(message ?? "")
{
    public int ExitCode { get; } = exitCode;
    public bool HasMessage { get; } = message is not null;
}

/// <summary>The exit statuses docker uses for its own failures, apart from a container's own status.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Any error in a command other than run/create (no such container, daemon unreachable…).</summary>
    public const int Error = 1;
    /// <summary>run/create: the CLI or the daemon failed before the container ran (bad flag, no such image, name in use…).</summary>
    public const int RunFailed = 125;
    /// <summary>The container's command exists but cannot be invoked (permission denied, is a directory).</summary>
    public const int CannotInvoke = 126;
    /// <summary>The container's command was not found.</summary>
    public const int NotFound = 127;
}

/// <summary>
/// A command with docker's usage line, e.g. "minicontainer stop [OPTIONS] CONTAINER [CONTAINER...]".
/// A subcommand of a group (volume rm) names its group, so its messages say "minicontainer volume rm".
/// </summary>
internal sealed class CliCommand(string name, string description, string usage, string? group = null) : Command(name, description)
{
    /// <summary>"stop", or "volume rm" for a subcommand of a group.</summary>
    public string FullName { get; } = group is null ? name : group + " " + name;

    public string Usage { get; } = "minicontainer " + (group is null ? name : group + " " + name) + (usage.Length > 0 ? " " + usage : "");

    /// <summary>
    /// For commands that end with another program's command line (run IMAGE [COMMAND] [ARG...], exec, top, daemon):
    /// how many of our own positionals come first. Every token after them belongs to that command line,
    /// even ones that look like our flags — `run busybox ls -l` must not read -l.
    /// </summary>
    public int? ForeignArgumentsAfter { get; init; }

    /// <summary>The error for too few positional arguments, worded as docker's.</summary>
    public UsageException RequiresAtLeast(int n) => new($"\"minicontainer {FullName}\" requires at least {n} argument{(n == 1 ? "" : "s")}.", showUsage: true);
    public UsageException RequiresExactly(int n) => new($"\"minicontainer {FullName}\" requires exactly {n} argument{(n == 1 ? "" : "s")}.", showUsage: true);
    public UsageException RequiresAtMost(int n) => new($"\"minicontainer {FullName}\" requires at most {n} argument{(n == 1 ? "" : "s")}.", showUsage: true);
}
