using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Api;

namespace MiniContainer.Networking;

/// <summary>
/// Docker's port shapes in the create request (pure): ExposedPorts {"80/tcp": {}} and
/// HostConfig.PortBindings {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}, checked with Docker's messages.
/// </summary>
public static class PortPublishing
{
    public static Dictionary<string, List<PortBinding>>? ParseBindings(JsonNode? node)
    {
        if (node is not JsonObject o || o.Count == 0) return null;
        var result = new Dictionary<string, List<PortBinding>>();
        foreach (var (key, value) in o)
        {
            var (port, proto) = SplitKey(key);
            var list = new List<PortBinding>();
            foreach (var b in value as JsonArray ?? new JsonArray())
            {
                string hostIp = (string?)b?["HostIp"] ?? "";
                string hostPort = (string?)b?["HostPort"] ?? "";
                if (hostIp.Length > 0 && !IPAddress.TryParse(hostIp, out _)) throw new BadRequestException($"invalid IP address: {hostIp}");
                if (hostPort.Length > 0 && hostPort != "0" && !IsPort(hostPort.Split('-')[0])) throw new BadRequestException($"invalid port specification: \"{hostPort}\"");
                list.Add(new PortBinding { HostIp = hostIp, HostPort = hostPort });
            }
            if (list.Count == 0) list.Add(new PortBinding());
            result[$"{port}/{proto}"] = list;
        }
        return result;
    }

    /// <summary>The image's EXPOSE ports and the request's ExposedPorts, as one set ("80/tcp" → {}).</summary>
    public static Dictionary<string, object>? MergeExposed(IEnumerable<string>? imagePorts, JsonNode? requested)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string k in imagePorts ?? Array.Empty<string>()) keys.Add(Normalize(k));
        if (requested is JsonObject o) foreach (var (k, _) in o) keys.Add(Normalize(k));
        if (keys.Count == 0) return null;
        return keys.ToDictionary(k => k, _ => (object)JsonDocument.Parse("{}").RootElement.Clone());
    }

    /// <summary>"80" → (80, "tcp"); "53/udp" → (53, "udp"); refuses what Docker refuses.</summary>
    public static (int Port, string Protocol) SplitKey(string key)
    {
        string[] parts = key.Split('/', 2);
        string proto = parts.Length > 1 ? parts[1].ToLowerInvariant() : "tcp";
        if (!IsPort(parts[0])) throw new BadRequestException($"invalid port specification: \"{parts[0]}\"");
        if (proto is not ("tcp" or "udp")) throw new BadRequestException($"invalid proto: {proto}");
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), proto);
    }

    private static string Normalize(string key) { var (p, proto) = SplitKey(key); return $"{p}/{proto}"; }

    private static bool IsPort(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and <= 65535;
}
