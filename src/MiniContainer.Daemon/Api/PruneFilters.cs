using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniContainer.Api;

/// <summary>
/// The filters every prune endpoint takes, as dockerd reads them: until=&lt;time&gt; (one only: an RFC 3339 or Unix
/// timestamp, or a Go duration such as "24h" or "1h30m" counted back from now), label=key[=value] (every one must
/// match) and label!=key[=value] (an object matching all of them is kept). Anything else is refused, naming the filter.
/// </summary>
public static partial class PruneFilters
{
    public static void Validate(FilterArgs filters, params string[] alsoAllowed)
    {
        filters.Validate(["until", "label", "label!", .. alsoAllowed]);
        var until = filters.Get("until");
        if (until.Count > 1) throw new BadRequestException("more than one until filter specified");
        foreach (string u in until) Cutoff(u, DateTimeOffset.UtcNow);
    }

    public static bool Matches(FilterArgs filters, IReadOnlyDictionary<string, string>? labels, DateTimeOffset created)
    {
        if (filters.Get("until") is [string until] && created > Cutoff(until, DateTimeOffset.UtcNow)) return false;
        return filters.MatchPruneLabels(labels);
    }

    /// <summary>A timestamp filter value (until, since): RFC 3339, Unix seconds, or a Go duration back from <paramref name="now"/>.</summary>
    internal static DateTimeOffset Cutoff(string value, DateTimeOffset now)
    {
        if (GoDuration().Match(value) is { Success: true } m)
        {
            double seconds = 0;
            foreach (Capture part in m.Groups["part"].Captures)
            {
                var p = GoDurationPart().Match(part.Value);
                double n = double.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture);
                seconds += n * p.Groups[2].Value switch { "h" => 3600, "m" => 60, "s" => 1, "ms" => 1e-3, "us" or "µs" => 1e-6, _ => 1e-9 };
            }
            return now - TimeSpan.FromSeconds(seconds);
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double unix))
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(unix * 1000));
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return time;
        throw new BadRequestException($"invalid filter 'until={value}': not a timestamp or duration");
    }

    [GeneratedRegex(@"^(?<part>[0-9]+(\.[0-9]+)?(h|ms|m|s|us|µs|ns))+$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|ns)$")]
    private static partial Regex GoDurationPart();
}
