namespace MiniContainer.Containers;

/// <summary>
/// The key sequence that ends an attach (or an exec's stream) while the process keeps running: Docker's
/// `detachKeys`, a comma-separated list of single characters and `ctrl-<c>` names (ctrl-@, ctrl-a … ctrl-z,
/// ctrl-[, ctrl-\, ctrl-], ctrl-^, ctrl-_) or DEL. Default ctrl-p,ctrl-q. Only a TTY's input is watched for it,
/// as dockerd does: without a terminal the bytes are data, not keys.
/// </summary>
public sealed class DetachKeys
{
    public static readonly DetachKeys Default = new([0x10, 0x11]);

    public IReadOnlyList<byte> Sequence { get; }

    private DetachKeys(byte[] sequence) => Sequence = sequence;

    /// <summary>Parses Docker's notation; null or empty means the default. Throws FormatException naming the bad key.</summary>
    public static DetachKeys Parse(string? keys)
    {
        if (string.IsNullOrEmpty(keys)) return Default;
        var codes = new List<byte>();
        foreach (string key in keys.Split(','))
        {
            if (key.Length == 1) { codes.Add((byte)key[0]); continue; }
            if (key == "DEL") { codes.Add(127); continue; }
            if (key.Length == 6 && key.StartsWith("ctrl-", StringComparison.Ordinal))
            {
                char c = key[5];
                // The control code of a key is its ASCII code with bit 6 cleared: ctrl-a is 1, ctrl-[ is 27 (ESC).
                if (c is >= 'a' and <= 'z') { codes.Add((byte)(c - 'a' + 1)); continue; }
                if (c is '@' or '[' or '\\' or ']' or '^' or '_') { codes.Add((byte)(c & 0x1f)); continue; }
            }
            throw new FormatException($"Unknown character: '{key}'");
        }
        return new DetachKeys(codes.ToArray());
    }

    /// <summary>Watches one input stream for the sequence. Bytes that could start the sequence are held back until
    /// it is complete (detach: they are never delivered) or broken (they are delivered late, in order).</summary>
    public Matcher NewMatcher() => new(Sequence);

    public sealed class Matcher(IReadOnlyList<byte> sequence)
    {
        private int _matched;

        /// <summary>Feeds input; returns the bytes to pass on, and whether the sequence was completed (the bytes
        /// after it are dropped: the stream ends there).</summary>
        public (byte[] PassOn, bool Detach) Feed(ReadOnlySpan<byte> input)
        {
            var output = new List<byte>(input.Length);
            foreach (byte b in input)
            {
                if (b == sequence[_matched])
                {
                    if (++_matched == sequence.Count) return (output.ToArray(), true);
                    continue;
                }
                // A broken prefix: what was held back was data after all.
                for (int i = 0; i < _matched; i++) output.Add(sequence[i]);
                _matched = 0;
                if (b == sequence[0]) { _matched = 1; if (sequence.Count == 1) return (output.ToArray(), true); }
                else output.Add(b);
            }
            return (output.ToArray(), false);
        }
    }
}
