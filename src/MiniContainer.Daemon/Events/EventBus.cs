using System.Threading.Channels;

namespace MiniContainer.Events;

/// <summary>
/// The daemon's event log, as dockerd keeps one: every published event goes to each live subscriber and into a ring
/// of the most recent ones (so `docker events --since 5m` can replay the past). Publishing never blocks: a subscriber
/// that stops reading (a hung client) is dropped once its queue is full, rather than slow down the daemon.
/// Services hold the one bus the daemon makes and call <see cref="Publish"/>; GET /events subscribes.
/// </summary>
public sealed class EventBus(int capacity = EventBus.DefaultCapacity)
{
    /// <summary>How many past events are kept for `since` (dockerd keeps 256; a few more cost nothing).</summary>
    public const int DefaultCapacity = 1024;
    /// <summary>How many undelivered events one subscriber may have before it is dropped.</summary>
    private const int SubscriberQueue = 4096;

    private readonly object _lock = new();
    private readonly DaemonEvent?[] _ring = new DaemonEvent?[capacity];
    private int _next;
    private long _count;
    private readonly List<Channel<DaemonEvent>> _subscribers = new();
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    /// <summary>Records an event now, with Docker's attributes; returns it.</summary>
    public DaemonEvent Publish(string type, string action, string actorId, IReadOnlyDictionary<string, string>? attributes = null)
    {
        lock (_lock)
        {
            // Strictly increasing times, so `since`/`until` of one event's timeNano select exactly around it.
            var now = DateTimeOffset.UtcNow;
            if (now <= _last) now = _last.AddTicks(1);
            _last = now;
            var e = new DaemonEvent(type, action, actorId, attributes ?? new Dictionary<string, string>(), now);
            _ring[_next] = e;
            _next = (_next + 1) % _ring.Length;
            _count++;
            foreach (var s in _subscribers.ToList())
                if (!s.Writer.TryWrite(e))
                {
                    s.Writer.TryComplete(new InvalidOperationException("the event subscriber fell too far behind"));
                    _subscribers.Remove(s);
                }
            return e;
        }
    }

    /// <summary>The kept events at or after <paramref name="since"/> (and at or before <paramref name="until"/>), oldest first.</summary>
    public IReadOnlyList<DaemonEvent> Recent(DateTimeOffset? since, DateTimeOffset? until)
    {
        lock (_lock) return RecentLocked(since, until);
    }

    /// <summary>
    /// The past events in range, and a reader of every event published after them: taken under one lock, so nothing is
    /// missed or seen twice between the replay and the live stream. Dispose the subscription to stop receiving.
    /// </summary>
    public Subscription Subscribe(DateTimeOffset? since, DateTimeOffset? until)
    {
        var channel = Channel.CreateBounded<DaemonEvent>(new BoundedChannelOptions(SubscriberQueue)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        lock (_lock)
        {
            var past = since is null && until is null ? [] : RecentLocked(since, until);
            _subscribers.Add(channel);
            return new Subscription(this, channel, past);
        }
    }

    private List<DaemonEvent> RecentLocked(DateTimeOffset? since, DateTimeOffset? until)
    {
        var list = new List<DaemonEvent>();
        int n = (int)Math.Min(_count, _ring.Length);
        for (int i = 0; i < n; i++)
        {
            var e = _ring[(_next - n + i + _ring.Length) % _ring.Length]!;
            if (since is { } s && e.Time < s) continue;
            if (until is { } u && e.Time > u) continue;
            list.Add(e);
        }
        return list;
    }

    private void Unsubscribe(Channel<DaemonEvent> channel)
    {
        lock (_lock) _subscribers.Remove(channel);
        channel.Writer.TryComplete();
    }

    public sealed class Subscription : IDisposable
    {
        private readonly EventBus _bus;
        private readonly Channel<DaemonEvent> _channel;

        internal Subscription(EventBus bus, Channel<DaemonEvent> channel, IReadOnlyList<DaemonEvent> past)
        {
            _bus = bus;
            _channel = channel;
            Past = past;
        }

        /// <summary>The kept events in the requested range, oldest first.</summary>
        public IReadOnlyList<DaemonEvent> Past { get; }

        /// <summary>Events published since subscribing, in order.</summary>
        public ChannelReader<DaemonEvent> Live => _channel.Reader;

        public void Dispose() => _bus.Unsubscribe(_channel);
    }
}
