using System.Buffers.Binary;

namespace MiniContainer.Networking.Dns;

/// <summary>
/// Writes a DNS message front to back. Names are compressed (RFC 1035 §4.1.4): a name, or its tail, already
/// written is replaced by a pointer to it (matched case-insensitively, as DNS compares names).
/// </summary>
public sealed class DnsWriter
{
    private byte[] _buffer = new byte[512];
    private readonly Dictionary<string, int> _written = new(StringComparer.Ordinal);

    public int Length { get; private set; }

    public void U8(byte value) => Room(1)[0] = value;
    public void U16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Room(2), value);
    public void U32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Room(4), value);
    public void Bytes(ReadOnlySpan<byte> value) => value.CopyTo(Room(value.Length));

    /// <summary>A name in presentation form (escapes as <see cref="DnsReader.Name"/> produces them).</summary>
    public void Name(string name, bool compress = true)
    {
        var labels = DnsNames.Labels(name);
        for (int i = 0; i < labels.Count; i++)
        {
            string tail = DnsNames.Join(labels, i);
            if (compress && _written.TryGetValue(tail, out int offset))
            {
                U16((ushort)(0xC000 | offset));
                return;
            }
            if (compress && Length <= 0x3FFF) _written[tail] = Length;
            U8((byte)labels[i].Length);
            Bytes(labels[i]);
        }
        U8(0);
    }

    public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

    private Span<byte> Room(int count)
    {
        if (Length + count > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }
}
