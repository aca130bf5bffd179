using System.Net;
using System.Net.Sockets;
using System.Text;
using MiniContainer.Cli.Api;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

/// <summary>The CLI's own HTTP/1.1 over a unix socket, against a one-shot server that records the request and sends a
/// canned answer: what goes on the wire, and each way a body can end.</summary>
public sealed class UnixSocketHandlerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("mc-unixhttp-").FullName;
    string Socket => Path.Combine(_dir, "d.sock");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Accepts one connection, reads the request until the blank line (and a body, when given its expected end),
    /// answers, and closes when <paramref name="close"/>.</summary>
    Task<string> ServeOnce(string answer, string? bodyEnds = null, bool close = true)
    {
        var listener = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Socket));
        listener.Listen(1);
        return Task.Run(async () =>
        {
            using var _ = listener;
            using var peer = await listener.AcceptAsync();
            var got = new StringBuilder();
            var buf = new byte[4096];
            while (!got.ToString().Contains("\r\n\r\n") || (bodyEnds is not null && !got.ToString().EndsWith(bodyEnds, StringComparison.Ordinal)))
            {
                int n = await peer.ReceiveAsync(buf);
                if (n == 0) break;
                got.Append(Encoding.ASCII.GetString(buf, 0, n));
            }
            await peer.SendAsync(Encoding.ASCII.GetBytes(answer));
            if (close) peer.Shutdown(SocketShutdown.Both);
            else await Task.Delay(300);
            return got.ToString();
        });
    }

    static HttpMessageInvoker Client(string socket) => new(new UnixSocketHandler(socket));

    [Fact]
    public async Task A_post_with_json_sends_one_head_with_its_length_and_reads_a_sized_answer()
    {
        var server = ServeOnce("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"Id\":\"ab\"}", bodyEnds: "{\"a\":1}", close: false);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://localhost/v1.47/containers/create?name=web")
        {
            Content = DockerClient.JsonContent(System.Text.Json.Nodes.JsonNode.Parse("{\"a\":1}")!),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", "t/1");
        using var response = await Client(Socket).SendAsync(request, default);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("{\"Id\":\"ab\"}", await response.Content.ReadAsStringAsync());   // ends at the length, though the socket stays open
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        string sent = await server;
        Assert.StartsWith("POST /v1.47/containers/create?name=web HTTP/1.1\r\nHost: localhost\r\n", sent);
        Assert.Contains("\r\nUser-Agent: t/1\r\n", sent);
        Assert.Contains("\r\nContent-Type: application/json\r\n", sent);
        Assert.Contains("\r\nContent-Length: 7\r\n", sent);
        Assert.Contains("\r\nConnection: close\r\n\r\n{\"a\":1}", sent);
    }

    [Fact]
    public async Task A_body_of_unknown_length_goes_in_chunks_and_a_chunked_answer_is_read_to_its_last_chunk()
    {
        var server = ServeOnce("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nline 1\r\n7;x=y\r\n\nline 2\r\n0\r\n\r\n", bodyEnds: "0\r\n\r\n", close: false);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://localhost/build")
        {
            Content = new StreamContent(new NoLengthStream(Encoding.ASCII.GetBytes("tar bytes"))),
        };
        using var response = await Client(Socket).SendAsync(request, default);
        Assert.Equal("line 1\nline 2", await response.Content.ReadAsStringAsync());
        string sent = await server;
        Assert.Contains("\r\nTransfer-Encoding: chunked\r\n", sent);
        Assert.DoesNotContain("Content-Length", sent);
        Assert.EndsWith("\r\n\r\n9\r\ntar bytes\r\n0\r\n\r\n", sent);
    }

    [Fact]
    public async Task An_answer_without_length_or_chunks_ends_when_the_daemon_closes_and_204_has_no_body()
    {
        var server = ServeOnce("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"stream\":\"x\"}\n");
        using (var response = await Client(Socket).SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://localhost/events"), default))
            Assert.Equal("{\"stream\":\"x\"}\n", await response.Content.ReadAsStringAsync());
        Assert.StartsWith("GET /events HTTP/1.1\r\n", await server);
        Assert.DoesNotContain("Content-Length", await server);   // a GET without a body says nothing of one

        File.Delete(Socket);
        server = ServeOnce("HTTP/1.1 204 No Content\r\n\r\n", close: false);
        using (var response = await Client(Socket).SendAsync(new HttpRequestMessage(HttpMethod.Post, "http://localhost/containers/x/start"), default))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal("", await response.Content.ReadAsStringAsync());   // does not wait for the close
        }
        Assert.Contains("\r\nContent-Length: 0\r\n", await server);   // a POST without a body says 0, as Go's client does
    }

    [Fact]
    public async Task A_daemon_that_closes_in_the_middle_of_a_sized_answer_is_an_error_not_a_short_answer()
    {
        var server = ServeOnce("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"short\"");
        using var response = await Client(Socket).SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://localhost/info"), default);
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => response.Content.ReadAsStringAsync());   // HttpContent wraps it
        Assert.IsType<IOException>(e.InnerException);
        await server;
    }

    [Fact]
    public async Task No_daemon_is_the_CLIs_own_message()
    {
        var e = await Assert.ThrowsAsync<DaemonUnavailableException>(() =>
            Client(Socket).SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://localhost/_ping"), default));
        Assert.Contains("Is minicontainerd running?", e.Message);
    }

    [Fact]
    public async Task A_daemon_that_accepts_but_never_answers_fails_the_ping_after_its_timeout()
    {
        using var listener = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Socket));
        listener.Listen(1);   // the kernel accepts the connection; nobody reads or answers
        using var client = new DockerClient(new DaemonHost(Socket));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(await client.PingAsync(TimeSpan.FromMilliseconds(300)));
        Assert.InRange(clock.ElapsedMilliseconds, 250, 5000);
    }

    /// <summary>A body whose length HttpClient cannot know ahead (as a build context being tarred).</summary>
    sealed class NoLengthStream(byte[] data) : MiniContainer.Storage.ReadOnlyStream
    {
        readonly MemoryStream _inner = new(data);
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
    }
}
