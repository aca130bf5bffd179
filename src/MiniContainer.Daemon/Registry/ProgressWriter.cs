using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MiniContainer.Progress;

namespace MiniContainer.Registry;

/// <summary>
/// Docker's JSON progress stream for pull and push: one object per line, {"status","id","progressDetail","progress"}.
/// The HTTP response starts with the first message, so an error before it (no such image, access denied) is an ordinary
/// HTTP error; after it, errors go in the stream as {"errorDetail":{"message"},"error"}. Safe to call from the
/// concurrent layer transfers: messages are queued and written in order by one pump; byte counts are sent at most
/// every 100 ms per layer.
/// </summary>
public sealed class ProgressWriter(Func<Task<Stream>> startResponse)
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, long> _lastProgress = new();
    private readonly object _lock = new();
    private Task? _pump;

    /// <summary>True once anything was written: errors must then go in the stream.</summary>
    public bool Started => _pump != null;

    public void Status(string status, string? id = null)
    {
        var message = new JsonObject { ["status"] = status };
        if (id != null) { message["progressDetail"] = new JsonObject(); message["id"] = id; }
        Write(message);
    }

    /// <summary>"Downloading" / "Pushing" with a byte count; throttled except for the last update.</summary>
    public void Progress(string id, string status, long current, long total)
    {
        long now = Environment.TickCount64;
        lock (_lock)
        {
            if (current < total && _lastProgress.TryGetValue(id, out long last) && now - last < 100) return;
            _lastProgress[id] = now;
        }
        Write(new JsonObject
        {
            ["status"] = status,
            ["progressDetail"] = new JsonObject { ["current"] = current, ["total"] = total },
            ["progress"] = ProgressBar.Render(current, total),
            ["id"] = id,
        });
    }

    public void Aux(JsonObject aux) => Write(new JsonObject { ["progressDetail"] = new JsonObject(), ["aux"] = aux });

    public void Error(string message) =>
        Write(new JsonObject { ["errorDetail"] = new JsonObject { ["message"] = message }, ["error"] = message });

    private void Write(JsonObject message)
    {
        lock (_lock)
        {
            _pump ??= PumpAsync();
            _queue.Writer.TryWrite(message.ToJsonString() + "\r\n");
        }
    }

    /// <summary>Waits until every queued message is written (call before the handler returns).</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        if (_pump != null) await _pump;
    }

    private async Task PumpAsync()
    {
        await Task.Yield();
        var stream = await startResponse();
        await foreach (string line in _queue.Reader.ReadAllAsync())
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line));
        }
    }
}
