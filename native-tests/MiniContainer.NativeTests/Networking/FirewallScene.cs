using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MiniContainer.Linux;
using MiniContainer.NativeTests.Harness;
using MiniContainer.Networking.Firewall;
using Xunit;

namespace MiniContainer.NativeTests.Networking;

/// <summary>
/// A small private network built by hand for the firewall tests (with `ip`, which is fine in tests), every name
/// unique (mct&lt;hex&gt;…):
/// <code>
///   bridge A  10.N.1.1/24: namespaces a1 (10.N.1.2), a2 (10.N.1.3)
///   bridge B  10.N.2.1/24: namespace  b1 (10.N.2.2)
///   bridge I  10.N.3.1/24: namespace  i1 (10.N.3.2)       (internal)
///   veth O    10.N.9.1/24 ↔ namespace out (10.N.9.2)       the fake "outside world", no route back to 10.N.1-3
/// </code>
/// Containers' default route is their bridge's gateway. Packets never leave the machine. Disposing removes the
/// namespaces, links and the nft table, and checks none of them is left.
/// </summary>
public sealed class FirewallScene : IDisposable
{
    public readonly string Id = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..4].ToLowerInvariant();
    public readonly int N;
    public readonly NftFirewall Firewall;
    public readonly List<FirewallNetwork> Networks = [];
    readonly List<string> namespaces = [];
    readonly List<string> links = [];

    public FirewallScene()
    {
        N = TestSubnets.Lease(200, 250);
        Firewall = new NftFirewall($"minicontainer_t{Id}");
        try
        {
            AddBridge("a", 1, false);
            AddBridge("b", 2, false);
            AddBridge("i", 3, true);
            AddContainer("a1", "a", 1, 2);
            AddContainer("a2", "a", 1, 3);
            AddContainer("b1", "b", 2, 2);
            AddContainer("i1", "i", 3, 2);
            // The outside: a veth whose far end is a namespace with an address of its own and no route to our subnets.
            string outNs = Ns("out"), hostEnd = Name("o");
            Ip("netns", "add", outNs); namespaces.Add(outNs);
            Ip("link", "add", hostEnd, "type", "veth", "peer", "name", Name("op")); links.Add(hostEnd);
            Ip("link", "set", Name("op"), "netns", outNs);
            Ip("addr", "add", $"10.{N}.9.1/24", "dev", hostEnd);
            Ip("link", "set", hostEnd, "up");
            Ip("-n", outNs, "addr", "add", $"10.{N}.9.2/24", "dev", Name("op"));
            Ip("-n", outNs, "link", "set", Name("op"), "up");
            Ip("-n", outNs, "link", "set", "lo", "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name(string suffix) => $"mct{Id}{suffix}";
    public string Ns(string name) => $"mct{Id}-{name}";
    public IPAddress Addr(int net, int host) => IPAddress.Parse($"10.{N}.{net}.{host}");
    public string Bridge(string name) => Name(name);

    void AddBridge(string name, int net, bool isInternal)
    {
        string bridge = Name(name);
        Ip("link", "add", bridge, "type", "bridge"); links.Add(bridge);
        Ip("addr", "add", $"10.{N}.{net}.1/24", "dev", bridge);
        Ip("link", "set", bridge, "up");
        Networks.Add(new FirewallNetwork(bridge, IPNetwork.Parse($"10.{N}.{net}.0/24"), isInternal));
    }

    void AddContainer(string name, string bridge, int net, int host)
    {
        string ns = Ns(name), hostEnd = Name("v" + name), inside = Name("c" + name);
        Ip("netns", "add", ns); namespaces.Add(ns);
        Ip("link", "add", hostEnd, "type", "veth", "peer", "name", inside); links.Add(hostEnd);
        Ip("link", "set", inside, "netns", ns);
        Ip("link", "set", hostEnd, "master", Name(bridge), "up");
        Ip("-n", ns, "addr", "add", $"10.{N}.{net}.{host}/24", "dev", inside);
        Ip("-n", ns, "link", "set", inside, "up");
        Ip("-n", ns, "link", "set", "lo", "up");
        Ip("-n", ns, "route", "add", "default", "via", $"10.{N}.{net}.1");
    }

    /// <summary>A socket in the scene's namespace `ns` (or the host's when null); see <see cref="NetnsSockets"/>.</summary>
    public Socket Socket(string? ns, SocketType type) => NetnsSockets.Create(ns is null ? null : $"/run/netns/{Ns(ns)}", type);

    /// <summary>A TCP listener in `ns` on address:port.</summary>
    public Socket Listen(string? ns, IPAddress address, int port) =>
        NetnsSockets.Listen(ns is null ? null : $"/run/netns/{Ns(ns)}", address, port);

    /// <summary>Connects from `ns` to target and exchanges one line; the listener's view of the client, or null.</summary>
    public Task<IPEndPoint?> TryConnect(string? ns, Socket listener, IPEndPoint target, TimeSpan? timeout = null) =>
        NetnsSockets.TryConnect(ns is null ? null : $"/run/netns/{Ns(ns)}", listener, target, timeout);

    /// <summary>One UDP datagram from `ns` to target, echoed by `server`; true when the echo came back.</summary>
    public async Task<bool> UdpRoundTrip(string? ns, Socket server, IPEndPoint target)
    {
        using var client = Socket(ns, SocketType.Dgram);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var buffer = new byte[64];
            var receiving = server.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token).AsTask();
            await client.SendToAsync("q"u8.ToArray(), SocketFlags.None, target, cts.Token);
            var got = await receiving;
            await server.SendToAsync(buffer.AsMemory(0, got.ReceivedBytes), SocketFlags.None, got.RemoteEndPoint, cts.Token);
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return n == 1;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return false;
        }
    }

    /// <summary>Base chains of other tables on the forward hook whose policy is drop: an accept in our table cannot
    /// overrule them (nftables runs every base chain on a hook), so forwarding tests would fail for that reason.</summary>
    public static IReadOnlyList<string> ForeignForwardDrops()
    {
        var found = new List<string>();
        string table = "";
        foreach (string line in Run("nft", "list", "ruleset").Split('\n'))
        {
            string t = line.Trim();
            if (t.StartsWith("table ", StringComparison.Ordinal)) table = t.TrimEnd('{', ' ');
            else if (t.Contains("hook forward") && t.Contains("policy drop") && !table.Contains("minicontainer")) found.Add($"{table}: {t}");
        }
        return found;
    }

    public void Dispose()
    {
        TestSubnets.Return(N);
        try { Firewall.Remove(); } catch (Exception e) { Console.Error.WriteLine($"firewall scene: {e.Message}"); }
        foreach (string ns in namespaces) TryIp("netns", "del", ns);
        foreach (string link in links) TryIp("link", "del", link);
        string left = Run("ip", "-o", "link", "show");
        Assert.DoesNotContain($"mct{Id}", left);
        Assert.DoesNotContain($"mct{Id}-", Run("ip", "netns", "list"));
        Assert.False(Firewall.Exists(), $"table {Firewall.Table} is still there");
    }

    static void Ip(params string[] args)
    {
        var (code, output) = RunCode("ip", args);
        if (code != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)}: {output}");
    }

    static void TryIp(params string[] args) => RunCode("ip", args);

    public static string Run(string program, params string[] args) => RunCode(program, args).Output;

    static (int Code, string Output) RunCode(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}
