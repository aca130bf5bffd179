using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Images;
using Xunit;

namespace MiniContainer.UnitTests.Api;

/// <summary>
/// The daemon's HTTP/1.1 server, over a real unix socket, spoken to byte by byte the way the docker CLI
/// speaks to dockerd: versioned paths, keep-alive, both body framings, streamed responses, and the
/// hijack that exec and attach depend on.
/// </summary>
public sealed class HttpServerTests : IDisposable
{
    private readonly TestApiServer _api = new();
    private readonly TaskCompletionSource _hijacked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public void Dispose() => _api.Dispose();

    public HttpServerTests()
    {
        var r = _api.Router;
        r.Map("GET", "/_ping", ctx => ctx.WriteTextAsync(200, "OK"));
        r.Map("GET", "/echo/{id}", ctx => ctx.WriteJsonNodeAsync(200, new JsonObject
        {
            ["Method"] = ctx.Method,
            ["Path"] = ctx.Path,
            ["Id"] = ctx.R("id"),
            ["Query"] = new JsonObject(ctx.Query.Select(q => KeyValuePair.Create(q.Key, (JsonNode?)new JsonArray(q.Value.Select(v => (JsonNode?)v).ToArray())))),
        }));
        r.Map("POST", "/body", async ctx =>
        {
            var body = new MemoryStream();
            await ctx.Body.CopyToAsync(body);
            await ctx.WriteTextAsync(200, $"{body.Length}:{Encoding.UTF8.GetString(body.ToArray())}");
        });
        r.Map("POST", "/ignore-body", ctx => ctx.WriteEmptyAsync(204));
        r.Map("GET", "/events", async ctx =>
        {
            var stream = await ctx.StartStreamAsync(200, "application/json");
            await stream.WriteAsync("{\"status\":\"Loading layer\"}\n"u8.ToArray());
            await stream.WriteAsync("{\"stream\":\"Loaded image: busybox:latest\\n\"}\n"u8.ToArray());
        });
        r.Map("DELETE", "/containers/{id}", _ => throw new ConflictException(
            "You cannot remove a running container abc. Stop the container before attempting removal or force remove"));
        r.Map("GET", "/crash", _ => throw new InvalidOperationException("something broke inside"));
        // What exec start does: hijack, say hello, read the client's input to its end, answer, return (the server closes).
        r.Map("POST", "/exec/{id}/start", async ctx =>
        {
            var stream = await ctx.HijackAsync(multiplexed: false);
            await stream.WriteAsync("ready\n"u8.ToArray());
            var input = new MemoryStream();
            await stream.CopyToAsync(input);
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"got {input.Length} bytes: {Encoding.UTF8.GetString(input.ToArray())}"));
        });
        // What exec start does with a process that prints at once: its output must not share the client's read of the 101.
        r.Map("POST", "/exec/{id}/start-early-output", async ctx =>
        {
            var stream = await ctx.HijackAsync(multiplexed: false);
            _hijacked.TrySetResult();
            await stream.WriteAsync("first output\n"u8.ToArray());
        });
        r.Map("POST", "/containers/{id}/attach", async ctx =>
        {
            var stream = await ctx.HijackAsync(multiplexed: true);
            await stream.WriteAsync(StreamRelay.DockerFrame(1, "out\n"u8));
        });
    }

    private static string Get(string target, string extraHeaders = "") => $"GET {target} HTTP/1.1\r\nHost: docker\r\n{extraHeaders}\r\n";

    private static string Post(string target, string body, string extraHeaders = "") =>
        $"POST {target} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{extraHeaders}\r\n{body}";

    [Fact]
    public async Task Versioned_path_loses_its_prefix_and_the_query_is_decoded_with_repeated_keys_kept()
    {
        using var c = await _api.ConnectAsync();
        string filters = Uri.EscapeDataString("{\"status\":[\"exited\"]}");
        await c.SendAsync(Get($"/v1.47/echo/abc123?all=1&filters={filters}&label=a%3D1&label=b&name=my+web&flag"));
        var res = await c.ReadResponseAsync();

        Assert.Equal(200, res.Status);
        Assert.Equal("application/json", res.Header("Content-Type"));
        Assert.Equal("1.47", res.Header("Api-Version"));
        var json = res.Json;
        Assert.Equal("/echo/abc123", (string?)json["Path"]);
        Assert.Equal("abc123", (string?)json["Id"]);
        Assert.Equal("1", (string?)json["Query"]!["all"]![0]);
        Assert.Equal("{\"status\":[\"exited\"]}", (string?)json["Query"]!["filters"]![0]);
        Assert.Equal(["a=1", "b"], json["Query"]!["label"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("my web", (string?)json["Query"]!["name"]![0]);
        Assert.Equal("", (string?)json["Query"]!["flag"]![0]);
    }

    [Theory]
    [InlineData("/echo/x")]        // the CLI's first /_ping has no version
    [InlineData("/v1.24/echo/x")]  // the oldest version we accept
    [InlineData("/v1.47/echo/x")]
    public async Task Any_version_prefix_or_none_reaches_the_same_route(string target)
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Get(target));
        var res = await c.ReadResponseAsync();
        Assert.Equal(200, res.Status);
        Assert.Equal("/echo/x", (string?)res.Json["Path"]);
    }

    [Fact]
    public async Task Keep_alive_serves_requests_one_after_another_on_one_connection()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Get("/_ping"));
        var first = await c.ReadResponseAsync();
        await c.SendAsync(Get("/v1.47/echo/second"));
        var second = await c.ReadResponseAsync();

        Assert.Equal("OK", first.Text);
        Assert.Equal("2", first.Header("Content-Length"));
        Assert.Equal("second", (string?)second.Json["Id"]);
    }

    [Fact]
    public async Task Pipelined_requests_in_one_write_each_get_their_answer_in_order()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Get("/echo/one") + Post("/body", "{\"x\":1}") + Get("/echo/three"));
        Assert.Equal("one", (string?)(await c.ReadResponseAsync()).Json["Id"]);
        Assert.Equal("7:{\"x\":1}", (await c.ReadResponseAsync()).Text);
        Assert.Equal("three", (string?)(await c.ReadResponseAsync()).Json["Id"]);
    }

    [Fact]
    public async Task Post_body_framed_by_content_length_is_read_exactly()
    {
        using var c = await _api.ConnectAsync();
        string body = "{\"Image\":\"busybox\",\"Cmd\":[\"echo\",\"héllo\"]}";
        await c.SendAsync(Post("/v1.47/body", body));
        var res = await c.ReadResponseAsync();
        Assert.Equal(200, res.Status);
        Assert.Equal($"{Encoding.UTF8.GetByteCount(body)}:{body}", res.Text);
    }

    [Fact]
    public async Task Post_body_with_chunked_transfer_encoding_is_decoded_and_the_connection_stays_usable()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync("POST /body HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n" +
                          "4\r\nWiki\r\n" + "5;name=value\r\npedia\r\n" + "E\r\n in\r\n\r\nchunks.\r\n" + "0\r\n\r\n");
        var res = await c.ReadResponseAsync();
        Assert.Equal("23:Wikipedia in\r\n\r\nchunks.", res.Text);

        await c.SendAsync(Get("/_ping"));
        Assert.Equal("OK", (await c.ReadResponseAsync()).Text);
    }

    [Fact]
    public async Task A_body_the_handler_did_not_read_is_skipped_not_parsed_as_the_next_request()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Post("/ignore-body", "GET /echo/smuggled HTTP/1.1\r\n\r\n") + Get("/_ping"));
        Assert.Equal(204, (await c.ReadResponseAsync()).Status);
        var next = await c.ReadResponseAsync();
        Assert.Equal(200, next.Status);
        Assert.Equal("OK", next.Text);
    }

    [Fact]
    public async Task Streamed_response_is_chunked_one_chunk_per_write_and_ends_with_the_last_chunk()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Get("/v1.47/events"));
        var res = await c.ReadResponseAsync();

        Assert.Equal(200, res.Status);
        Assert.Equal("chunked", res.Header("Transfer-Encoding"));
        Assert.Null(res.Header("Content-Length"));
        Assert.Equal(2, res.ChunkSizes.Count);
        Assert.Equal("{\"status\":\"Loading layer\"}\n{\"stream\":\"Loaded image: busybox:latest\\n\"}\n", res.Text);

        // The terminating 0-chunk was sent: the next response on this connection parses.
        await c.SendAsync(Get("/_ping"));
        Assert.Equal("OK", (await c.ReadResponseAsync()).Text);
    }

    [Fact]
    public async Task Head_is_answered_with_headers_only_and_the_connection_stays_in_step()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync("HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
        var head = await c.ReadResponseAsync(head: true);
        Assert.Equal(200, head.Status);
        Assert.Equal("2", head.Header("Content-Length"));
        Assert.Equal("1.47", head.Header("Api-Version"));

        // Had the server sent "OK" after the HEAD headers, this status line would read "OKHTTP/1.1 …".
        await c.SendAsync(Get("/echo/after-head"));
        Assert.Equal("after-head", (string?)(await c.ReadResponseAsync()).Json["Id"]);
    }

    [Fact]
    public async Task An_api_exception_becomes_its_status_and_a_json_message_as_docker_answers()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync("DELETE /v1.47/containers/abc HTTP/1.1\r\nHost: docker\r\n\r\n");
        var res = await c.ReadResponseAsync();
        Assert.Equal(409, res.Status);
        Assert.Equal("application/json", res.Header("Content-Type"));
        Assert.Equal("You cannot remove a running container abc. Stop the container before attempting removal or force remove",
            (string?)res.Json["message"]);

        await c.SendAsync(Get("/_ping"));
        Assert.Equal("OK", (await c.ReadResponseAsync()).Text);
    }

    [Fact]
    public async Task Any_other_exception_is_a_500_with_its_message()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Get("/crash"));
        var res = await c.ReadResponseAsync();
        Assert.Equal(500, res.Status);
        Assert.Equal("something broke inside", (string?)res.Json["message"]);
    }

    [Fact]
    public async Task Unknown_path_is_a_404_with_a_json_message()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Get("/v1.47/swarm/nodes"));
        var res = await c.ReadResponseAsync();
        Assert.Equal(404, res.Status);
        Assert.Equal("application/json", res.Header("Content-Type"));
        Assert.StartsWith("page not found", (string?)res.Json["message"]);
    }

    [Fact]
    public void Image_store_errors_map_to_dockers_statuses()
    {
        Assert.Equal((404, "No such image: nope:latest"), HttpServer.ErrorStatus(new ImageNotFoundException("nope:latest")));
        Assert.Equal(400, HttpServer.ErrorStatus(new InvalidReferenceException("invalid reference format")).Status);
        Assert.Equal(400, HttpServer.ErrorStatus(new InvalidArchiveException("invalid archive")).Status);
        Assert.Equal(409, HttpServer.ErrorStatus(new ImageConflictException("image is being used")).Status);
        Assert.Equal(400, HttpServer.ErrorStatus(new BadRequestException("bad")).Status);
        Assert.Equal(500, HttpServer.ErrorStatus(new IOException("disk")).Status);
    }

    [Fact]
    public async Task Exec_start_with_upgrade_and_a_json_body_switches_to_a_raw_two_way_stream()
    {
        using var c = await _api.ConnectAsync();
        // Exactly what `docker exec -i` sends: a JSON body AND an upgrade; stdin follows at once, in the same write.
        await c.SendAsync(Post("/v1.47/exec/e1/start", "{\"Detach\":false,\"Tty\":false}", "Connection: Upgrade\r\nUpgrade: tcp\r\n") + "hello stdin");

        var (status, statusLine, headers) = await c.ReadHeadAsync();
        Assert.Equal(101, status);
        Assert.Equal("HTTP/1.1 101 UPGRADED", statusLine);
        Assert.Equal("tcp", headers["Upgrade"]);
        Assert.Equal("Upgrade", headers["Connection"]);
        Assert.Equal("application/vnd.docker.raw-stream", headers["Content-Type"]);

        Assert.Equal("ready", await c.ReadLineAsync());
        c.Socket.Shutdown(SocketShutdown.Send); // the client is done typing: the server must see end of input…
        // …and can still answer on its half: the JSON body was not taken for stdin.
        Assert.Equal("got 11 bytes: hello stdin", Encoding.UTF8.GetString(await c.ReadToEndAsync()));
    }

    /// <summary>
    /// docker-py takes the socket over from a buffering HTTP reader after the 101, and loses whatever came in the same
    /// read as the head. So the first byte written waits until the client has read the head — but the hijack itself
    /// does not: the process starts meanwhile (a wait there cost every exec ~4 ms).
    /// </summary>
    [Fact]
    public async Task The_hijack_does_not_wait_for_the_client_but_its_first_write_comes_after_the_head_is_read()
    {
        // The wait for the client is a second in the daemon; here it is long enough that a busy test run (thread-pool
        // starvation stalled one for ~1 s in CI) cannot outlast it, so the test does not depend on timing.
        var saved = HttpContext.HeadReadWait;
        HttpContext.HeadReadWait = TimeSpan.FromSeconds(60);
        try
        {
            using var c = await _api.ConnectAsync();
            await c.SendAsync(Post("/v1.47/exec/e1/start-early-output", "{}", "Connection: Upgrade\r\nUpgrade: tcp\r\n"));
            // The client reads nothing yet, and the handler is past the hijack all the same (a hijack that waited for the
            // client would wait the whole minute).
            Assert.Same(_hijacked.Task, await Task.WhenAny(_hijacked.Task, Task.Delay(TimeSpan.FromSeconds(20))));
            await Task.Delay(200);   // time for the output to be written, were it not held

            var buffer = new byte[4096];
            int n = await c.Socket.ReceiveAsync(buffer, SocketFlags.None);
            string first = Encoding.ASCII.GetString(buffer, 0, n);
            Assert.StartsWith("HTTP/1.1 101 UPGRADED\r\n", first);
            Assert.EndsWith("\r\n\r\n", first);   // the head, and nothing after it in this read
            n = await c.Socket.ReceiveAsync(buffer, SocketFlags.None);
            Assert.Equal("first output\n", Encoding.ASCII.GetString(buffer, 0, n));
        }
        finally { HttpContext.HeadReadWait = saved; }
    }

    [Fact]
    public async Task Attach_without_upgrade_header_gets_a_200_and_the_stream_until_close()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync("POST /v1.47/containers/c1/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n\r\n");
        var (status, _, headers) = await c.ReadHeadAsync();
        Assert.Equal(200, status);
        Assert.Equal("application/vnd.docker.multiplexed-stream", headers["Content-Type"]);
        Assert.Equal("close", headers["Connection"]);
        Assert.False(headers.ContainsKey("Content-Length"));
        Assert.Equal(StreamRelay.DockerFrame(1, "out\n"u8), await c.ReadToEndAsync());
    }

    [Theory]
    [InlineData("GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")]
    // The classic `printf 'GET /_ping HTTP/1.0\r\n\r\n' | nc -U docker.sock`: HTTP/1.0 means one request per connection.
    [InlineData("GET /_ping HTTP/1.0\r\n\r\n")]
    public async Task Connection_close_or_http_1_0_closes_the_connection_after_the_response(string request)
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(request);
        var res = await c.ReadResponseAsync();
        Assert.Equal("OK", res.Text);
        Assert.True(await c.ServerClosesAsync(TimeSpan.FromSeconds(3)), "the server kept the connection open after the client asked it to close");
    }

    [Fact]
    public void The_socket_is_0660_and_keeps_its_creators_group_when_no_group_is_configured()
    {
        // The API can start privileged containers: whoever can write to the socket is root. The daemon runs as
        // root, so its socket is root:root; only --group (SocketGid) gives it to another group.
        var mode = File.GetUnixFileMode(_api.SocketPath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, mode);
        var st = MiniContainer.Linux.Kernel.LStat(_api.SocketPath)!.Value;
        Assert.Equal(MiniContainer.Linux.Kernel.LStat(Path.GetDirectoryName(_api.SocketPath)!)!.Value.Gid, st.Gid);
    }
}

/// <summary>
/// JSON bodies at the edge: one bigger than the limit is refused (413) before it is read, and a value of the wrong
/// type is the client's error (400 naming the field), never a 500 from a cast inside a handler.
/// </summary>
public sealed class HttpBodyLimitTests : IDisposable
{
    private readonly TestApiServer _api = new(maxBodyBytes: 1024);
    public void Dispose() => _api.Dispose();

    public HttpBodyLimitTests()
    {
        var r = _api.Router;
        r.Map("GET", "/_ping", ctx => ctx.WriteTextAsync(200, "OK"));
        r.Map("POST", "/containers/create", async ctx =>
        {
            var body = await ctx.ReadJsonObjectAsync(JsonBody.ContainerCreate);
            await ctx.WriteTextAsync(200, "memory " + ((long?)body["HostConfig"]?["Memory"] ?? 0));
        });
        // A handler with no schema that casts a body value: the central mapping answers for it.
        r.Map("POST", "/unchecked", async ctx =>
        {
            var body = await ctx.ReadJsonObjectAsync();
            await ctx.WriteTextAsync(200, "n " + (int?)body["N"] + " " + string.Join(',', body["L"]?.AsArray().Select(e => (string?)e) ?? []));
        });
        r.Map("POST", "/stream", async ctx =>
        {
            long n = 0;
            byte[] buf = new byte[4096];
            int got;
            while ((got = await ctx.Body.ReadAsync(buf)) > 0) n += got;
            await ctx.WriteTextAsync(200, n.ToString());
        });
    }

    private static string Post(string target, string body) =>
        $"POST {target} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    [Fact]
    public async Task A_body_announcing_more_than_the_limit_is_refused_before_it_is_sent_and_the_connection_closes()
    {
        using var c = await _api.ConnectAsync();
        // Only the head: the server must answer without waiting for the (never sent) body.
        await c.SendAsync("POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 67108864\r\n\r\n{\"Image\":");
        var res = await c.ReadResponseAsync();
        Assert.Equal(413, res.Status);
        Assert.Equal("close", res.Header("Connection"));
        Assert.Contains("request body too large: 67108864 bytes", (string?)res.Json["message"]);
        Assert.Contains("1024", (string?)res.Json["message"]);
    }

    [Fact]
    public async Task A_chunked_body_is_refused_as_soon_as_it_grows_past_the_limit()
    {
        using var c = await _api.ConnectAsync();
        string chunk = new string(' ', 600);
        await c.SendAsync("POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n" +
                          $"{chunk.Length:x}\r\n{chunk}\r\n{chunk.Length:x}\r\n{chunk}\r\n");   // no last chunk: more would follow
        var res = await c.ReadResponseAsync();
        Assert.Equal(413, res.Status);
        Assert.Contains("more than 1024 bytes", (string?)res.Json["message"]);
    }

    [Fact]
    public async Task A_body_within_the_limit_and_a_streamed_body_beyond_it_both_go_through()
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Post("/containers/create", "{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":1048576}}"));
        Assert.Equal("memory 1048576", (await c.ReadResponseAsync()).Text);
        // Streams (build contexts, load, cp) are not limited: the handler reads them as they come.
        await c.SendAsync(Post("/stream", new string('x', 10_000)));
        Assert.Equal("10000", (await c.ReadResponseAsync()).Text);
    }

    [Theory]
    [InlineData("{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":\"lots\"}}", "field HostConfig.Memory must be an integer, not the string \"lots\"")]
    [InlineData("{\"Image\":\"busybox\",\"Env\":5}", "field Env must be an array of strings, not the number 5")]
    [InlineData("{\"Image\":\"busybox\",\"Env\":[\"A=1\",7]}", "field Env must be an array of strings, not an array holding the number 7")]
    [InlineData("{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":1.5}}", "field HostConfig.Memory must be an integer")]
    [InlineData("{\"Image\":5}", "field Image must be a string")]
    [InlineData("{\"Image\":\"busybox\",\"HostConfig\":[]}", "field HostConfig must be an object")]
    [InlineData("{\"Image\":\"busybox\",\"Tty\":\"yes\"}", "field Tty must be true or false")]
    [InlineData("[1,2]", "the request body must be a JSON object")]
    [InlineData("\"text\"", "the request body must be a JSON object")]
    [InlineData("{\"Image\":", "invalid JSON")]
    public async Task Type_errors_answer_400_naming_the_field(string body, string message)
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Post("/containers/create", body));
        var res = await c.ReadResponseAsync();
        Assert.Equal(400, res.Status);
        Assert.Contains(message, (string?)res.Json["message"]);
    }

    [Theory]
    [InlineData("{\"N\":\"seven\"}")]
    [InlineData("{\"N\":1e40}")]
    [InlineData("{\"L\":5}")]
    [InlineData("{\"L\":[{}]}")]
    public async Task A_cast_that_fails_in_a_handler_without_a_schema_is_still_400(string body)
    {
        using var c = await _api.ConnectAsync();
        await c.SendAsync(Post("/unchecked", body));
        var res = await c.ReadResponseAsync();
        Assert.Equal(400, res.Status);
        Assert.StartsWith("invalid JSON: a value in the request body has the wrong type", (string?)res.Json["message"]);
        // and the connection is still usable
        await c.SendAsync($"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
        Assert.Equal("OK", (await c.ReadResponseAsync()).Text);
    }

    [Fact]
    public void Null_means_not_set_for_every_kind()
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse("{\"Env\":null,\"HostConfig\":{\"Memory\":null,\"Binds\":null},\"Labels\":null}")!.AsObject();
        JsonBody.Check(body, JsonBody.ContainerCreate);
    }
}
