using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MiniContainer.Networking.Dns;
using Xunit;

namespace MiniContainer.UnitTests.Networking.Dns;

/// <summary>A network's names for tests: name → addresses, optionally visible only to some askers. Records every lookup.</summary>
public sealed class FakeRecords : IDnsRecords
{
    private readonly Dictionary<string, (IPAddress[] Addresses, Func<IPAddress, bool> Sees)> _names = [];
    public ConcurrentQueue<(IPAddress Asker, string Name, AddressFamily Family)> Lookups { get; } = new();

    public FakeRecords Add(string name, params string[] addresses) => Add(name, _ => true, addresses);

    public FakeRecords Add(string name, Func<IPAddress, bool> visibleTo, params string[] addresses)
    {
        _names[name] = (addresses.Select(IPAddress.Parse).ToArray(), visibleTo);
        return this;
    }

    public IReadOnlyList<IPAddress>? Resolve(IPAddress asker, string name, AddressFamily family)
    {
        Lookups.Enqueue((asker, name, family));
        if (!_names.TryGetValue(name, out var entry) || !entry.Sees(asker)) return null;
        return entry.Addresses.Where(a => a.AddressFamily == family).ToArray();
    }

    /// <summary>Reverse lookups: the names holding the address, with the network's name as Docker answers them.</summary>
    public IReadOnlyList<string>? ResolveAddress(IPAddress asker, IPAddress address)
    {
        var names = _names.Where(n => n.Value.Sees(asker) && n.Value.Addresses.Contains(address)).Select(n => n.Key + ".testnet").ToArray();
        return names.Length == 0 ? null : names;
    }
}

/// <summary>
/// A tiny DNS responder on loopback standing in for the host's resolver: UDP and TCP on one ephemeral port,
/// answering with whatever <see cref="Answer"/> builds (null = stay silent). Keeps every query it received.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly Socket _udp, _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop, _tcpLoop;

    /// <summary>(query, arrived over TCP) → the reply to send, or null for silence.</summary>
    public Func<DnsMessage, bool, DnsMessage?> Answer { get; set; }
    public ConcurrentQueue<(DnsMessage Query, bool OverTcp)> Queries { get; } = new();
    public IPEndPoint Endpoint { get; }

    public FakeUpstream(Func<DnsMessage, bool, DnsMessage?> answer)
    {
        Answer = answer;
        (_udp, _tcp) = DnsSockets.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Endpoint = (IPEndPoint)_udp.LocalEndPoint!;
        _udpLoop = Task.Run(ServeUdpAsync);
        _tcpLoop = Task.Run(ServeTcpAsync);
    }

    /// <summary>An upstream that knows every name as <paramref name="address"/>.</summary>
    public static FakeUpstream Answering(string address) => new((q, _) => Reply(q, DnsRcode.NoError, address));

    public static DnsMessage Reply(DnsMessage query, DnsRcode rcode, params string[] addresses)
    {
        var reply = query.ReplyTo(rcode);
        reply.Edns = query.Edns;
        foreach (var a in addresses) reply.Answers.Add(DnsRecord.Address(query.Questions[0].Name, IPAddress.Parse(a), 300));
        return reply;
    }

    private async Task ServeUdpAsync()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            SocketReceiveFromResult got;
            try { got = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token); }
            catch (Exception) { return; }
            var query = DnsMessage.Parse(buffer.AsSpan(0, got.ReceivedBytes));
            Queries.Enqueue((query, false));
            var reply = Answer(query, false);
            if (reply != null) await _udp.SendToAsync(reply.Encode(), SocketFlags.None, got.RemoteEndPoint);
        }
    }

    private async Task ServeTcpAsync()
    {
        while (true)
        {
            Socket client;
            try { client = await _tcp.AcceptAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(async () =>
            {
                using var _ = client;
                await using var stream = new NetworkStream(client);
                try
                {
                    while (await DnsTcpFraming.ReadAsync(stream, _stop.Token) is { } packet)
                    {
                        var query = DnsMessage.Parse(packet);
                        Queries.Enqueue((query, true));
                        var reply = Answer(query, true);
                        if (reply == null) return;
                        await DnsTcpFraming.WriteAsync(stream, reply.Encode(), _stop.Token);
                    }
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or SocketException) { }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Dispose();
        await Task.WhenAll(_udpLoop, _tcpLoop);
    }
}

/// <summary>A stub resolver for tests: one question over UDP or TCP, the answer parsed.</summary>
public static class DnsAsk
{
    public static DnsMessage Query(string name, DnsType type, Edns? edns = null)
    {
        var query = new DnsMessage { Id = (ushort)Random.Shared.Next(0x10000), RecursionDesired = true, Edns = edns };
        query.Questions.Add(new DnsQuestion(name, type, DnsClass.IN));
        return query;
    }

    public static Task<DnsMessage> Udp(IPEndPoint server, string name, DnsType type, Edns? edns = null, IPAddress? from = null) =>
        Udp(server, Query(name, type, edns), from);

    public static async Task<DnsMessage> Udp(IPEndPoint server, DnsMessage query, IPAddress? from = null)
    {
        var raw = await UdpRaw(server, query.Encode(), from) ?? throw new TimeoutException($"no answer from {server} for {query.Questions[0].Name}");
        var answer = DnsMessage.Parse(raw);
        Assert.Equal(query.Id, answer.Id);
        Assert.True(answer.IsResponse);
        return answer;
    }

    /// <summary>Sends bytes, returns the first datagram back, or null after <paramref name="timeoutMs"/>.</summary>
    public static async Task<byte[]?> UdpRaw(IPEndPoint server, byte[] packet, IPAddress? from = null, int timeoutMs = 5000)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(from ?? IPAddress.Loopback, 0));
        await socket.ConnectAsync(server);
        await socket.SendAsync(packet, SocketFlags.None);
        var buffer = new byte[65536];
        using var timeout = new CancellationTokenSource(timeoutMs);
        try { return buffer.AsSpan(0, await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)).ToArray(); }
        catch (OperationCanceledException) { return null; }
    }

    public static async Task<DnsMessage> Tcp(IPEndPoint server, string name, DnsType type)
    {
        var query = Query(name, type);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        await using var stream = new NetworkStream(socket);
        using var timeout = new CancellationTokenSource(5000);
        await DnsTcpFraming.WriteAsync(stream, query.Encode(), timeout.Token);
        var answer = DnsMessage.Parse(await DnsTcpFraming.ReadAsync(stream, timeout.Token) ?? throw new EndOfStreamException());
        Assert.Equal(query.Id, answer.Id);
        return answer;
    }

    public static string[] Addresses(DnsMessage answer) => answer.Answers.Select(a => new IPAddress(a.Data).ToString()).ToArray();
}
