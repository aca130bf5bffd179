using System.Text;
using MiniContainer.Containers;
using MiniContainer.Explaining;

namespace MiniContainer.Api;

/// <summary>
/// MiniContainer's own extension of the Engine API for `--explain` (Docker has nothing like it; docs/explain.md):
///   POST /containers/create?explain=1   record this container's kernel steps from now on (create's included)
///   POST /containers/{id}/start?explain=1, DELETE /containers/{id}?explain=1
///                                       also answer 200 with the steps that call took, as JSON lines
///   POST /containers/{id}/exec?explain=1  record that exec's steps
///   GET  /containers/{id}/explain       the container's explain log (JSON lines), everything recorded so far
/// Without ?explain the routes answer exactly as dockerd does.
/// </summary>
public static class ExplainRoutes
{
    public const string ContentType = "application/x-ndjson";

    public static void Map(Router r, ContainerService containers)
    {
        r.Map("GET", "/containers/{id}/explain", ctx =>
        {
            var c = containers.Get(ctx.R("id"));
            return WriteStepsAsync(ctx, ExplainLog.Read(ExplainSession.LogPath(c)));
        });
    }

    /// <summary>?explain=1: the steps of the call that follows are collected (null when not asked).</summary>
    public static List<ExplainStep>? Requested(HttpContext ctx) => ctx.QBool("explain") ? ExplainSession.Request() : null;

    /// <summary>The answer of a call that was asked for its steps: 200 and JSON lines; otherwise dockerd's 204.</summary>
    public static Task WriteStepsOrEmptyAsync(HttpContext ctx, List<ExplainStep>? steps) =>
        steps is null ? ctx.WriteEmptyAsync(204) : WriteStepsAsync(ctx, steps);

    private static Task WriteStepsAsync(HttpContext ctx, IEnumerable<ExplainStep> steps)
    {
        var text = new StringBuilder();
        foreach (var s in steps) text.Append(ExplainLog.Serialize(s)).Append('\n');
        return ctx.WriteBytesAsync(200, ContentType, Encoding.UTF8.GetBytes(text.ToString()));
    }
}
