using System.Net;
using MiniContainer.Networking.Dns;
using Xunit;

namespace MiniContainer.UnitTests.Networking.Dns;

/// <summary>The wire format: what real resolvers send, compression both ways, EDNS, and bytes that must be refused.</summary>
public sealed class DnsMessageTests
{
    // What `dig db-notes` sends: ID 0x1234, RD, one question, and an OPT record (4096 bytes, a cookie option).
    private static readonly byte[] DigQuery = Convert.FromHexString(
        "123401200001000000000001" + "0864622d6e6f74657300" + "00010001" +
        "00" + "0029" + "1000" + "00000000" + "000c" + "000a00080102030405060708");

    [Fact]
    public void Reads_a_query_with_edns_as_dig_sends_it()
    {
        var m = DnsMessage.Parse(DigQuery);
        Assert.Equal(0x1234, m.Id);
        Assert.False(m.IsResponse);
        Assert.True(m.RecursionDesired);
        Assert.Equal(new DnsQuestion("db-notes", DnsType.A, DnsClass.IN), Assert.Single(m.Questions));
        Assert.Equal(new Edns(4096), m.Edns);
        Assert.Empty(m.Additionals);
    }

    [Fact]
    public void Writes_answers_with_a_pointer_to_the_question_name_and_reads_them_back()
    {
        var reply = DnsMessage.Parse(DigQuery).ReplyTo(DnsRcode.NoError);
        reply.Answers.Add(DnsRecord.Address("db-notes", IPAddress.Parse("172.18.0.2"), 600));
        reply.Answers.Add(DnsRecord.Address("DB-NOTES", IPAddress.Parse("172.18.0.3"), 600));
        reply.Edns = new Edns(1232);
        var wire = reply.Encode();
        // header 12 + question 14 + two answers of (pointer 2 + 10 + 4) + OPT 11
        Assert.Equal(12 + 14 + 2 * 16 + 11, wire.Length);
        Assert.Equal(new byte[] { 0xC0, 12 }, wire[26..28]);
        Assert.Equal(new byte[] { 0xC0, 12 }, wire[42..44]); // case differs, still the same name
        var back = DnsMessage.Parse(wire);
        Assert.True(back.IsResponse && back.RecursionAvailable && back.RecursionDesired);
        Assert.Equal(["172.18.0.2", "172.18.0.3"], DnsAsk.Addresses(back));
        Assert.All(back.Answers, a => Assert.Equal(600u, a.Ttl));
        Assert.Equal(new Edns(1232), back.Edns);
    }

    [Fact]
    public void Compresses_shared_suffixes_and_reads_pointers_into_the_middle_of_names()
    {
        var m = new DnsMessage { IsResponse = true };
        m.Questions.Add(new DnsQuestion("www.example.org", DnsType.A, DnsClass.IN));
        m.Answers.Add(new DnsRecord("mail.example.org.", DnsType.A, DnsClass.IN, 60, [1, 2, 3, 4]));
        var wire = m.Encode();
        // "mail" then a pointer to "example.org" inside the question (offset 12 + 4).
        Assert.Equal(new byte[] { 4, (byte)'m', (byte)'a', (byte)'i', (byte)'l', 0xC0, 16 }, wire[33..40]);
        Assert.Equal("mail.example.org", DnsMessage.Parse(wire).Answers[0].Name);
    }

    [Fact]
    public void Escapes_odd_label_bytes_as_dig_prints_them_and_writes_them_back()
    {
        var m = new DnsMessage();
        m.Questions.Add(new DnsQuestion(@"a\.b\\c\255.example", DnsType.Txt, DnsClass.IN));
        var wire = m.Encode();
        Assert.Equal(new byte[] { 6, (byte)'a', (byte)'.', (byte)'b', (byte)'\\', (byte)'c', 255, 7 }, wire[12..20]);
        Assert.Equal(@"a\.b\\c\255.example", DnsMessage.Parse(wire).Questions[0].Name);
    }

    [Fact]
    public void An_extended_rcode_travels_in_the_opt_record()
    {
        var m = new DnsMessage { IsResponse = true, Rcode = DnsRcode.BadVers, Edns = new Edns(1232) };
        var wire = m.Encode();
        Assert.Equal(0, wire[3] & 0xF);
        Assert.Equal(DnsRcode.BadVers, DnsMessage.Parse(wire).Rcode);
        Assert.Throws<InvalidOperationException>(() => new DnsMessage { Rcode = DnsRcode.BadVers }.Encode());
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "short header", "1234010000" },
        { "question cut short", "123401000001000000000000" + "0864622d6e6f" },
        { "type missing", "123401000001000000000000" + "0864622d6e6f74657300" + "00" },
        { "pointer to itself", "123401000001000000000000" + "c00c" + "00010001" },
        { "pointer forwards", "123401000001000000000000" + "c010" + "00010001" + "0161" + "00" },
        { "pointer loop", "123401000001000000000000" + "0161c00e" + "00010001" },
        { "reserved label type", "123401000001000000000000" + "4161" + "00010001" },
        { "record data past the end", "123481800001000100000000" + "0161000001" + "0001" + "c00c00010001" + "0000003c" + "0004" + "0102" },
        { "two OPT records", "123401000000000000000002" + "00002910000000000000" + "00002910000000000000" },
        { "name over 255 bytes", "123401000001000000000000" + string.Concat(Enumerable.Repeat("3f" + new string('6', 126), 5)) + "00" + "00010001" },
    };

    [Theory, MemberData(nameof(Malformed))]
    public void Refuses_malformed_messages(string what, string hex)
    {
        Assert.NotNull(what);
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(Convert.FromHexString(hex)));
    }

    [Theory]
    [InlineData("db-notes", 1)]
    [InlineData("db-notes.", 1)]
    [InlineData("a.b.c", 3)]
    [InlineData("", 0)]
    [InlineData(".", 0)]
    public void Splits_names_into_labels(string name, int labels) => Assert.Equal(labels, DnsNames.Labels(name).Count);

    [Theory]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("\u0100x")]
    public void Refuses_names_that_cannot_be_written(string name) => Assert.Throws<ArgumentException>(() => DnsNames.Labels(name));

    [Fact]
    public void Refuses_a_label_over_63_bytes() => Assert.Throws<ArgumentException>(() => DnsNames.Labels(new string('a', 64) + ".example"));

    [Theory]
    [InlineData("2.0.18.172.in-addr.arpa", "172.18.0.2")]
    [InlineData("255.255.255.255.IN-ADDR.ARPA", "255.255.255.255")]
    [InlineData("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "2001:db8::1")]
    [InlineData("18.172.in-addr.arpa", null)]
    [InlineData("02.0.18.172.in-addr.arpa", null)]
    [InlineData("256.0.18.172.in-addr.arpa", null)]
    [InlineData("x.0.18.172.in-addr.arpa", null)]
    [InlineData("2.0.18.172.in-addr.arpa.example", null)]
    [InlineData("g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", null)]
    [InlineData("db-notes", null)]
    public void Reads_reverse_names(string name, string? address)
    {
        Assert.Equal(address != null, DnsNames.TryParseReverse(name, out var parsed));
        Assert.Equal(address, parsed?.ToString());
    }

    [Fact]
    public void Writes_a_name_uncompressed_for_record_data() =>
        Assert.Equal(Convert.FromHexString("0864622d6e6f746573" + "07" + "746573746e6574" + "00"), DnsNames.ToWire("db-notes.testnet"));
}
