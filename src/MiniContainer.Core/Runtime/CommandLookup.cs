namespace MiniContainer.Runtime;

/// <summary>
/// Finds the program to execve() the way Docker (runc) does: a name with a '/' is used as is,
/// otherwise each directory of the container's PATH is tried. Failures carry Docker's exit codes
/// and messages: 127 `exec: "nope": executable file not found in $PATH`, 126 for permission denied.
/// </summary>
public static class CommandLookup
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public sealed class LookupException(int exitCode, string message) : Exception(message)
    {
        public int ExitCode { get; } = exitCode;
    }

    /// <param name="isExecutableFile">Checks a path: null if it is an executable regular file, otherwise a reason ("no such file or directory", "permission denied", "is a directory").</param>
    public static string Resolve(string command, IEnumerable<string> env, Func<string, string?> isExecutableFile)
    {
        if (command.Length == 0) throw new LookupException(127, "exec: \"\": executable file not found in $PATH");
        if (command.Contains('/'))
        {
            string? problem = isExecutableFile(command);
            if (problem == null) return command;
            if (problem == "no such file or directory")
                throw new LookupException(127, $"exec: \"{command}\": stat {command}: no such file or directory");
            throw new LookupException(126, $"exec: \"{command}\": {problem}");
        }
        // Like Go's exec.LookPath (which runc uses): a file that is there but not executable is skipped.
        string path = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? DefaultPath;
        foreach (string dir in path.Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, command);
            if (isExecutableFile(candidate) == null) return candidate;
        }
        throw new LookupException(127, $"exec: \"{command}\": executable file not found in $PATH");
    }
}
