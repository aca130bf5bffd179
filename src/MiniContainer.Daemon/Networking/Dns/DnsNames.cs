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
