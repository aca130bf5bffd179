using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text;

namespace MiniContainer.Networking.Dns;

/// <summary>Domain names between presentation form ("db-notes", "a\.b.example", "\255x") and wire labels.</summary>
public static class DnsNames
{
    /// <summary>The labels of a name; "" and "." are the root (no labels). Throws on an empty or over-long label.</summary>
    public static List<byte[]> Labels(string name)
    {
        var labels = new List<byte[]>();
        if (name is "" or ".") return labels;
        var label = new List<byte>();
        int wireLength = 1;
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (c == '.')
            {
                if (i == name.Length - 1) break; // the trailing dot of a fully qualified name
                AddLabel(labels, label, ref wireLength, name);
                continue;
            }
            if (c == '\\' && i + 3 < name.Length && char.IsAsciiDigit(name[i + 1]) && char.IsAsciiDigit(name[i + 2]) && char.IsAsciiDigit(name[i + 3]))
            {
                int value = int.Parse(name.AsSpan(i + 1, 3));
                if (value > 255) throw new ArgumentException($"bad escape in DNS name \"{name}\"");
                label.Add((byte)value);
                i += 3;
                continue;
            }
            if (c == '\\' && i + 1 < name.Length) c = name[++i];
            if (c > 0xFF) throw new ArgumentException($"DNS name \"{name}\" has a character that is not a byte");
            label.Add((byte)c);
        }
        AddLabel(labels, label, ref wireLength, name);
        return labels;
    }

    private static void AddLabel(List<byte[]> labels, List<byte> label, ref int wireLength, string name)
    {
        if (label.Count is 0 or > 63) throw new ArgumentException($"DNS name \"{name}\" has an empty label or one longer than 63 bytes");
        wireLength += label.Count + 1;
        if (wireLength > 255) throw new ArgumentException($"DNS name \"{name}\" is longer than 255 bytes");
        labels.Add([.. label]);
        label.Clear();
    }

    /// <summary>A name on the wire without compression (as the RDATA of a PTR record).</summary>
    public static byte[] ToWire(string name)
    {
        var wire = new List<byte>();
        foreach (var label in Labels(name))
        {
            wire.Add((byte)label.Length);
            wire.AddRange(label);
        }
        wire.Add(0);
        return [.. wire];
    }

    /// <summary>
    /// The address a reverse name stands for: "2.0.18.172.in-addr.arpa" is 172.18.0.2, and 32 nibbles then
    /// "ip6.arpa" an IPv6 address (RFC 1035 §3.5, RFC 3596 §2.5). False for anything else, shorter names included.
    /// </summary>
    public static bool TryParseReverse(string name, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        var labels = name.ToLowerInvariant().Split('.');
        if (labels.Length == 6 && labels[4] == "in-addr" && labels[5] == "arpa")
        {
            var bytes = new byte[4];
            for (int i = 0; i < 4; i++)
                if (!byte.TryParse(labels[3 - i], NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]) || labels[3 - i] != bytes[i].ToString(CultureInfo.InvariantCulture))
                    return false;
            address = new IPAddress(bytes);
            return true;
        }
        if (labels.Length == 34 && labels[32] == "ip6" && labels[33] == "arpa")
        {
            var bytes = new byte[16];
            for (int i = 0; i < 32; i++)
            {
                int nibble = labels[31 - i] is [var c] ? HexValue(c) : -1;
                if (nibble < 0) return false;
                bytes[i / 2] |= (byte)(i % 2 == 0 ? nibble << 4 : nibble);
            }
            address = new IPAddress(bytes);
            return true;
        }
        return false;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };

    /// <summary>
    /// The name made of labels[from..] as a key for compression: ASCII lower-cased (DNS compares names
    /// case-insensitively in ASCII only, RFC 4343) and escaped so that labels stay apart.
    /// </summary>
    internal static string Join(List<byte[]> labels, int from)
    {
        var text = new StringBuilder();
        for (int i = from; i < labels.Count; i++)
        {
            if (i > from) text.Append('.');
            foreach (byte b in labels[i])
            {
                if (b is (byte)'.' or (byte)'\\') text.Append('\\');
                text.Append((char)(b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b));
            }
        }
        return text.ToString();
    }
}
