using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Flags;

/// <summary>
/// docker's -p/--publish values → the create request's Config.ExposedPorts ({"80/tcp":{}}) and
/// HostConfig.PortBindings ({"80/tcp":[{"HostIp":"","HostPort":"8080"}]}), by docker's rules:
/// <code>
///   [ip:][hostPort:]containerPort[/proto]      8080:80, 127.0.0.1:8080:80/udp, 80, 127.0.0.1::80, [::1]:80:80
///   ranges                                     8000-8001:80-81 (one binding per port), 8000-8010:80 (pick one of those)
///   published=8080,target=80[,protocol=udp]    the long form, turned into the short one first
/// </code>
/// The host port stays a string: "" (or "0") asks the daemon for an ephemeral port, "8000-8010" for one in that range.
/// Errors are docker's words, thrown as <see cref="FormatException"/>; docker prints them as they are
/// ("docker: invalid containerPort: abc"), without an "invalid argument … for flag" prefix.
/// </summary>
internal static class PortSpec
{
    /// <summary>All the -p values of one command line, in order.</summary>
    public static (JsonObject ExposedPorts, JsonObject PortBindings) Parse(IEnumerable<string> specs)
    {
        var exposed = new JsonObject();
        var bindings = new JsonObject();
        foreach (string spec in specs) Add(spec, exposed, bindings);
        return (exposed, bindings);
    }

    /// <summary>Adds one -p value: its ports to `exposed`, a binding per port to `bindings` (after any earlier ones).</summary>
    public static void Add(string spec, JsonObject exposed, JsonObject bindings)
    {
        string raw = LongFormToShort(spec);
        var (ip, hostPort, containerPart) = SplitParts(raw);

        string containerPort = containerPart, proto = "tcp";
        int slash = containerPart.IndexOf('/');
        if (slash >= 0)
        {
            containerPort = containerPart[..slash];
            if (slash + 1 < containerPart.Length) proto = containerPart[(slash + 1)..];
        }
        if (containerPort.Length == 0) throw new FormatException($"no port specified: {raw}<empty>");

        proto = proto.ToLowerInvariant();
        if (proto is not ("tcp" or "udp" or "sctp")) throw new FormatException("invalid proto: " + proto);

        if (ip.StartsWith('[')) ip = StripBrackets(ip);
        if (ip.Length > 0 && !IsIp(ip)) throw new FormatException("invalid IP address: " + ip);

        if (!TryRange(containerPort, out int start, out int end)) throw new FormatException("invalid containerPort: " + containerPort);
        int hostStart = 0, hostEnd = 0;
        if (hostPort.Length > 0)
        {
            if (!TryRange(hostPort, out hostStart, out hostEnd)) throw new FormatException("invalid hostPort: " + hostPort);
            // A host range for a single container port means "any free port of that range".
            if (end - start != hostEnd - hostStart && end != start)
                throw new FormatException($"invalid ranges specified for container and host Ports: {containerPort} and {hostPort}");
        }

        int count = end - start + 1;
        for (int i = 0; i < count; i++)
        {
            string host = "";
            if (hostPort.Length > 0)
            {
                host = Num(hostStart + i);
                if (count == 1 && hostStart != hostEnd) host += "-" + Num(hostEnd);
            }
            string key = Num(start + i) + "/" + proto;
            exposed[key] ??= new JsonObject();
            if (bindings[key] is not JsonArray list) bindings[key] = list = [];
            list.Add((JsonNode)new JsonObject { ["HostIp"] = ip, ["HostPort"] = host });
        }
    }

    /// <summary>"published=8080,target=80,protocol=udp" → "8080:80/udp" (other keys, such as mode, are ignored).</summary>
    static string LongFormToShort(string spec)
    {
        if (!spec.Contains('=')) return spec;
        var fields = new Dictionary<string, string> { ["protocol"] = "tcp" };
        foreach (string field in spec.Split(','))
        {
            int eq = field.IndexOf('=');
            if (eq <= 0) throw new FormatException($"invalid publish opts format (should be name=value but got '{field}')");
            fields[field[..eq]] = field[(eq + 1)..];
        }
        return $"{fields.GetValueOrDefault("published", "")}:{fields.GetValueOrDefault("target", "")}/{fields["protocol"]}";
    }

    /// <summary>The last two colon-separated parts are host and container port; anything before them is the IP
    /// (so an unbracketed IPv6 address keeps its colons: "fe80::1:8080:80").</summary>
    static (string Ip, string HostPort, string ContainerPort) SplitParts(string raw)
    {
        string[] parts = raw.Split(':');
        return parts.Length switch
        {
            1 => ("", "", parts[0]),
            2 => ("", parts[0], parts[1]),
            _ => (string.Join(':', parts[..^2]), parts[^2], parts[^1]),
        };
    }

    /// <summary>"[::1]" → "::1", with the errors Go's net.SplitHostPort gives for the bracket forms it refuses.</summary>
    static string StripBrackets(string ip)
    {
        string hostport = ip + ":";
        string Error(string why) => $"invalid IP address {ip}: address {hostport}: {why}";
        int end = hostport.IndexOf(']');
        if (end < 0) throw new FormatException(Error("missing ']' in address"));
        if (end + 1 != hostport.Length - 1)
            throw new FormatException(Error(hostport[end + 1] == ':' ? "too many colons in address" : "missing port in address"));
        if (hostport.IndexOf('[', 1) >= 0) throw new FormatException(Error("unexpected '[' in address"));
        if (hostport.IndexOf(']', end + 1) >= 0) throw new FormatException(Error("unexpected ']' in address"));
        return hostport[1..end];
    }

    /// <summary>Go's net.ParseIP: dotted-quad IPv4 (no short forms, no leading zeros) or IPv6 without a zone.</summary>
    static bool IsIp(string s)
    {
        if (s.Contains(':')) return !s.Contains('%') && IPAddress.TryParse(s, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        string[] octets = s.Split('.');
        return octets.Length == 4 && octets.All(o => o.Length is > 0 and <= 3 && o.All(char.IsAsciiDigit)
                                                     && (o.Length == 1 || o[0] != '0') && int.Parse(o, CultureInfo.InvariantCulture) <= 255);
    }

    /// <summary>"80" or "8000-8010" (a second number equal to the first is the single port).</summary>
    static bool TryRange(string s, out int start, out int end)
    {
        end = 0;
        int dash = s.IndexOf('-');
        if (!TryPort(dash < 0 ? s : s[..dash], out start)) return false;
        if (dash < 0 || s[..dash] == s[(dash + 1)..]) { end = start; return true; }
        return TryPort(s[(dash + 1)..], out end) && end >= start;
    }

    static bool TryPort(string s, out int port)
        => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;

    static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}
