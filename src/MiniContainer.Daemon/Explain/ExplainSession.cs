using MiniContainer.Containers;
using MiniContainer.Explaining;

namespace MiniContainer.Explaining;

/// <summary>
/// --explain in the daemon: one verb (create, start, exec, rm) of one container, recorded. While the session is
/// open, the steps the daemon takes on this request's flow (rootfs dirs, cgroup, veth, addresses, nft) are kept;
/// at the end the shim's log (its own steps and its init stage's) is merged in, everything is put in time order,
/// appended to the container's explain.jsonl and handed to the API request that asked for it.
///
/// Recording is on for a container when the daemon runs with --explain-all, when its explain.jsonl exists (it was
/// created with ?explain=1), or when this request asks (?explain=1 on start, exec create, delete).
/// </summary>
public sealed class ExplainSession : IDisposable
{
    /// <summary>minicontainerd --explain-all: every container records (for a class).</summary>
    public static bool ExplainAll { get; set; }

    /// <summary>The steps an API request asked to get back (?explain=1), filled by whichever session it started.</summary>
    private static readonly AsyncLocal<List<ExplainStep>?> Requested = new();

    private readonly List<ExplainStep> _steps = new();
    private readonly IDisposable _listening;
    private readonly string _action;
    private bool _finished;

    private ExplainSession(string action)
    {
        _action = action;
        _listening = Explain.ListenInFlow(step => { lock (_steps) if (!_finished) _steps.Add(step); });
    }

    /// <summary>For an API route: record what the call it makes next does, and collect the steps here.</summary>
    public static List<ExplainStep> Request() => Requested.Value = new List<ExplainStep>();

    /// <summary>Is recording on for this container (null: one not created yet)?</summary>
    public static bool IsOn(Container? c) =>
        ExplainAll || Requested.Value is not null || (c is not null && File.Exists(LogPath(c)));

    /// <summary>A session for <paramref name="action"/> when recording is on for <paramref name="c"/>, else null.</summary>
    public static ExplainSession? BeginFor(Container? c, string action, bool asked = false) => asked || IsOn(c) ? new ExplainSession(action) : null;

    public static string LogPath(Container c) => Path.Combine(c.Dir, ExplainLog.FileName);

    /// <summary>
    /// Ends the session: merges the shim's steps from <paramref name="shimDir"/> (then deletes its file), sorts by
    /// start time, files them in the container's log (unless the container is being removed) and gives them to the
    /// request that asked.
    /// </summary>
    public void Finish(Container c, string? shimDir = null, bool keep = true)
    {
        Dispose();
        List<ExplainStep> steps;
        lock (_steps) { _finished = true; steps = new List<ExplainStep>(_steps); }
        if (shimDir is not null)
        {
            string shimLog = Path.Combine(shimDir, ExplainLog.ShimFile);
            steps.AddRange(ExplainLog.Read(shimLog));
            try { File.Delete(shimLog); } catch (IOException) { }
        }
        var merged = steps.OrderBy(s => s.StartNs).Select(s => s with { Action = _action }).ToList();
        if (keep && Directory.Exists(c.Dir))
        {
            try { ExplainLog.Append(LogPath(c), merged); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Log.Warn($"container {c.Record.ShortId}: cannot write its explain log: {e.Message}"); }
        }
        if (Requested.Value is { } wanted) lock (wanted) wanted.AddRange(merged);
    }

    /// <summary>
    /// For a verb that is not a container's (network create/connect/disconnect, volume create, build): while the
    /// result is open, the steps this request's flow takes go straight to the list the request asked for
    /// (<see cref="Request"/>), marked with <paramref name="action"/>. Null — nothing listens, nothing is paid — when the
    /// request did not ask. Container verbs inside it (a build's RUN containers) still open their own sessions, which
    /// hand their steps to the same list when they finish.
    /// </summary>
    public static IDisposable? ListenForRequest(string action)
    {
        if (Requested.Value is not { } wanted) return null;
        return Explain.ListenInFlow(step => { lock (wanted) wanted.Add(step with { Action = action }); });
    }

    /// <summary>The steps gathered for this request so far, in time order, and the list emptied (a build sends them
    /// after each instruction).</summary>
    public static List<ExplainStep> TakeRequested()
    {
        if (Requested.Value is not { } wanted) return new();
        lock (wanted)
        {
            var steps = wanted.OrderBy(s => s.StartNs).ToList();
            wanted.Clear();
            return steps;
        }
    }

    /// <summary>Stops listening (a verb that failed before Finish records nothing more).</summary>
    public void Dispose() => _listening.Dispose();
}
