using System.Buffers.Binary;
using System.Text;

namespace MiniContainer.Networking.Dns;

/// <summary>
/// Reads a DNS message front to back (big-endian numbers, names with compression pointers, RFC 1035 §4.1.4).
/// Every read is bounds-checked: a short or looping message is a <see cref="DnsFormatException"/>, never a crash.
/// </summary>
public ref struct DnsReader(ReadOnlySpan<byte> message)
{
    private readonly ReadOnlySpan<byte> _message = message;
    public int Position { get; private set; }

    public readonly int Remaining => _message.Length - Position;

    public byte U8() => Take(1)[0];
    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));
    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining) throw new DnsFormatException($"message ends inside a field (offset {Position}, {count} bytes wanted)");
        var span = _message.Slice(Position, count);
        Position += count;
        return span;
    }

    /// <summary>
    /// A domain name in presentation form, without the trailing dot ("" is the root). Labels keep their case; a '.'
    /// or '\' inside a label and bytes that are not printable ASCII are escaped as dig prints them (\. \\ \DDD).
    /// Compression pointers must point backwards (so they cannot loop), and a name is at most 255 bytes on the wire.
    /// </summary>
    public string Name()
    {
        var text = new StringBuilder();
        int at = Position, wireLength = 0, resumeAt = -1, lowestPointerTarget = Position;
        while (true)
        {
            if (at >= _message.Length) throw new DnsFormatException("message ends inside a name");
            byte length = _message[at];
            switch (length & 0xC0)
            {
                case 0xC0:
                    if (at + 1 >= _message.Length) throw new DnsFormatException("message ends inside a name pointer");
                    int target = ((length & 0x3F) << 8) | _message[at + 1];
                    if (target >= lowestPointerTarget) throw new DnsFormatException($"name pointer at offset {at} does not point backwards");
                    if (resumeAt < 0) resumeAt = at + 2;
                    lowestPointerTarget = target;
                    at = target;
                    continue;
                case 0x00:
                    break;
                default:
                    throw new DnsFormatException($"unknown label type 0x{length & 0xC0:x2} at offset {at}");
            }
            wireLength += length + 1;
            if (wireLength > 255) throw new DnsFormatException("name longer than 255 bytes");
            if (length == 0) { at++; break; }
            if (at + 1 + length > _message.Length) throw new DnsFormatException("message ends inside a label");
            if (text.Length > 0) text.Append('.');
            AppendLabel(text, _message.Slice(at + 1, length));
            at += 1 + length;
        }
        Position = resumeAt >= 0 ? resumeAt : at;
        return text.ToString();
    }

    private static void AppendLabel(StringBuilder text, ReadOnlySpan<byte> label)
    {
        foreach (byte b in label)
        {
            if (b is (byte)'.' or (byte)'\\') text.Append('\\').Append((char)b);
            else if (b is > 0x20 and < 0x7F) text.Append((char)b);
            else text.Append('\\').Append(b.ToString("D3"));
        }
    }
}
