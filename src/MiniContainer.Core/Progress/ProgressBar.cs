using System.Globalization;

namespace MiniContainer.Progress;

/// <summary>
/// The progress text Docker shows for a layer: "[=========>                                         ]  1.23MB/6.5MB".
/// The daemon puts it in each message's "progress" field; the CLI draws it again from "progressDetail" at its own width.
/// </summary>
public static class ProgressBar
{
    private const int BarWidth = 50;

    /// <summary>The bar (when <paramref name="width"/> leaves room for it, as Docker's wider than 110 columns) and "current/total".</summary>
    public static string Render(long current, long total, int width = 200)
    {
        string bar = "";
        if (total > 0 && width > 110)
        {
            int filled = (int)Math.Min(BarWidth, (int)(current * 100.0 / total) / 2);
            bar = "[" + new string('=', filled) + ">" + new string(' ', BarWidth - filled) + "] ";
        }
        string numbers = total > 0 ? $"{HumanSize(current),8}/{HumanSize(total)}" : $"{HumanSize(current),8}";
        return bar + numbers;
    }

    /// <summary>Docker's units.HumanSize: decimal units, four significant digits ("1.234MB", "512B", "3.5kB").</summary>
    public static string HumanSize(double bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        int i = 0;
        while (bytes >= 1000 && i < units.Length - 1) { bytes /= 1000; i++; }
        return bytes.ToString("G4", CultureInfo.InvariantCulture) + units[i];
    }
}
