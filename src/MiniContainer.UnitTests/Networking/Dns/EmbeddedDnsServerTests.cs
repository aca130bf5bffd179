using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MiniContainer.Networking.Dns;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.UnitTests.Networking.Dns;

/// <summary>
/// The embedded DNS server on 127.0.0.1 (ephemeral ports), with a fake upstream resolver on loopback: our names
/// answered here, everything else relayed, failures turned into SERVFAIL, and the server surviving garbage.
/// </summary>
public sealed class EmbeddedDnsServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);
    // How long an upstream may take: a loopback fake answers in microseconds, but this 2-core machine may be loaded.
    private static readonly TimeSpan UpstreamTimeout = TimeSpan.FromSeconds(5);
    // For the tests that wait on a silent upstream.
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(1.5);

    private readonly FakeRecords _records = new FakeRecords()
        .Add("db-notes", "172.18.0.2")
        .Add("web", "172.18.0.3", "fd00::3")
        .Add("v6only", "fd00::4")
        .Add("replicas", "172.18.0.10", "172.18.0.11", "172.18.0.12");
    private FakeUpstream _upstream = null!;
    private EmbeddedDnsServer _server = null!;

    public Task InitializeAsync()
    {
        _upstream = new FakeUpstream((q, _) => q.Questions[0].Name.StartsWith("missing", StringComparison.Ordinal)
            ? FakeUpstream.Reply(q, DnsRcode.NXDomain)
            : FakeUpstream.Reply(q, DnsRcode.NoError, "192.0.2.7"));
        _server = EmbeddedDnsServer.Start(AnyLoopbackPort, _records, () => [_upstream.Endpoint], UpstreamTimeout);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Answers_a_container_name_with_its_address_and_ttl_600_without_asking_upstream()
    {
        var answer = await DnsAsk.Udp(_server.Endpoint, "db-notes", DnsType.A);
        Assert.Equal(DnsRcode.NoError, answer.Rcode);
        var record = Assert.Single(answer.Answers);
        Assert.Equal(("db-notes", DnsType.A, 600u, "172.18.0.2"), (record.Name, record.Type, record.Ttl, new IPAddress(record.Data).ToString()));
        Assert.True(answer.RecursionAvailable);
        Assert.Empty(_upstream.Queries);
    }

    [Fact]
    public async Task Answers_aaaa_from_the_v6_addresses()
    {
        var answer = await DnsAsk.Udp(_server.Endpoint, "web", DnsType.Aaaa);
        Assert.Equal(DnsType.Aaaa, Assert.Single(answer.Answers).Type);
        Assert.Equal(["fd00::3"], DnsAsk.Addresses(answer));
        Assert.Equal(["172.18.0.3"], DnsAsk.Addresses(await DnsAsk.Udp(_server.Endpoint, "web", DnsType.A)));
    }

    [Fact]
    public async Task A_name_of_ours_without_an_address_of_that_family_is_nodata_never_forwarded()
    {
        var noAaaa = await DnsAsk.Udp(_server.Endpoint, "db-notes", DnsType.Aaaa);
        var noA = await DnsAsk.Udp(_server.Endpoint, "v6only", DnsType.A);
        var noMx = await DnsAsk.Udp(_server.Endpoint, "db-notes", DnsType.Mx);
        foreach (var answer in new[] { noAaaa, noA, noMx })
        {
            Assert.Equal(DnsRcode.NoError, answer.Rcode);
            Assert.Empty(answer.Answers);
        }
        Assert.Empty(_upstream.Queries);
    }

    [Fact]
    public async Task Names_are_case_insensitive_and_the_question_comes_back_as_asked()
    {
        var answer = await DnsAsk.Udp(_server.Endpoint, "DB-Notes.", DnsType.A);
        Assert.Equal(["172.18.0.2"], DnsAsk.Addresses(answer));
        Assert.Equal("DB-Notes", answer.Questions[0].Name);
        Assert.Equal("DB-Notes", answer.Answers[0].Name);
        Assert.Contains(_records.Lookups, l => l.Name == "db-notes");
        Assert.DoesNotContain(_records.Lookups, l => l.Name != l.Name.ToLowerInvariant());
    }

    [Fact]
    public async Task Several_addresses_come_in_a_varying_order()
    {
        var orders = new HashSet<string>();
        for (int i = 0; i < 30; i++)
        {
            var addresses = DnsAsk.Addresses(await DnsAsk.Udp(_server.Endpoint, "replicas", DnsType.A));
            Assert.Equal(["172.18.0.10", "172.18.0.11", "172.18.0.12"], addresses.Order());
            orders.Add(string.Join(",", addresses));
        }
        Assert.True(orders.Count > 1, "30 answers all in one order");
    }

    [Fact]
    public async Task The_records_decide_by_the_askers_address()
    {
        // Only 127.0.0.2 shares the network with "userauth"; 127.0.0.1 gets what the upstream says.
        _records.Add("userauth", asker => asker.Equals(IPAddress.Parse("127.0.0.2")), "172.19.0.5");
        var member = await DnsAsk.Udp(_server.Endpoint, "userauth", DnsType.A, from: IPAddress.Parse("127.0.0.2"));
        Assert.Equal(["172.19.0.5"], DnsAsk.Addresses(member));
        Assert.Empty(_upstream.Queries);
        var stranger = await DnsAsk.Udp(_server.Endpoint, "userauth", DnsType.A, from: IPAddress.Loopback);
        Assert.Equal(["192.0.2.7"], DnsAsk.Addresses(stranger));
        Assert.Single(_upstream.Queries);
        Assert.Contains(_records.Lookups, l => l.Asker.Equals(IPAddress.Parse("127.0.0.2")) && l.Name == "userauth");
    }

    [Fact]
    public async Task Forwards_other_names_upstream_and_relays_the_answer_under_the_clients_id()
    {
        var query = DnsAsk.Query("example.org", DnsType.A, new Edns(4096, DnssecOk: true));
        var answer = await DnsAsk.Udp(_server.Endpoint, query); // checks the ID
        Assert.Equal(["192.0.2.7"], DnsAsk.Addresses(answer));
        Assert.Equal(300u, answer.Answers[0].Ttl); // the upstream's TTL, untouched
        var (forwarded, overTcp) = Assert.Single(_upstream.Queries);
        Assert.False(overTcp);
        Assert.Equal(query.Questions, forwarded.Questions);
        Assert.Equal(new Edns(4096, 0, true), forwarded.Edns); // the query went as it came
        Assert.True(forwarded.RecursionDesired);
    }

    [Fact]
    public async Task Answers_reverse_questions_about_our_addresses_and_forwards_the_rest()
    {
        var v4 = await DnsAsk.Udp(_server.Endpoint, "2.0.18.172.in-addr.arpa", DnsType.Ptr);
        var record = Assert.Single(v4.Answers);
        Assert.Equal((DnsType.Ptr, 600u), (record.Type, record.Ttl));
        Assert.Equal("db-notes.testnet", new DnsReader(record.Data).Name());
        var v6 = await DnsAsk.Udp(_server.Endpoint, "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.IP6.ARPA", DnsType.Ptr);
        Assert.Equal("web.testnet", new DnsReader(Assert.Single(v6.Answers).Data).Name());
        Assert.Empty(_upstream.Queries);
        foreach (var other in new[] { "9.9.18.172.in-addr.arpa", "18.172.in-addr.arpa" })
            Assert.Equal(["192.0.2.7"], DnsAsk.Addresses(await DnsAsk.Udp(_server.Endpoint, other, DnsType.Ptr)));
        Assert.Equal(2, _upstream.Queries.Count);
        var ptrOfOurName = await DnsAsk.Udp(_server.Endpoint, "db-notes", DnsType.Ptr); // a name, not an address: NODATA
        Assert.Equal(DnsRcode.NoError, ptrOfOurName.Rcode);
        Assert.Empty(ptrOfOurName.Answers);
    }

    [Fact]
    public async Task Relays_nxdomain()
    {
        var answer = await DnsAsk.Udp(_server.Endpoint, "missing-host", DnsType.A);
        Assert.Equal(DnsRcode.NXDomain, answer.Rcode);
        Assert.Empty(answer.Answers);
    }

    [Fact]
    public async Task Servfail_when_the_upstream_is_silent_closed_or_absent()
    {
        var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp); // bound, never answers
        silent.Bind(AnyLoopbackPort);
        var closedPort = ClosedUdpPort();
        foreach (var upstreams in new IPEndPoint[][] { [(IPEndPoint)silent.LocalEndPoint!], [closedPort], [] })
        {
            await using var server = EmbeddedDnsServer.Start(AnyLoopbackPort, _records, () => upstreams, ShortTimeout);
            var watch = Stopwatch.StartNew();
            var answer = await DnsAsk.Udp(server.Endpoint, "example.org", DnsType.A);
            Assert.Equal(DnsRcode.ServFail, answer.Rcode);
            Assert.Equal("example.org", answer.Questions[0].Name);
            Assert.True(watch.Elapsed < ShortTimeout + TimeSpan.FromSeconds(2), $"SERVFAIL took {watch.Elapsed}");
            // Our own names do not depend on the upstream.
            Assert.Equal(["172.18.0.2"], DnsAsk.Addresses(await DnsAsk.Udp(server.Endpoint, "db-notes", DnsType.A)));
        }
        silent.Dispose();
    }

    [Fact]
    public async Task Tries_the_next_upstream_after_a_silent_or_failing_one()
    {
        var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(AnyLoopbackPort);
        await using var failing = new FakeUpstream((q, _) => FakeUpstream.Reply(q, DnsRcode.ServFail));
        await using var server = EmbeddedDnsServer.Start(AnyLoopbackPort, _records,
            () => [(IPEndPoint)silent.LocalEndPoint!, failing.Endpoint, _upstream.Endpoint], ShortTimeout);
        var answer = await DnsAsk.Udp(server.Endpoint, "example.org", DnsType.A);
        Assert.Equal(DnsRcode.NoError, answer.Rcode);
        Assert.Equal(["192.0.2.7"], DnsAsk.Addresses(answer));
        Assert.Single(failing.Queries);
        silent.Dispose();
    }

    [Fact]
    public async Task Never_forwards_to_itself()
    {
        EmbeddedDnsServer? server = null;
        server = EmbeddedDnsServer.Start(AnyLoopbackPort, _records, () => [server!.Endpoint, _upstream.Endpoint], UpstreamTimeout);
        await using (server)
        {
            Assert.Equal(["192.0.2.7"], DnsAsk.Addresses(await DnsAsk.Udp(server.Endpoint, "example.org", DnsType.A)));
            Assert.Single(_upstream.Queries);
        }
    }

    [Fact]
    public async Task Asks_the_upstreams_anew_for_each_forward()
    {
        await using var second = FakeUpstream.Answering("198.51.100.9");
        var current = _upstream.Endpoint;
        await using var server = EmbeddedDnsServer.Start(AnyLoopbackPort, _records, () => [current], UpstreamTimeout);
        Assert.Equal(["192.0.2.7"], DnsAsk.Addresses(await DnsAsk.Udp(server.Endpoint, "example.org", DnsType.A)));
        current = second.Endpoint; // the host's resolv.conf changed
        Assert.Equal(["198.51.100.9"], DnsAsk.Addresses(await DnsAsk.Udp(server.Endpoint, "example.org", DnsType.A)));
    }

    [Fact]
    public async Task Answers_over_tcp_both_our_names_and_forwarded_ones()
    {
        Assert.Equal(["172.18.0.2"], DnsAsk.Addresses(await DnsAsk.Tcp(_server.Endpoint, "db-notes", DnsType.A)));
        Assert.Equal(["192.0.2.7"], DnsAsk.Addresses(await DnsAsk.Tcp(_server.Endpoint, "example.org", DnsType.A)));
        Assert.Equal(DnsRcode.NXDomain, (await DnsAsk.Tcp(_server.Endpoint, "missing.example", DnsType.A)).Rcode);
    }

    [Fact]
    public async Task Answers_several_questions_on_one_tcp_connection()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.Endpoint);
        await using var stream = new NetworkStream(socket);
        var queries = new[] { DnsAsk.Query("db-notes", DnsType.A), DnsAsk.Query("web", DnsType.Aaaa), DnsAsk.Query("example.org", DnsType.A) };
        foreach (var q in queries) await DnsTcpFraming.WriteAsync(stream, q.Encode(), default); // pipelined
        var expected = new[] { "172.18.0.2", "fd00::3", "192.0.2.7" };
        for (int i = 0; i < queries.Length; i++)
        {
            var answer = DnsMessage.Parse((await DnsTcpFraming.ReadAsync(stream, default))!);
            Assert.Equal(queries[i].Id, answer.Id);
            Assert.Equal([expected[i]], DnsAsk.Addresses(answer));
        }
    }

    [Fact]
    public async Task A_truncated_upstream_answer_is_fetched_again_over_tcp()
    {
        await using var truncating = new FakeUpstream((q, overTcp) =>
        {
            if (overTcp) return FakeUpstream.Reply(q, DnsRcode.NoError, "192.0.2.1", "192.0.2.2", "192.0.2.3");
            var tc = FakeUpstream.Reply(q, DnsRcode.NoError);
            tc.Truncated = true;
            return tc;
        });
        await using var server = EmbeddedDnsServer.Start(AnyLoopbackPort, _records, () => [truncating.Endpoint], UpstreamTimeout);
        var answer = await DnsAsk.Udp(server.Endpoint, "big.example", DnsType.A);
        Assert.False(answer.Truncated);
        Assert.Equal(["192.0.2.1", "192.0.2.2", "192.0.2.3"], DnsAsk.Addresses(answer));
        Assert.Equal([false, true], truncating.Queries.Select(q => q.OverTcp));
    }

    [Fact]
    public async Task An_answer_too_big_for_the_clients_udp_is_truncated_and_whole_over_tcp()
    {
        var many = Enumerable.Range(1, 100).Select(i => $"10.1.{i / 256}.{i % 256}").ToArray(); // 100 × 16 bytes > 512
        await using var big = new FakeUpstream((q, overTcp) =>
        {
            var reply = FakeUpstream.Reply(q, DnsRcode.NoError, overTcp ? many : []);
            reply.Truncated = !overTcp;
            return reply;
        });
        await using var server = EmbeddedDnsServer.Start(AnyLoopbackPort, _records, () => [big.Endpoint], UpstreamTimeout);
        var overUdp = await DnsAsk.Udp(server.Endpoint, "big.example", DnsType.A); // no EDNS: 512 bytes at most
        Assert.True(overUdp.Truncated);
        Assert.Empty(overUdp.Answers);
        Assert.Equal("big.example", overUdp.Questions[0].Name);
        var overEdnsUdp = await DnsAsk.Udp(server.Endpoint, "big.example", DnsType.A, new Edns(4096));
        Assert.False(overEdnsUdp.Truncated);
        Assert.Equal(100, overEdnsUdp.Answers.Count);
        var overTcp = await DnsAsk.Tcp(server.Endpoint, "big.example", DnsType.A);
        Assert.False(overTcp.Truncated);
        Assert.Equal(many, DnsAsk.Addresses(overTcp));
    }

    [Fact]
    public async Task Our_own_answer_too_big_for_udp_is_truncated_and_whole_over_tcp()
    {
        var many = Enumerable.Range(1, 60).Select(i => $"172.18.1.{i}").ToArray();
        _records.Add("everyone", many);
        var overUdp = await DnsAsk.Udp(_server.Endpoint, "everyone", DnsType.A);
        Assert.True(overUdp.Truncated);
        Assert.Equal(60, (await DnsAsk.Tcp(_server.Endpoint, "everyone", DnsType.A)).Answers.Count);
    }

    [Fact]
    public async Task Echoes_edns_and_refuses_unknown_edns_versions()
    {
        var answer = await DnsAsk.Udp(_server.Endpoint, "db-notes", DnsType.A, new Edns(4096));
        Assert.Equal(new Edns(DnsQueryRouter.UdpPayloadSize), answer.Edns);
        Assert.Null((await DnsAsk.Udp(_server.Endpoint, "db-notes", DnsType.A)).Edns);
        var v1 = await DnsAsk.Udp(_server.Endpoint, "db-notes", DnsType.A, new Edns(4096, Version: 1));
        Assert.Equal(DnsRcode.BadVers, v1.Rcode);
        Assert.Equal(0, v1.Edns!.Version);
    }

    [Fact]
    public async Task Drops_garbage_answers_formerr_when_it_can_and_keeps_serving()
    {
        byte[][] garbage =
        [
            [],
            [1, 2, 3],
            Convert.FromHexString("1234" + "8180" + "0001000000000000" + "0161000001" + "0001"), // a response, not a query
            Convert.FromHexString("123401000001000000000000" + "c00c" + "00010001"), // a looping name
            Convert.FromHexString("12340100000200000000000001610000010001"), // says two questions, has one
            Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray(),
        ];
        foreach (var packet in garbage) await DnsAsk.UdpRaw(_server.Endpoint, packet, timeoutMs: 100);
        var formerr = await DnsAsk.UdpRaw(_server.Endpoint, Convert.FromHexString("123401000001000000000000c00c00010001"));
        Assert.Equal(DnsRcode.FormErr, DnsMessage.Parse(formerr!).Rcode);
        Assert.Null(await DnsAsk.UdpRaw(_server.Endpoint, Convert.FromHexString("1234818000010000000000000161000001" + "0001"), timeoutMs: 300));
        var two = DnsAsk.Query("db-notes", DnsType.A);
        two.Questions.Add(new DnsQuestion("web", DnsType.A, DnsClass.IN));
        Assert.Equal(DnsRcode.FormErr, (await DnsAsk.Udp(_server.Endpoint, two)).Rcode);
        var notify = DnsAsk.Query("db-notes", DnsType.Soa);
        notify.Opcode = 4;
        Assert.Equal(DnsRcode.NotImp, (await DnsAsk.Udp(_server.Endpoint, notify)).Rcode);

        // Garbage over TCP closes that connection only.
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(_server.Endpoint);
            await socket.SendAsync(new byte[] { 0, 5, 1, 2, 3, 4, 5 });
            var buffer = new byte[64];
            using var timeout = new CancellationTokenSource(5000);
            Assert.Equal(0, await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token));
        }
        Assert.Equal(["172.18.0.2"], DnsAsk.Addresses(await DnsAsk.Udp(_server.Endpoint, "db-notes", DnsType.A)));
        Assert.Equal(["172.18.0.2"], DnsAsk.Addresses(await DnsAsk.Tcp(_server.Endpoint, "db-notes", DnsType.A)));
    }

    [Fact]
    public async Task A_bug_in_the_records_fails_that_question_only()
    {
        var throwing = new ThrowingRecords(_records);
        await using var server = EmbeddedDnsServer.Start(AnyLoopbackPort, throwing, () => [_upstream.Endpoint], UpstreamTimeout);
        Assert.Equal(DnsRcode.ServFail, (await DnsAsk.Udp(server.Endpoint, "boom", DnsType.A)).Rcode);
        Assert.Equal(DnsRcode.ServFail, (await DnsAsk.Tcp(server.Endpoint, "boom", DnsType.A)).Rcode);
        Assert.Equal(["172.18.0.2"], DnsAsk.Addresses(await DnsAsk.Udp(server.Endpoint, "db-notes", DnsType.A)));
    }

    private sealed class ThrowingRecords(IDnsRecords inner) : IDnsRecords
    {
        public IReadOnlyList<IPAddress>? Resolve(IPAddress asker, string name, AddressFamily family) =>
            name == "boom" ? throw new InvalidOperationException("boom") : inner.Resolve(asker, name, family);
    }

    [Fact]
    public async Task Serves_many_clients_at_once()
    {
        var tasks = Enumerable.Range(0, 300).Select(async i =>
        {
            switch (i % 4)
            {
                case 0: Assert.Equal(["172.18.0.2"], DnsAsk.Addresses(await DnsAsk.Udp(_server.Endpoint, "db-notes", DnsType.A))); break;
                case 1: Assert.Equal(["192.0.2.7"], DnsAsk.Addresses(await DnsAsk.Udp(_server.Endpoint, $"host{i}.example", DnsType.A))); break;
                case 2: Assert.Equal(["fd00::3"], DnsAsk.Addresses(await DnsAsk.Tcp(_server.Endpoint, "web", DnsType.Aaaa))); break;
                default: Assert.Equal(DnsRcode.NXDomain, (await DnsAsk.Tcp(_server.Endpoint, $"missing{i}", DnsType.A)).Rcode); break;
            }
        });
        await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task Looking_up_our_names_takes_well_under_a_millisecond()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(_server.Endpoint);
        var query = DnsAsk.Query("db-notes", DnsType.A).Encode();
        var buffer = new byte[512];
        var times = new List<double>();
        for (int i = 0; i < 2200; i++)
        {
            var watch = Stopwatch.StartNew();
            socket.Send(query);
            int n = socket.Receive(buffer);
            watch.Stop();
            Assert.True(n > 12 && buffer[3] == 0x80 && buffer[7] == 1); // NOERROR, one answer
            if (i >= 200) times.Add(watch.Elapsed.TotalMilliseconds); // after warm-up
        }
        times.Sort();
        double median = times[times.Count / 2], p99 = times[times.Count * 99 / 100];
        output.WriteLine($"our-name lookups over UDP: median {median * 1000:0} µs, p99 {p99 * 1000:0} µs ({times.Count} lookups)");
        Assert.True(median < 1.0, $"median lookup {median:0.000} ms");
    }

    [Fact]
    public async Task A_busy_endpoint_is_a_clear_error_and_a_disposed_server_frees_it()
    {
        var endpoint = _server.Endpoint;
        var e = Assert.Throws<IOException>(() => EmbeddedDnsServer.Start(endpoint, _records, () => []));
        Assert.Contains($"cannot listen on {endpoint}", e.Message);
        Assert.Contains("already in use", e.Message, StringComparison.OrdinalIgnoreCase);
        var notHere = Assert.Throws<IOException>(() => EmbeddedDnsServer.Start(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0), _records, () => []));
        Assert.Contains("192.0.2.1", notHere.Message);

        await _server.DisposeAsync();
        await using var again = EmbeddedDnsServer.Start(endpoint, _records, () => []);
        Assert.Equal(endpoint, again.Endpoint);
        Assert.Equal(["172.18.0.2"], DnsAsk.Addresses(await DnsAsk.Tcp(again.Endpoint, "db-notes", DnsType.A)));
    }

    [Fact]
    public void A_port_whose_tcp_side_another_program_holds_is_busy_too()
    {
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); // SO_REUSEADDR + SO_REUSEPORT in .NET
        other.Bind(AnyLoopbackPort);
        other.Listen(1);
        var endpoint = (IPEndPoint)other.LocalEndPoint!;
        var e = Assert.Throws<IOException>(() => EmbeddedDnsServer.Start(endpoint, _records, () => []));
        Assert.Contains($"cannot listen on {endpoint}", e.Message);
    }

    private static IPEndPoint ClosedUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(AnyLoopbackPort);
        return (IPEndPoint)probe.LocalEndPoint!; // closed again when this returns: the kernel answers ICMP port unreachable
    }
}
