using System.CommandLine;
using System.Globalization;

namespace MiniContainer.Cli.Flags;

/// <summary>
/// The --since/--until values of logs, turned into the unix timestamps the API takes:
/// a Go duration ("10m", "1h30m") counts back from now; a date ("2024-05-01", RFC 3339) is converted;
/// a unix timestamp ("1714557600" or "1714557600.5") is sent as is.
/// </summary>
internal static class TimeArgument
{
    public static string ToUnix(string value, DateTimeOffset now, Option option)
    {
        if (value.Length == 0) return "";
        if (GoDuration.TryParse(value, out TimeSpan ago))
            return FormatUnix(now - ago);
        if (decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _))
            return value;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var date))
            return FormatUnix(date);
        throw FlagValues.Invalid(option, value, $"failed to parse value as time or duration: \"{value}\"");
    }

    static string FormatUnix(DateTimeOffset t)
    {
        long ticks = t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        return $"{seconds}.{rest * 100:000000000}";
    }
}

/// <summary>Go's time.ParseDuration: "300ms", "1.5h", "2h45m"; units ns, us, µs, ms, s, m, h.</summary>
internal static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text.Length == 0) return false;
        int i = 0;
        bool negative = false;
        if (text[0] is '-' or '+') { negative = text[0] == '-'; i++; }
        if (text[i..] == "0") return true;
        double totalTicks = 0;
        bool any = false;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (i == start || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
                return false;
            int unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.') i++;
            double unitTicks = text[unitStart..i] switch
            {
                "ns" => 0.01, "us" or "µs" => 10, "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond, "m" => TimeSpan.TicksPerMinute, "h" => TimeSpan.TicksPerHour,
                _ => -1,
            };
            if (unitTicks < 0) return false;
            totalTicks += number * unitTicks;
            any = true;
        }
        duration = TimeSpan.FromTicks((long)(negative ? -totalTicks : totalTicks));
        return any;
    }
}
