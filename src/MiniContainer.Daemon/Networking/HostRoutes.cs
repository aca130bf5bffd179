using System.Globalization;

namespace MiniContainer.Networking;

/// <summary>The host's IPv4 routes (/proc/net/route): a new network's subnet must not overlap one of them
/// (except the default route), or containers would hijack the host's own traffic.</summary>
public static class HostRoutes
{
    public static List<Ipv4Subnet> Read(string path = "/proc/net/route")
    {
        try { return Parse(File.ReadAllLines(path)); }
        catch (IOException) { return new(); }
    }

    /// <summary>Lines of "Iface Destination Gateway Flags RefCnt Use Metric Mask …", addresses in little-endian hex.</summary>
    public static List<Ipv4Subnet> Parse(IEnumerable<string> lines)
    {
        var routes = new List<Ipv4Subnet>();
        foreach (string line in lines.Skip(1))
        {
            string[] f = line.Split(new[] { '\t', ' ' }, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8) continue;
            uint dest = ReverseHex(f[1]), mask = ReverseHex(f[7]);
            if (mask == 0) continue;   // the default route overlaps everything; it does not count
            routes.Add(new Ipv4Subnet(dest & mask, System.Numerics.BitOperations.PopCount(mask)));
        }
        return routes;
    }

    private static uint ReverseHex(string hex) =>
        System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(uint.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
}
