using System.Text.RegularExpressions;

namespace MiniContainer.Cli.Flags;

/// <summary>
/// --device HOST[:CONTAINER][:PERMISSIONS] and --device-cgroup-rule "TYPE MAJOR:MINOR ACCESS", checked as docker's
/// CLI checks them (validateLinuxPath + parseLinuxDevice; validateDeviceCgroupRule) with its messages.
/// </summary>
internal static partial class DeviceFlag
{
    public sealed record Mapping(string PathOnHost, string PathInContainer, string CgroupPermissions);

    /// <summary>"/dev/sda", "/dev/sda:/dev/xvda", "/dev/sda:r", "/dev/sda:/dev/xvda:rw". FormatException with docker's message.</summary>
    public static Mapping Parse(string value)
    {
        if (value.Count(ch => ch == ':') > 2) throw new FormatException($"bad format for path: {value}");
        string[] parts = value.Split(':');
        if (parts[0].Length == 0) throw new FormatException($"bad format for path: {value}");
        string src = parts[0], dst = "", permissions = "rwm";
        string containerPath;
        switch (parts.Length)
        {
            case 1:
                containerPath = src;
                break;
            case 2 when ValidMode(parts[1]):
                containerPath = src;
                permissions = parts[1];
                break;
            case 2:
                containerPath = dst = parts[1];
                break;
            default:
                if (!ValidMode(parts[2])) throw new FormatException($"bad mode specified: {parts[2]}");
                containerPath = dst = parts[1];
                permissions = parts[2];
                break;
        }
        if (!containerPath.StartsWith('/')) throw new FormatException($"{containerPath} is not an absolute path");
        return new Mapping(src, dst.Length > 0 ? dst : src, permissions);
    }

    /// <summary>docker's validDeviceMode: r, w and m, each at most once, at least one.</summary>
    public static bool ValidMode(string mode) =>
        mode.Length > 0 && mode.All(ch => ch is 'r' or 'w' or 'm') && mode.Distinct().Count() == mode.Length;

    [GeneratedRegex(@"^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$")]
    private static partial Regex CgroupRule();

    /// <summary>The rule as typed, or FormatException("invalid device cgroup format '…'").</summary>
    public static string ValidateCgroupRule(string value) =>
        CgroupRule().IsMatch(value) ? value : throw new FormatException($"invalid device cgroup format '{value}'");
}
