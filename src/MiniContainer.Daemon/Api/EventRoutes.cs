using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Events;

namespace MiniContainer.Api;

/// <summary>
/// GET /events: the daemon's events as JSON lines. With `since`, the kept past events from then on come first; the
/// stream then follows live events until `until` (an `until` in the past: only the past, then the end) or until the
/// client goes away. Each line is Docker's message, including the legacy status/id/from of container and image events.
/// </summary>
public static class EventRoutes
{
    public static void Map(Router r, EventBus events)
    {
        r.Map("GET", "/events", async ctx =>
        {
            var now = DateTimeOffset.UtcNow;
            DateTimeOffset? since = ParseTime(ctx.Q("since"), now), until = ParseTime(ctx.Q("until"), now);
            if (since is { } s && until is { } u && u < s)
                throw new BadRequestException($"`since` time ({ctx.Q("since")}) cannot be after `until` time ({ctx.Q("until")})");
            var filter = new EventFilter(FilterArgs.Parse(ctx.Q("filters")));

            using var subscription = events.Subscribe(since, until);
            // The connection ends with the stream: a read watches for the client leaving, so none may be reused.
            ctx.CloseAfterResponse();
            var output = await ctx.StartStreamAsync(200, "application/json");
            foreach (var e in subscription.Past)
                if (filter.Includes(e)) await WriteAsync(output, e);
            if (until is { } end && end <= now) return;

            using var stop = new CancellationTokenSource();
            if (until is { } deadline) stop.CancelAfter(deadline - now);
            var clientGone = ctx.ClientClosedAsync(stop.Token).ContinueWith(_ => stop.Cancel(), TaskScheduler.Default);
            try
            {
                await foreach (var e in subscription.Live.ReadAllAsync(stop.Token))
                {
                    if (until is { } last && e.Time > last) break;
                    if (filter.Includes(e)) await WriteAsync(output, e);
                }
            }
            catch (OperationCanceledException) { }   // until reached, or the client left
            catch (InvalidOperationException e) { Log.Warn($"events: a subscriber was dropped: {e.Message}"); }
            catch (IOException) { }   // the client left while we wrote
            stop.Cancel();
            await clientGone;
        });
    }

    /// <summary>One JSON line in Docker's shape (events.Message).</summary>
    internal static JsonObject Message(DaemonEvent e)
    {
        var json = new JsonObject();
        if (e.Type is EventTypes.Container or EventTypes.Image)
        {
            json["status"] = e.Action;
            json["id"] = e.ActorId;
            if (e.Type == EventTypes.Container && e.Attributes.TryGetValue("image", out string? from)) json["from"] = from;
        }
        var attributes = new JsonObject();
        foreach (var (k, v) in e.Attributes.OrderBy(kv => kv.Key, StringComparer.Ordinal)) attributes[k] = v;
        json["Type"] = e.Type;
        json["Action"] = e.Action;
        json["Actor"] = new JsonObject { ["ID"] = e.ActorId, ["Attributes"] = attributes };
        json["scope"] = "local";
        json["time"] = e.Time.ToUnixTimeSeconds();
        json["timeNano"] = e.TimeNano;
        return json;
    }

    private static async Task WriteAsync(Stream output, DaemonEvent e)
    {
        await output.WriteAsync(Encoding.UTF8.GetBytes(Message(e).ToJsonString() + "\n"));
        await output.FlushAsync();
    }

    /// <summary>`since`/`until`: Unix seconds with optional fraction ("1700000000.123456789", what the docker CLI sends),
    /// or an RFC 3339 time, or a Go duration counted back from now.</summary>
    internal static DateTimeOffset? ParseTime(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(value)) return null;
        string[] parts = value.Split('.', 2);
        if (long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seconds)
            && (parts.Length == 1 || (parts[1].Length is > 0 and <= 9 && parts[1].All(char.IsAsciiDigit))))
        {
            long nanos = parts.Length == 1 ? 0 : long.Parse(parts[1].PadRight(9, '0'), CultureInfo.InvariantCulture);
            return DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(nanos / 100);
        }
        return PruneFilters.Cutoff(value, now);
    }
}
