using System.CommandLine;
using System.Globalization;
using MiniContainer.Cli.Api;

namespace MiniContainer.Cli;

/// <summary>
/// What every command shares: the global flags (-H/--host, --no-autostart) and the connection to the daemon,
/// made on first use — pinging it and starting it in the background when nobody answers.
/// </summary>
internal sealed class CliContext : IDisposable
{
    public Option<string?> Host { get; } = new("--host", "-H")
    {
        Description = $"Daemon socket to connect to (default ${DaemonHost.EnvironmentVariable} or unix://{DaemonHost.DefaultSocketPath})",
        HelpName = "unix:///path",
    };

    public Option<bool> NoAutostart { get; } = new("--no-autostart")
    {
        Description = "Do not start minicontainerd when it is not running",
    };

    DockerClient? _client;

    /// <summary>The client for this invocation, after making sure a daemon answers.</summary>
    public async Task<DockerClient> ConnectAsync(ParseResult parse)
    {
        if (_client is not null) return _client;
        var host = DaemonHost.Resolve(parse.GetValue(Host));
        var client = new DockerClient(host);
        await DaemonLauncher.EnsureRunningAsync(client, autostart: !parse.GetValue(NoAutostart));
        return _client = client;
    }

    public void Dispose() => _client?.Dispose();
}

/// <summary>Flag values docker parses itself, with its error wording: invalid argument "x" for "-m, --memory" flag: ….</summary>
internal static class FlagValues
{
    /// <summary>"-m, --memory" or "--memory-swap", as docker names a flag in errors.</summary>
    public static string Display(Option option)
    {
        string? shortName = option.Aliases.FirstOrDefault(a => a.Length == 2 && a[0] == '-');
        return shortName is null ? option.Name : $"{shortName}, {option.Name}";
    }

    public static UsageException Invalid(Option option, string value, string reason)
        => new($"invalid argument \"{value}\" for \"{Display(option)}\" flag: {reason}");

    public static long? Long(ParseResult parse, Option<string?> option)
    {
        string? text = parse.GetValue(option);
        if (text is null) return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw Invalid(option, text, $"strconv.ParseInt: parsing \"{text}\": invalid syntax");
        return value;
    }

    public static int? Int(ParseResult parse, Option<string?> option)
    {
        long? value = Long(parse, option);
        if (value is null) return null;
        if (value is < int.MinValue or > int.MaxValue)
            throw Invalid(option, parse.GetValue(option)!, $"strconv.ParseInt: parsing \"{value}\": value out of range");
        return (int)value;
    }

    public static long? Memory(ParseResult parse, Option<string?> option, bool allowMinusOne = false)
    {
        string? text = parse.GetValue(option);
        if (text is null) return null;
        try { return allowMinusOne ? Flags.MemorySize.ParseSwap(text) : Flags.MemorySize.Parse(text); }
        catch (FormatException e) { throw Invalid(option, text, e.Message); }
    }

    /// <summary>--cpus 1.5 → 1500000000 nano-CPUs (HostConfig.NanoCpus).</summary>
    public static long? NanoCpus(ParseResult parse, Option<string?> option)
    {
        string? text = parse.GetValue(option);
        if (text is null) return null;
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal cpus))
            throw Invalid(option, text, $"failed to parse {text} as a rational number");
        decimal nano = cpus * 1_000_000_000m;
        if (nano != decimal.Truncate(nano)) throw Invalid(option, text, "value is too precise");
        return (long)nano;
    }
}
