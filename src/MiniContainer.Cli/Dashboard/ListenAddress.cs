using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MiniContainer.Cli.Dashboard;

/// <summary>
/// Where the dashboard listens: one IP address and a port ("127.0.0.1:7480", "[::1]:7480", "localhost:7480"; port 0
/// picks a free one). Always one named address, never 0.0.0.0 or "::": the Host check compares every request's
/// Host header with this address, and "any address" has no single name to compare with.
/// </summary>
internal sealed record ListenAddress(IPAddress Address, int Port)
{
    public const string Default = "127.0.0.1:7480";

    public bool IsLoopback => IPAddress.IsLoopback(Address);

    /// <summary>"127.0.0.1:7480" or "[::1]:7480": what the URL and the Host header carry.</summary>
    public string Authority => Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    public string Url => $"http://{Authority}/";

    /// <summary>Parses HOST:PORT, where HOST is an IP address or "localhost"; throws UsageException in the flag's words.</summary>
    public static ListenAddress Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw Invalid(text, "expected HOST:PORT, e.g. 127.0.0.1:7480");
        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        IPAddress address;
        if (host == "localhost") address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(host, out address!)) throw Invalid(text, $"\"{host}\" is not an IP address (or localhost)");
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            throw Invalid(text, "name one address to listen on, not every address: requests are checked against it");
        return new ListenAddress(address, port);
    }

    /// <summary>A non-loopback address only when the user said so with --allow-remote: the page is plain http and shows
    /// every container's details to whoever has its URL.</summary>
    public void CheckExposure(bool allowRemote)
    {
        if (!IsLoopback && !allowRemote)
            throw new UsageException($"refusing to serve the dashboard on {Authority}, which other hosts can reach: " +
                                     $"use a loopback address (the default is {Default}), or add --allow-remote");
    }

    static UsageException Invalid(string value, string reason) => new($"invalid argument \"{value}\" for \"--listen\" flag: {reason}");
}
