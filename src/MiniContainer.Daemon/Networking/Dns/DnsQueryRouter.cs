using System.Net;
using System.Net.Sockets;

namespace MiniContainer.Networking.Dns;

/// <summary>What the server does with one packet: nothing, send <see cref="Reply"/>, or forward <see cref="Forward"/> upstream.</summary>
public readonly record struct DnsDecision(byte[]? Reply, DnsMessage? Forward)
{
    public static readonly DnsDecision Drop = default;
    public bool IsDrop => Reply == null && Forward == null;
}

/// <summary>
/// The embedded DNS server's decisions, without sockets: a question about one of the network's names is answered
/// here from <see cref="IDnsRecords"/> (A/AAAA, TTL 600 as Docker's); any other question goes to the upstreams.
/// </summary>
public static class DnsQueryRouter
{
    /// <summary>Docker's embedded DNS answers with this TTL (seconds).</summary>
    public const uint Ttl = 600;
    /// <summary>The UDP payload size advertised in our OPT record (the 2020 DNS flag day's value: no IP fragmentation).</summary>
    public const ushort UdpPayloadSize = 1232;
    /// <summary>A TCP message carries at most this many bytes (its 16-bit length prefix).</summary>
    public const int TcpLimit = 65535;

    public static DnsDecision Decide(ReadOnlySpan<byte> packet, IPAddress asker, IDnsRecords records, bool overTcp)
    {
        if (packet.Length < DnsMessage.HeaderLength) return DnsDecision.Drop;
        if ((packet[2] & 0x80) != 0) return DnsDecision.Drop; // a response sent to us: answering it could start a loop
        DnsMessage query;
        try { query = DnsMessage.Parse(packet); }
        catch (DnsFormatException) { return new DnsDecision(FormatError(packet), null); }

        if (query.Opcode != 0) return Reply(query, query.ReplyTo(DnsRcode.NotImp), overTcp);
        if (query.Questions.Count != 1) return Reply(query, query.ReplyTo(DnsRcode.FormErr), overTcp);
        if (query.Edns is { Version: > 0 }) return Reply(query, query.ReplyTo(DnsRcode.BadVers), overTcp);
        DnsMessage? answer;
        try { answer = TryAnswer(query, asker.IsIPv4MappedToIPv6 ? asker.MapToIPv4() : asker, records); }
        catch (Exception e) when (e is not DnsFormatException) // a bug behind one name: that question fails, not the server
        {
            Log.Error($"dns: answering {query.Questions[0].Name} {query.Questions[0].Type} for {asker}: {e}");
            return Reply(query, query.ReplyTo(DnsRcode.ServFail), overTcp);
        }
        return answer != null ? Reply(query, answer, overTcp) : new DnsDecision(null, query);
    }

    /// <summary>The answer when the question is about one of our names; null when it must be forwarded.</summary>
    public static DnsMessage? TryAnswer(DnsMessage query, IPAddress asker, IDnsRecords records)
    {
        var q = query.Questions[0];
        if (q.Class is not (DnsClass.IN or DnsClass.Any)) return null;
        string? name = OurNameForm(q.Name);
        if (name == null) return null;
        if (q.Type == DnsType.Ptr && DnsNames.TryParseReverse(name, out var reversed)) return TryAnswerReverse(query, reversed, asker, records);
        var families = q.Type switch
        {
            DnsType.A => [AddressFamily.InterNetwork],
            DnsType.Aaaa => [AddressFamily.InterNetworkV6],
            DnsType.Any => [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6],
            _ => (AddressFamily[])[AddressFamily.InterNetwork], // MX, TXT…: if the name is ours, it has no such records (NODATA)
        };
        var reply = query.ReplyTo(DnsRcode.NoError);
        bool ours = false;
        foreach (var family in families)
        {
            var addresses = records.Resolve(asker, name, family);
            if (addresses == null) continue;
            ours = true;
            if (q.Type is not (DnsType.A or DnsType.Aaaa or DnsType.Any)) continue;
            foreach (var address in Shuffled(addresses))
                if (address.AddressFamily == family) reply.Answers.Add(DnsRecord.Address(q.Name, address, Ttl));
        }
        return ours ? reply : null;
    }

    /// <summary>A PTR question about a container's address on this network ("2.0.18.172.in-addr.arpa"): its names.</summary>
    private static DnsMessage? TryAnswerReverse(DnsMessage query, IPAddress address, IPAddress asker, IDnsRecords records)
    {
        var q = query.Questions[0];
        var names = records.ResolveAddress(asker, address);
        if (names == null) return null;
        var reply = query.ReplyTo(DnsRcode.NoError);
        foreach (var name in names) reply.Answers.Add(new DnsRecord(q.Name, DnsType.Ptr, DnsClass.IN, Ttl, DnsNames.ToWire(name)));
        return reply;
    }

    /// <summary>The name as <see cref="IDnsRecords"/> wants it (ASCII lower case, no trailing dot); null when it cannot be ours.</summary>
    public static string? OurNameForm(string name)
    {
        if (name.Length == 0 || name.Contains('\\')) return null; // the root, or a label with a '.' or odd bytes in it
        return name.ToLowerInvariant();
    }

    /// <summary>Several containers behind one alias: a different order each time spreads the clients (as Docker does).</summary>
    private static IEnumerable<IPAddress> Shuffled(IReadOnlyList<IPAddress> addresses)
    {
        if (addresses.Count < 2) return addresses;
        var copy = addresses.ToArray();
        Random.Shared.Shuffle(copy);
        return copy;
    }

    private static DnsDecision Reply(DnsMessage query, DnsMessage reply, bool overTcp)
    {
        if (query.Edns != null) reply.Edns = new Edns(UdpPayloadSize);
        return new DnsDecision(Fit(reply, overTcp ? TcpLimit : UdpLimit(query)), null);
    }

    /// <summary>The largest UDP answer the client takes: 512 bytes without EDNS (RFC 1035), else what its OPT says.</summary>
    public static int UdpLimit(DnsMessage query) => Math.Max(512, (int)(query.Edns?.UdpPayloadSize ?? 512));

    /// <summary>The reply's bytes, or when they exceed the limit, the reply without records and with TC set (the client then asks over TCP).</summary>
    public static byte[] Fit(DnsMessage reply, int limit)
    {
        var wire = reply.Encode();
        if (wire.Length <= limit) return wire;
        reply.Answers.Clear();
        reply.Authorities.Clear();
        reply.Additionals.Clear();
        reply.Truncated = true;
        return reply.Encode();
    }

    /// <summary>FORMERR for a query whose header is readable but whose body is not: the header alone, no sections.</summary>
    private static byte[] FormatError(ReadOnlySpan<byte> packet)
    {
        var reply = new DnsMessage
        {
            Id = (ushort)(packet[0] << 8 | packet[1]), IsResponse = true, Opcode = (byte)((packet[2] >> 3) & 0xF),
            RecursionDesired = (packet[2] & 1) != 0, RecursionAvailable = true, Rcode = DnsRcode.FormErr,
        };
        return reply.Encode();
    }

    /// <summary>
    /// What goes back to the client for a forwarded query: the upstream's answer (already under the client's ID);
    /// the bare question with TC set when that answer (fetched over TCP) is too big for the client's UDP; SERVFAIL
    /// when no upstream answered.
    /// </summary>
    public static byte[] Relay(byte[]? upstreamAnswer, DnsMessage query, bool overTcp)
    {
        int limit = overTcp ? TcpLimit : UdpLimit(query);
        if (upstreamAnswer != null && upstreamAnswer.Length <= limit) return upstreamAnswer;
        var reply = query.ReplyTo(upstreamAnswer == null ? DnsRcode.ServFail : DnsRcode.NoError);
        reply.Truncated = upstreamAnswer != null;
        if (query.Edns != null) reply.Edns = new Edns(UdpPayloadSize);
        return reply.Encode();
    }
}
