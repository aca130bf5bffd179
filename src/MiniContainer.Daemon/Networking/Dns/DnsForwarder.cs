using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace MiniContainer.Networking.Dns;

/// <summary>
/// Asks the host's resolvers the questions that are not about the network's own names, as Docker's embedded DNS
/// does: the client's query as it came (EDNS and all) under a fresh random ID, over UDP, again over TCP when the
/// answer is truncated; an upstream that is silent for <see cref="Timeout"/>, refuses, or fails (SERVFAIL/REFUSED)
/// makes way for the next. Any other answer, NXDOMAIN included, goes back to the client under the client's ID.
/// </summary>
public sealed class DnsForwarder(Func<IReadOnlyList<IPEndPoint>> upstreams, TimeSpan timeout, IPEndPoint? self = null)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);
    public TimeSpan Timeout { get; } = timeout;

    /// <summary>The first good upstream answer with the client's ID, or null when no upstream gave one.</summary>
    public async Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, DnsQuestion question, CancellationToken ct)
    {
        IReadOnlyList<IPEndPoint> servers;
        try { servers = upstreams(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.Warn($"dns: cannot list the upstream resolvers: {e.Message}");
            return null;
        }
        foreach (var server in servers)
        {
            if (server.Equals(self)) continue; // asking ourselves would loop
            var answer = await AskAsync(server, query, question, ct);
            if (answer == null) continue;
            var rcode = (DnsRcode)(answer[3] & 0xF);
            if (rcode is DnsRcode.ServFail or DnsRcode.Refused)
            {
                Log.Trace($"dns: {server} answered {rcode} for {question.Name} {question.Type}; trying the next resolver");
                continue;
            }
            BinaryPrimitives.WriteUInt16BigEndian(answer, BinaryPrimitives.ReadUInt16BigEndian(query.Span));
            return answer;
        }
        return null;
    }

    private async Task<byte[]?> AskAsync(IPEndPoint server, ReadOnlyMemory<byte> query, DnsQuestion question, CancellationToken ct)
    {
        var outgoing = query.ToArray();
        ushort id = (ushort)RandomNumberGenerator.GetInt32(0x10000); // unguessable, so a spoofed answer is unlikely to match
        BinaryPrimitives.WriteUInt16BigEndian(outgoing, id);
        var answer = await TryAsync("udp", server, question, t => AskOverUdpAsync(server, outgoing, id, question, t), ct);
        if (answer == null || (answer[2] & 0x02) == 0) return answer;
        Log.Trace($"dns: {server} truncated the answer for {question.Name} {question.Type}; asking over TCP");
        return await TryAsync("tcp", server, question, t => AskOverTcpAsync(server, outgoing, id, question, t), ct) ?? answer;
    }

    /// <summary>One exchange with one upstream, bounded by <see cref="Timeout"/>: its answer, or null when it failed.</summary>
    private async Task<byte[]?> TryAsync(string transport, IPEndPoint server, DnsQuestion question,
                                         Func<CancellationToken, Task<byte[]?>> exchange, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Timeout);
        try { return await exchange(deadline.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Log.Trace($"dns: {server}/{transport} did not answer {question.Name} {question.Type} within {Timeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            Log.Trace($"dns: {server}/{transport} failed for {question.Name} {question.Type}: {e.Message}");
        }
        return null;
    }

    private static async Task<byte[]?> AskOverUdpAsync(IPEndPoint server, byte[] query, ushort id, DnsQuestion question, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // A connected UDP socket only receives the server's datagrams, and a closed port fails at once (ICMP).
        await socket.ConnectAsync(server, ct);
        await socket.SendAsync(query, SocketFlags.None, ct);
        var buffer = ArrayPool<byte>.Shared.Rent(0x10000);
        try
        {
            while (true)
            {
                int length = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (IsAnswerTo(buffer.AsSpan(0, length), id, question)) return buffer.AsSpan(0, length).ToArray();
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private static async Task<byte[]?> AskOverTcpAsync(IPEndPoint server, byte[] query, ushort id, DnsQuestion question, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await DnsTcpFraming.WriteAsync(stream, query, ct);
        var answer = await DnsTcpFraming.ReadAsync(stream, ct);
        return answer != null && IsAnswerTo(answer, id, question) ? answer : null;
    }

    /// <summary>
    /// Whether a datagram answers our query: our ID, a response, and the same question (names compare
    /// case-insensitively). An error answer may leave the question out.
    /// </summary>
    public static bool IsAnswerTo(ReadOnlySpan<byte> answer, ushort id, DnsQuestion question)
    {
        try
        {
            var r = new DnsReader(answer);
            if (r.U16() != id) return false;
            ushort flags = r.U16();
            if ((flags & 0x8000) == 0) return false;
            ushort questions = r.U16();
            if (questions == 0) return (flags & 0xF) != 0;
            if (questions != 1) return false;
            r.Take(6);
            return string.Equals(r.Name(), question.Name, StringComparison.OrdinalIgnoreCase)
                   && (DnsType)r.U16() == question.Type && r.U16() == question.Class;
        }
        catch (DnsFormatException) { return false; }
    }
}
