namespace MiniContainer.Containers;

/// <summary>
/// Docker's restart policies (`no`, `always`, `unless-stopped`, `on-failure[:N]`) as pure decisions, in the two places
/// dockerd makes them: when a container's process exits, and when the daemon starts.
/// </summary>
public static class RestartRules
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMinutes(1);

    /// <summary>A run at least this long resets the back-off.</summary>
    public static readonly TimeSpan ResetAfter = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The process exited on its own (or was killed from outside): start it again? Never after a `docker stop` or
    /// `kill` by the user (<paramref name="manuallyStopped"/>, dockerd's cancelled restart manager); on-failure only
    /// for a non-zero exit and while fewer than N restarts were made.
    /// </summary>
    public static bool AfterExit(RestartPolicy policy, int exitCode, bool manuallyStopped, int restartCount) =>
        !manuallyStopped && Allows(policy, exitCode, manuallyStopped, restartCount);

    /// <summary>
    /// The daemon starts and finds the container (that had been started before) not running: start it? As dockerd:
    /// `always` even when the user had stopped it (that is what tells it from unless-stopped), `unless-stopped` only
    /// when the user had not, `on-failure` by its exit code and count alone.
    /// </summary>
    public static bool AtDaemonStart(RestartPolicy policy, int exitCode, bool manuallyStopped, int restartCount) =>
        Allows(policy, exitCode, manuallyStopped, restartCount);

    private static bool Allows(RestartPolicy policy, int exitCode, bool manuallyStopped, int restartCount) => policy.Name switch
    {
        "always" => true,
        "unless-stopped" => !manuallyStopped,
        "on-failure" => exitCode != 0 && (policy.MaximumRetryCount == 0 || restartCount < policy.MaximumRetryCount),
        _ => false,
    };

    /// <summary>The wait before the next restart, from the previous one (zero before the first): 100 ms, doubling up to a
    /// minute; back to 100 ms once the container had run for 10 s.</summary>
    public static TimeSpan NextDelay(TimeSpan previous, TimeSpan ranFor)
    {
        if (ranFor >= ResetAfter || previous <= TimeSpan.Zero) return FirstDelay;
        var doubled = previous * 2;
        return doubled > MaxDelay ? MaxDelay : doubled;
    }
}
