using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Explaining;

namespace MiniContainer.Build;

/// <summary>
/// The JSON message stream POST /build answers with, as Docker's classic builder writes it: {"stream": text}
/// for progress lines, {"aux": {"ID": …}} for the image, {"errorDetail": {"code", "message"}, "error": …} at
/// the end of a failed build. With q=1 the progress text is left out (errors and the ID still go). With
/// explain=1, {"explain": step} messages carry the kernel steps (docs/explain.md).
/// </summary>
public sealed class BuildOutput(Stream stream, bool quiet)
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>Where other JSON messages (a FROM's pull progress) go: nowhere with -q.</summary>
    public Stream ProgressStream => quiet ? Stream.Null : stream;

    public Task LineAsync(string text) => quiet ? Task.CompletedTask : WriteAsync(new JsonObject { ["stream"] = text + "\n" });

    /// <summary>Raw output of a RUN step, passed on as it comes.</summary>
    public Task RawAsync(string text) => quiet ? Task.CompletedTask : WriteAsync(new JsonObject { ["stream"] = text });

    public Task ImageIdAsync(string id) => WriteAsync(new JsonObject { ["aux"] = new JsonObject { ["ID"] = id } });

    public Task ErrorAsync(string message, int code) => WriteAsync(new JsonObject
    {
        ["errorDetail"] = code == 0 ? new JsonObject { ["message"] = message } : new JsonObject { ["code"] = code, ["message"] = message },
        ["error"] = message,
    });

    /// <summary>POST /build?explain=1 (our extension): before each message, the kernel steps taken since the last one
    /// go out as {"explain": step} messages, so each instruction's steps come right after its "Step N/M" line.</summary>
    public bool Explained { get; init; }

    private async Task WriteAsync(JsonObject message)
    {
        await _lock.WaitAsync();
        try
        {
            if (Explained)
                foreach (var step in ExplainSession.TakeRequested())
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(
                        new JsonObject { ["explain"] = JsonSerializer.SerializeToNode(step, ExplainJson.Default.ExplainStep) }.ToJsonString() + "\r\n"));
            await stream.WriteAsync(Encoding.UTF8.GetBytes(message.ToJsonString() + "\r\n"));
            await stream.FlushAsync();
        }
        finally { _lock.Release(); }
    }
}

/// <summary>A build that cannot go on; <see cref="Code"/> is the failing command's exit status (0: none).</summary>
public sealed class BuildException(string message, int code = 0) : Exception(message)
{
    public int Code { get; } = code;
}
