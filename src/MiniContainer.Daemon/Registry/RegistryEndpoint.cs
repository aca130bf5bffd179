using System.Net;

namespace MiniContainer.Registry;

/// <summary>
/// Where a registry named in an image reference lives, as Docker decides it: "docker.io" is served by
/// registry-1.docker.io (its credentials are filed under "https://index.docker.io/v1/"); a registry on a
/// loopback address, or one given to the daemon with --insecure-registry, is spoken to over plain http;
/// every other one over https, checked against the system's CAs.
/// </summary>
public sealed record RegistryEndpoint(string Name, string Host, bool Insecure)
{
    public const string DockerHubName = "docker.io";
    public const string DockerHubHost = "registry-1.docker.io";
    /// <summary>The key `docker login` files Docker Hub credentials under in config.json.</summary>
    public const string DockerHubAuthKey = "https://index.docker.io/v1/";

    /// <summary>Registries the daemon was told (--insecure-registry HOST[:PORT] or CIDR) to reach over http.</summary>
    public static IReadOnlyList<string> InsecureRegistries { get; set; } = [];

    /// <summary>"http://127.0.0.1:5000" or "https://quay.io".</summary>
    public Uri BaseUri => new((Insecure ? "http://" : "https://") + Host);

    /// <summary>The endpoint for a reference's domain ("docker.io", "localhost:5000", "quay.io").</summary>
    public static RegistryEndpoint For(string domain)
    {
        string name = domain is "index.docker.io" or "registry-1.docker.io" ? DockerHubName : domain;
        string host = name == DockerHubName ? DockerHubHost : name;
        return new RegistryEndpoint(name, host, IsInsecure(name, InsecureRegistries));
    }

    /// <summary>The registry a login address names: "https://index.docker.io/v1/", "localhost:5000", "http://127.0.0.1:5000/".</summary>
    public static RegistryEndpoint ForServerAddress(string? serverAddress)
    {
        string address = string.IsNullOrWhiteSpace(serverAddress) ? DockerHubAuthKey : serverAddress.Trim();
        if (address.Contains("://", StringComparison.Ordinal)) address = address[(address.IndexOf("://", StringComparison.Ordinal) + 3)..];
        int slash = address.IndexOf('/');
        if (slash >= 0) address = address[..slash];
        return For(address);
    }

    /// <summary>Loopback registries are always insecure (as in Docker: 127.0.0.0/8 and ::1); so are the listed names and CIDRs.</summary>
    public static bool IsInsecure(string name, IEnumerable<string> insecure)
    {
        string host = HostPart(name);
        if (host == "localhost") return true;
        bool isIp = IPAddress.TryParse(host.Trim('[', ']'), out var ip);
        if (isIp && IPAddress.IsLoopback(ip!)) return true;
        foreach (string entry in insecure)
        {
            if (string.Equals(entry, name, StringComparison.OrdinalIgnoreCase) || string.Equals(entry, host, StringComparison.OrdinalIgnoreCase)) return true;
            if (isIp && entry.Contains('/') && IPNetwork.TryParse(entry, out var network) && network.Contains(ip!)) return true;
        }
        return false;
    }

    /// <summary>"127.0.0.1:5000" → "127.0.0.1"; "[::1]:5000" → "[::1]".</summary>
    private static string HostPart(string name)
    {
        if (name.StartsWith('[')) return name[..(name.IndexOf(']') + 1)];
        int colon = name.LastIndexOf(':');
        return colon >= 0 ? name[..colon] : name;
    }
}
