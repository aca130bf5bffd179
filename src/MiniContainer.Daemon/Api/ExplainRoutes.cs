using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using MiniContainer.Containers;
using MiniContainer.Explaining;

namespace MiniContainer.Api;

/// <summary>
/// MiniContainer's own extension of the Engine API for `--explain` (Docker has nothing like it; docs/explain.md):
///   POST /containers/create?explain=1   record this container's kernel steps from now on (create's included,
///                                       also in the answer's "Explain" array)
///   POST /containers/{id}/start?explain=1, DELETE /containers/{id}?explain=1
///                                       also answer 200 with the steps that call took, as JSON lines
///   POST /containers/{id}/exec?explain=1  record that exec's steps
///   GET  /containers/{id}/explain       the container's explain log (JSON lines), everything recorded so far
///   POST /networks/{id}/connect|disconnect?explain=1   answer 200 with the steps as JSON lines (empty without)
///   POST /networks/create?explain=1, POST /volumes/create?explain=1
///                                       dockerd's answer plus an "Explain" array of the steps (as create's)
///   POST /build?explain=1               {"explain": step} messages in the build's stream, after each instruction
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

    /// <summary>The answer of a call that was asked for its steps: 200 and JSON lines; otherwise dockerd's empty
    /// answer (204, or 200 for network connect and disconnect).</summary>
    public static Task WriteStepsOrEmptyAsync(HttpContext ctx, List<ExplainStep>? steps, int emptyStatus = 204) =>
        steps is null ? ctx.WriteEmptyAsync(emptyStatus) : WriteStepsAsync(ctx, steps);

    /// <summary>
    /// The answer of a create (network, volume) as dockerd gives it, plus — only when asked — its steps in an
    /// "Explain" array of the same objects the JSON lines carry. A client that does not know the field ignores it.
    /// </summary>
    public static Task WriteJsonWithStepsAsync<T>(HttpContext ctx, int status, T value, JsonTypeInfo<T> type, List<ExplainStep>? steps)
    {
        if (steps is null) return ctx.WriteJsonAsync(status, value, type);
        var answer = JsonSerializer.SerializeToNode(value, type) as JsonObject ?? new JsonObject();
        List<ExplainStep> taken;
        lock (steps) taken = steps.OrderBy(s => s.StartNs).ToList();
        answer["Explain"] = new JsonArray(taken.Select(s => JsonSerializer.SerializeToNode(s, ExplainJson.Default.ExplainStep)).ToArray());
        return ctx.WriteJsonNodeAsync(status, answer);
    }

    private static Task WriteStepsAsync(HttpContext ctx, IEnumerable<ExplainStep> steps)
    {
        var text = new StringBuilder();
        foreach (var s in steps) text.Append(ExplainLog.Serialize(s)).Append('\n');
        return ctx.WriteBytesAsync(200, ContentType, Encoding.UTF8.GetBytes(text.ToString()));
    }
}
