using MiniContainer.Cli.Api;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>Commands that take several containers or images (stop a b c, rm, wait, rmi…) all behave alike.</summary>
internal static class Targets
{
    /// <summary>
    /// Runs <paramref name="action"/> for each name, printing the name on success (unless the action prints its
    /// own result) and docker's "Error response from daemon: …" on failure; exit 1 when any failed.
    /// </summary>
    public static async Task<int> ForEachAsync(string[] names, Func<string, Task> action, Func<List<string>, string?>? summary = null, bool echoName = true)
    {
        var failed = new List<string>();
        foreach (string name in names)
        {
            try
            {
                await action(name);
                if (echoName) Stdio.Out.WriteLine(name);
            }
            catch (ApiException e)
            {
                Stdio.Err.WriteLine("Error response from daemon: " + e.Message);
                failed.Add(name);
            }
        }
        if (failed.Count == 0) return ExitCodes.Ok;
        if (summary?.Invoke(failed) is { } message) Stdio.Err.WriteLine(message);
        return ExitCodes.Error;
    }
}
