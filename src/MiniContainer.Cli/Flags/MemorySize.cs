using System.Globalization;

namespace MiniContainer.Cli.Flags;

/// <summary>
/// Docker's memory sizes: a number, an optional space, an optional unit letter (b k m g t p, any case),
/// an optional "i" and an optional "b" — "512m", "1g", "1.5G", "100", "64KiB". Units are binary (1024),
/// as in docker's -m/--memory, --memory-swap and --shm-size.
/// </summary>
internal static class MemorySize
{
    /// <summary>Parses <paramref name="text"/> into bytes; throws <see cref="FormatException"/> with docker's "invalid size: '…'".</summary>
    public static long Parse(string text)
    {
        if (!TryParse(text, out long bytes)) throw new FormatException($"invalid size: '{text}'");
        return bytes;
    }

    /// <summary>--memory-swap also takes -1 ("unlimited swap").</summary>
    public static long ParseSwap(string text) => text == "-1" ? -1 : Parse(text);

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        int i = 0;
        // Digits, then optional ".digits" groups (docker's pattern allows them; the number must still parse).
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        if (i == 0) return false;
        while (i < text.Length && text[i] == '.')
        {
            int start = ++i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (i == start) return false;
        }
        if (!double.TryParse(text.AsSpan(0, i), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            return false;

        if (i < text.Length && text[i] == ' ') i++;
        double unit = 1;
        if (i < text.Length)
        {
            unit = char.ToLowerInvariant(text[i]) switch
            {
                'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, 'p' => 1L << 50,
                _ => 0,
            };
            if (unit == 0) unit = 1; else i++;
        }
        if (i < text.Length && (text[i] == 'i' || text[i] == 'I')) i++;
        if (i < text.Length && (text[i] == 'b' || text[i] == 'B')) i++;
        if (i != text.Length) return false;

        bytes = (long)(number * unit);
        return true;
    }
}
