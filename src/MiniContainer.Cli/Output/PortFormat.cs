using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Output;

/// <summary>How docker prints published ports: the PORTS column of `ps` and the lines of `port`.</summary>
internal static class PortFormat
{
    /// <summary>
    /// The `ps` PORTS column from GET /containers/json's "Ports" ([{IP, PrivatePort, PublicPort, Type}]), as docker
    /// prints it: sorted by container port; consecutive unpublished ports (and ports published on the same number)
    /// collapsed into ranges ("8000-8002/tcp", "0.0.0.0:80-81->80-81/tcp"), then the other mappings
    /// ("0.0.0.0:8080->80/tcp, [::]:8080->80/tcp").
    /// </summary>
    public static string PsColumn(JsonArray? ports)
    {
        if (ports is null) return "";
        var sorted = ports.OfType<JsonObject>().Select(Port.From).ToList();
        sorted.Sort(Port.Compare);

        var groups = new Dictionary<string, (int First, int Last)>();
        var groupOrder = new List<string>();
        var result = new List<string>();
        var mappings = new List<string>();
        foreach (var p in sorted)
        {
            string key = p.Type;
            if (p.Ip is not null)
            {
                if (p.Public != p.Private)
                {
                    mappings.Add($"{JoinHostPort(p.Ip.ToString(), Num(p.Public))}->{p.Private}/{p.Type}");
                    continue;
                }
                key = p.Ip + "/" + p.Type;
            }
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = (p.Private, p.Private);
                groupOrder.Add(key);
            }
            else if (p.Private == group.Last + 1)
            {
                groups[key] = (group.First, p.Private);
            }
            else
            {
                result.Add(FormGroup(key, group.First, group.Last));
                groups[key] = (p.Private, p.Private);
            }
        }
        result.AddRange(groupOrder.Select(key => FormGroup(key, groups[key].First, groups[key].Last)));
        result.AddRange(mappings);
        return string.Join(", ", result);
    }

    /// <summary>
    /// `port CONTAINER [PRIVATE_PORT[/PROTO]]` from inspect's NetworkSettings.Ports ({"80/tcp":[{"HostIp","HostPort"}]}):
    /// without a port, "80/tcp -> 0.0.0.0:8080" per binding; with one, "0.0.0.0:8080" per binding of that port.
    /// Lines in natural order. Errors are docker's (an unpublished port: "no public port '80' published for web").
    /// </summary>
    public static IReadOnlyList<string> PortLines(JsonObject? ports, string container, string? privatePort = null)
    {
        var lines = new List<string>();
        if (privatePort is not null)
        {
            string key = ParsePrivatePort(privatePort);
            if (ports?[key] is not JsonArray bindings || bindings.Count == 0)
                throw new FormatException($"no public port '{privatePort}' published for {container}");
            lines.AddRange(bindings.OfType<JsonObject>().Select(Frontend));
        }
        else if (ports is not null)
        {
            foreach (var (key, value) in ports)
                if (value is JsonArray bindings)
                    lines.AddRange(bindings.OfType<JsonObject>().Select(b => $"{key} -> {Frontend(b)}"));
        }
        lines.Sort(NaturalOrder.Compare);
        return lines;
    }

    /// <summary>"80" → "80/tcp", "53/UDP" → "53/udp"; docker's errors for anything else.</summary>
    static string ParsePrivatePort(string s)
    {
        if (s.Length == 0) throw new FormatException("invalid port: value is empty");
        int slash = s.IndexOf('/');
        string number = slash < 0 ? s : s[..slash];
        string proto = slash < 0 || slash == s.Length - 1 ? "tcp" : s[(slash + 1)..].ToLowerInvariant();
        if (number.Length == 0) throw new FormatException($"invalid port '{number}': value is empty");
        if (!number.All(char.IsAsciiDigit)) throw new FormatException($"invalid port '{number}': invalid syntax");
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw new FormatException($"invalid port '{number}': value out of range");
        return $"{port}/{proto}";
    }

    static string Frontend(JsonObject binding) => JoinHostPort(Str(binding, "HostIp"), Str(binding, "HostPort"));

    /// <summary>"0.0.0.0/tcp" + 80..81 → "0.0.0.0:80-81->80-81/tcp"; "tcp" + 80..80 → "80/tcp".</summary>
    static string FormGroup(string key, int first, int last)
    {
        int slash = key.LastIndexOf('/');
        string type = key[(slash + 1)..];
        string range = first == last ? Num(first) : $"{first}-{last}";
        if (slash > 0) range = $"{JoinHostPort(key[..slash], range)}->{range}";
        return range + "/" + type;
    }

    /// <summary>Go's net.JoinHostPort: IPv6 addresses get brackets.</summary>
    static string JoinHostPort(string host, string port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    static string Str(JsonObject o, string key)
        => o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";

    /// <summary>One entry of the API's Ports list. Ip is null when the port is not published.</summary>
    sealed record Port(int Private, int Public, string Type, IPAddress? Ip)
    {
        public static Port From(JsonObject o) => new(
            (int)Long(o, "PrivatePort"), (int)Long(o, "PublicPort"), Str(o, "Type"),
            IPAddress.TryParse(Str(o, "IP"), out var ip) && !Str(o, "IP").Contains('%') ? ip : null);

        /// <summary>By container port, then address (none first, IPv4 before IPv6), then host port, then protocol.</summary>
        public static int Compare(Port a, Port b)
        {
            if (a.Private != b.Private) return a.Private.CompareTo(b.Private);
            int byIp = CompareIps(a.Ip, b.Ip);
            if (byIp != 0) return byIp;
            if (a.Public != b.Public) return a.Public.CompareTo(b.Public);
            return string.CompareOrdinal(a.Type, b.Type);
        }

        static int CompareIps(IPAddress? a, IPAddress? b)
        {
            if (a is null || b is null) return (a is null ? 0 : 1) - (b is null ? 0 : 1);
            if (a.AddressFamily != b.AddressFamily) return a.AddressFamily == AddressFamily.InterNetwork ? -1 : 1;
            return a.GetAddressBytes().AsSpan().SequenceCompareTo(b.GetAddressBytes());
        }

        static long Long(JsonObject o, string key)
            => o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
               && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? (long)d : 0;
    }
}

/// <summary>Natural string order, as docker's sortorder.NaturalLess: runs of digits compare as numbers ("9" &lt; "10").</summary>
internal static class NaturalOrder
{
    public static int Compare(string? a, string? b)
    {
        a ??= ""; b ??= "";
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                int si = i, sj = j;
                while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
                while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
                string x = a[si..i].TrimStart('0'), y = b[sj..j].TrimStart('0');
                if (x.Length != y.Length) return x.Length.CompareTo(y.Length);
                int byDigits = string.CompareOrdinal(x, y);
                if (byDigits != 0) return byDigits;
                // Equal numbers: fewer leading zeros first.
                if (i - si != j - sj) return (i - si).CompareTo(j - sj);
                continue;
            }
            if (a[i] != b[j]) return a[i].CompareTo(b[j]);
            i++; j++;
        }
        return (a.Length - i).CompareTo(b.Length - j);
    }
}
