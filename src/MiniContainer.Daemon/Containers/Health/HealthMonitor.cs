using System.Collections.Concurrent;

namespace MiniContainer.Containers;

/// <summary>
/// Runs each running container's healthcheck: one loop per container, started when the container starts (status
/// "starting"), resumed as it was when a restarted daemon reattaches to a running container, and stopped when the
/// container stops (a probe in flight is killed and its result dropped). Each probe's result goes through
/// <see cref="HealthRules.Apply"/> and is saved with the container, so the state survives a daemon restart.
/// </summary>
public sealed class HealthMonitor(IHealthProbe probe, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _loops = new();

    /// <summary>
    /// Raised when a container's health status changes to "healthy" or "unhealthy" (not for the "starting" every start
    /// begins with), after the new state is saved: where dockerd publishes its `health_status: healthy|unhealthy` event.
    /// Handlers run on the monitor's loop and must not block.
    /// </summary>
    public event Action<Container, string>? HealthStatusChanged;

    /// <summary>The container has just started: health "starting" (the log of earlier runs kept), first probe after one interval.</summary>
    public void OnStarted(Container c)
    {
        Stop(c);
        if (!Healthchecks.HasProbe(c.Record.Config.Healthcheck)) return;
        lock (c.HealthLock) c.Record.State.Health = HealthRules.Restart(c.Record.State.Health);
        Begin(c);
    }

    /// <summary>A restarted daemon found the container still running: probing resumes where it stood.</summary>
    public void OnReattached(Container c)
    {
        Stop(c);
        if (!Healthchecks.HasProbe(c.Record.Config.Healthcheck)) return;
        lock (c.HealthLock) c.Record.State.Health ??= HealthRules.Restart(null);
        Begin(c);
    }

    /// <summary>The container stopped (or is going): no more probes; the state stays as the last probe left it.</summary>
    public void Stop(Container c)
    {
        if (!_loops.TryRemove(c.Record.Id, out var cts)) return;
        // Under the lock, so a probe that finishes now cannot record its result after the container has stopped.
        lock (c.HealthLock) cts.Cancel();
        cts.Dispose();
    }

    private void Begin(Container c)
    {
        var cts = new CancellationTokenSource();
        if (_loops.TryRemove(c.Record.Id, out var old)) { lock (c.HealthLock) old.Cancel(); }
        _loops[c.Record.Id] = cts;
        var token = cts.Token;
        _ = Task.Run(() => LoopAsync(c, token), token);
    }

    private async Task LoopAsync(Container c, CancellationToken ct)
    {
        var config = c.Record.Config.Healthcheck!;
        var timing = HealthTiming.Of(config);
        var command = Healthchecks.ProbeCommand(config, c.Record.Config.Shell);
        var startedAt = DateTimeOffset.TryParse(c.Record.State.StartedAt, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var s) ? s : _time.GetUtcNow();
        try
        {
            while (true)
            {
                string status = c.Record.State.Health?.Status ?? HealthRules.Starting;
                await Task.Delay(HealthRules.NextDelay(timing, startedAt, _time.GetUtcNow(), status), _time, ct);
                var start = _time.GetUtcNow();
                HealthcheckResult result;
                try { result = await probe.RunAsync(c, command, timing.Timeout, ct); }
                catch (OperationCanceledException) { throw; }
                catch (Exception e)
                {
                    Log.Warn($"health check of {c.Record.ShortId} could not run: {e.Message}");
                    result = new HealthcheckResult { ExitCode = -1, Output = e.Message, End = _time.GetUtcNow() };
                }
                result.Start = start;
                if (Record(c, result, timing, startedAt, ct) is { } changed)
                {
                    Log.Info($"container {c.Record.ShortId} is {changed}");
                    HealthStatusChanged?.Invoke(c, changed);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Applies a result unless the container stopped meanwhile; saves; returns the new status if it changed.</summary>
    private static string? Record(Container c, HealthcheckResult result, HealthTiming timing, DateTimeOffset startedAt, CancellationToken ct)
    {
        string before, after;
        lock (c.HealthLock)
        {
            if (ct.IsCancellationRequested) return null;
            var current = c.Record.State.Health ?? HealthRules.Restart(null);
            before = current.Status;
            var next = HealthRules.Apply(current, result, timing, startedAt);
            after = next.Status;
            c.Record.State.Health = next;   // a new object each time: inspect may be serialising the old one
        }
        try { c.Save(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Log.Warn($"container {c.Record.ShortId}: cannot save its health: {e.Message}"); }
        return before != after ? after : null;
    }
}
