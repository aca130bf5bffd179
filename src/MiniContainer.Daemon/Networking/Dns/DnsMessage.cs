using System.Net;

namespace MiniContainer.Networking.Dns;

public readonly record struct DnsQuestion(string Name, DnsType Type, ushort Class);

/// <summary>A resource record; <see cref="Data"/> is its RDATA as on the wire.</summary>
public sealed record DnsRecord(string Name, DnsType Type, ushort Class, uint Ttl, byte[] Data)
{
    /// <summary>An A or AAAA record, by the address's family.</summary>
    public static DnsRecord Address(string name, IPAddress address, uint ttl) =>
        new(name, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? DnsType.Aaaa : DnsType.A,
            DnsClass.IN, ttl, address.GetAddressBytes());
}

/// <summary>
/// The EDNS(0) OPT pseudo-record (RFC 6891): the largest UDP answer the sender accepts, its EDNS version and the
/// DNSSEC-OK bit. Options (cookies, padding…) are read past and not kept: this server answers without them.
/// </summary>
public sealed record Edns(ushort UdpPayloadSize, byte Version = 0, bool DnssecOk = false);

/// <summary>
/// One DNS message (RFC 1035 §4.1): the header's flags, the questions and three record sections, and the EDNS OPT
/// record if there is one (kept in <see cref="Edns"/>, not among <see cref="Additionals"/>).
/// </summary>
public sealed class DnsMessage
{
    public const int HeaderLength = 12;

    public ushort Id { get; set; }
    public bool IsResponse { get; set; }
    public byte Opcode { get; set; }
    public bool Authoritative { get; set; }
    public bool Truncated { get; set; }
    public bool RecursionDesired { get; set; }
    public bool RecursionAvailable { get; set; }
    /// <summary>The full response code: the header's 4 bits, plus 8 more from the OPT record when there is one.</summary>
    public DnsRcode Rcode { get; set; }
    public List<DnsQuestion> Questions { get; } = [];
    public List<DnsRecord> Answers { get; } = [];
    public List<DnsRecord> Authorities { get; } = [];
    public List<DnsRecord> Additionals { get; } = [];
    public Edns? Edns { get; set; }

    public static DnsMessage Parse(ReadOnlySpan<byte> wire)
    {
        var r = new DnsReader(wire);
        var m = new DnsMessage { Id = r.U16() };
        ushort flags = r.U16();
        m.IsResponse = (flags & 0x8000) != 0;
        m.Opcode = (byte)((flags >> 11) & 0xF);
        m.Authoritative = (flags & 0x0400) != 0;
        m.Truncated = (flags & 0x0200) != 0;
        m.RecursionDesired = (flags & 0x0100) != 0;
        m.RecursionAvailable = (flags & 0x0080) != 0;
        int rcode = flags & 0xF;
        int questions = r.U16(), answers = r.U16(), authorities = r.U16(), additionals = r.U16();
        for (int i = 0; i < questions; i++) m.Questions.Add(new DnsQuestion(r.Name(), (DnsType)r.U16(), r.U16()));
        ReadRecords(ref r, answers, m.Answers);
        ReadRecords(ref r, authorities, m.Authorities);
        ReadRecords(ref r, additionals, m.Additionals);
        int opt = m.Additionals.FindIndex(a => a.Type == DnsType.Opt);
        if (opt >= 0)
        {
            var record = m.Additionals[opt];
            if (record.Name != "") throw new DnsFormatException("OPT record with a name other than the root");
            if (m.Additionals.FindLastIndex(a => a.Type == DnsType.Opt) != opt) throw new DnsFormatException("more than one OPT record");
            m.Additionals.RemoveAt(opt);
            // The OPT record's class is the UDP payload size; its TTL holds extended rcode, version, DO bit.
            m.Edns = new Edns(record.Class, (byte)(record.Ttl >> 16), (record.Ttl & 0x8000) != 0);
            rcode |= (int)(record.Ttl >> 24) << 4;
        }
        m.Rcode = (DnsRcode)rcode;
        return m;
    }

    private static void ReadRecords(ref DnsReader r, int count, List<DnsRecord> into)
    {
        for (int i = 0; i < count; i++)
        {
            string name = r.Name();
            var type = (DnsType)r.U16();
            ushort @class = r.U16();
            uint ttl = r.U32();
            int length = r.U16();
            into.Add(new DnsRecord(name, type, @class, ttl, r.Take(length).ToArray()));
        }
    }

    public byte[] Encode()
    {
        var w = new DnsWriter();
        w.U16(Id);
        int flags = (IsResponse ? 0x8000 : 0) | (Opcode & 0xF) << 11 | (Authoritative ? 0x0400 : 0) | (Truncated ? 0x0200 : 0)
                    | (RecursionDesired ? 0x0100 : 0) | (RecursionAvailable ? 0x0080 : 0) | ((int)Rcode & 0xF);
        w.U16((ushort)flags);
        w.U16((ushort)Questions.Count);
        w.U16((ushort)Answers.Count);
        w.U16((ushort)Authorities.Count);
        w.U16((ushort)(Additionals.Count + (Edns != null ? 1 : 0)));
        foreach (var q in Questions)
        {
            w.Name(q.Name);
            w.U16((ushort)q.Type);
            w.U16(q.Class);
        }
        foreach (var record in Answers.Concat(Authorities).Concat(Additionals)) WriteRecord(w, record);
        if (Edns != null)
        {
            if ((int)Rcode > 0xFFF) throw new InvalidOperationException($"rcode {Rcode} does not fit in 12 bits");
            uint ttl = (uint)((int)Rcode >> 4) << 24 | (uint)Edns.Version << 16 | (Edns.DnssecOk ? 0x8000u : 0);
            WriteRecord(w, new DnsRecord("", DnsType.Opt, Edns.UdpPayloadSize, ttl, []));
        }
        else if ((int)Rcode > 0xF) throw new InvalidOperationException($"rcode {Rcode} needs an OPT record");
        return w.ToArray();
    }

    private static void WriteRecord(DnsWriter w, DnsRecord record)
    {
        w.Name(record.Name);
        w.U16((ushort)record.Type);
        w.U16(record.Class);
        w.U32(record.Ttl);
        w.U16((ushort)record.Data.Length);
        w.Bytes(record.Data);
    }

    /// <summary>A reply to this query: same ID, opcode, RD bit and question, recursion available, no records yet.</summary>
    public DnsMessage ReplyTo(DnsRcode rcode)
    {
        var reply = new DnsMessage
        {
            Id = Id, IsResponse = true, Opcode = Opcode, RecursionDesired = RecursionDesired, RecursionAvailable = true, Rcode = rcode,
        };
        reply.Questions.AddRange(Questions);
        return reply;
    }
}
