using System.Globalization;

namespace MiniContainer.Cli.Output;

/// <summary>
/// How docker shows durations and sizes to people: "2 minutes ago", "Up About an hour", "4.26MB" (decimal),
/// "23.47GiB" (binary, in info). The thresholds are those of docker's go-units library.
/// </summary>
internal static class HumanUnits
{
    /// <summary>"Less than a second", "1 second", "5 seconds", "About a minute", "3 minutes", "About an hour", "5 hours", "3 days", "2 weeks", "4 months", "2 years".</summary>
    public static string Duration(TimeSpan d)
    {
        long seconds = (long)d.TotalSeconds;
        if (seconds < 1) return "Less than a second";
        if (seconds == 1) return "1 second";
        if (seconds < 60) return $"{seconds} seconds";
        long minutes = (long)d.TotalMinutes;
        if (minutes == 1) return "About a minute";
        if (minutes < 60) return $"{minutes} minutes";
        long hours = (long)(d.TotalHours + 0.5);
        if (hours == 1) return "About an hour";
        if (hours < 48) return $"{hours} hours";
        if (hours < 24 * 7 * 2) return $"{hours / 24} days";
        if (hours < 24 * 30 * 2) return $"{hours / 24 / 7} weeks";
        if (hours < 24 * 365 * 2) return $"{hours / 24 / 30} months";
        return $"{(long)d.TotalHours / 24 / 365} years";
    }

    /// <summary>"5 minutes ago" for a unix time in seconds.</summary>
    public static string Ago(long unixSeconds, DateTimeOffset now)
        => Duration(now - DateTimeOffset.FromUnixTimeSeconds(unixSeconds)) + " ago";

    static readonly string[] DecimalUnits = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    static readonly string[] BinaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

    /// <summary>Decimal size with 3 significant digits, as in the SIZE column: 4261234 → "4.26MB", 500 → "500B".</summary>
    public static string Size(double bytes) => Scaled(bytes, 1000, DecimalUnits, 3);

    /// <summary>Decimal size with 4 significant digits (go-units' HumanSize), as in `system df` and the prune totals: 4261234 → "4.261MB".</summary>
    public static string SizeFine(double bytes) => Scaled(bytes, 1000, DecimalUnits, 4);

    /// <summary>Binary size with 4 significant digits, as in "Total Memory: 23.47GiB".</summary>
    public static string BinarySize(double bytes) => Scaled(bytes, 1024, BinaryUnits, 4);

    static string Scaled(double size, double unitBase, string[] units, int precision)
    {
        int i = 0;
        while (size >= unitBase && i < units.Length - 1) { size /= unitBase; i++; }
        return GoG(size, precision) + units[i];
    }

    /// <summary>Go's %.<paramref name="precision"/>g: shortest form with that many significant digits, "1e+03" style exponents.</summary>
    internal static string GoG(double value, int precision)
    {
        string s = value.ToString("G" + precision, CultureInfo.InvariantCulture);
        int e = s.IndexOf('E');
        if (e < 0) return s;
        string mantissa = s[..e];
        int exponent = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return $"{mantissa}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
    }
}
