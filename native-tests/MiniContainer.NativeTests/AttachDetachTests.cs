using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// Attach and exec streams as docker-py drives them (raw hijacked connections): detach keys end the stream while the
/// process runs on, attach with logs=1 replays the log; and through the real docker CLI: kill answers after the exit,
/// diff leaves out the runtime's /etc files, commit records the parent, and dockerd's errors for bad input; and
/// GET /distribution/{name}/json, answered from a real registry (Debian's docker-registry on 127.0.0.1).
/// </summary>
public sealed class AttachDetachTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    private CommandResult Docker(params string[] args)
    {
        using var docker = new DockerCli(_d, output);
        return docker.Run(args);
    }

    /// <summary>Sends a request asking for the upgrade, as docker-py does; returns the status line and the connection after the head.</summary>
    private async Task<(string Status, NetworkStream Stream, Socket Socket)> HijackAsync(string path, string? body = null)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_d.Socket));
        var stream = new NetworkStream(socket, ownsSocket: true);
        byte[] content = Encoding.UTF8.GetBytes(body ?? "");
        string head = $"POST /v1.47{path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n" +
                      $"Content-Type: application/json\r\nContent-Length: {content.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(content).ToArray());
        // Read the head one byte at a time, so nothing of the stream is taken with it.
        var got = new List<byte>();
        var one = new byte[1];
        while (!(got.Count >= 4 && got[^4] == '\r' && got[^3] == '\n' && got[^2] == '\r' && got[^1] == '\n'))
        {
            if (await stream.ReadAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) == 0) break;
            got.Add(one[0]);
        }
        string text = Encoding.ASCII.GetString(got.ToArray());
        output.WriteLine(text);
        return (text.Split("\r\n")[0], stream, socket);
    }

    private static async Task<byte[]> ReadToEndAsync(NetworkStream stream, TimeSpan timeout)
    {
        var all = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await stream.ReadAsync(buffer).AsTask().WaitAsync(timeout)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    private string Inspect(string format, string name) => Docker("inspect", "-f", format, name).Ok().Stdout.Trim();

    [Fact]
    public async Task Attach_detach_keys_end_the_stream_and_the_container_runs_on()
    {
        string name = Support.Unique("mcdetach");
        Docker("run", "-dit", "--name", name, "busybox", "cat").Ok();
        try
        {
            // The default ctrl-p ctrl-q, then a sequence of the request's own.
            foreach (var (query, keys) in new[] { ("", new byte[] { 0x10, 0x11 }), ("&detachKeys=ctrl-x", new byte[] { 0x18 }) })
            {
                var (status, stream, socket) = await HijackAsync($"/containers/{name}/attach?stdin=1&stdout=1&stream=1{query}");
                using (socket)
                {
                    Assert.Equal("HTTP/1.1 101 UPGRADED", status);
                    // Input reaches cat (the terminal echoes it back), then the keys end the stream: the daemon closes it.
                    await stream.WriteAsync("hello\n"u8.ToArray());
                    var echoed = new StringBuilder();
                    var buffer = new byte[256];
                    while (!echoed.ToString().Contains("hello"))
                    {
                        int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                        Assert.NotEqual(0, n);
                        echoed.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                    await stream.WriteAsync(keys);
                    await ReadToEndAsync(stream, TimeSpan.FromSeconds(10));
                }
                Assert.Equal("true", Inspect("{{.State.Running}}", name));
            }
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public async Task Exec_detach_keys_from_the_create_request_end_the_stream_and_the_exec_runs_on()
    {
        string name = Support.Unique("mcexecdetach");
        Docker("run", "-di", "--name", name, "busybox", "cat").Ok();
        try
        {
            // docker-py sends the field as "detachKeys": Go reads JSON names case-insensitively.
            var create = await HijackFreeJsonAsync($"/containers/{name}/exec",
                """{"Cmd":["cat"],"AttachStdin":true,"AttachStdout":true,"Tty":true,"detachKeys":"ctrl-p"}""");
            string execId = create["Id"]!.GetValue<string>();
            var (status, stream, socket) = await HijackAsync($"/exec/{execId}/start", """{"Tty":true}""");
            using (socket)
            {
                Assert.Equal("HTTP/1.1 101 UPGRADED", status);
                await stream.WriteAsync(new byte[] { 0x10 });
                await ReadToEndAsync(stream, TimeSpan.FromSeconds(10));
            }
            var exec = await HijackFreeJsonAsync($"/exec/{execId}/json", null);
            Assert.True(exec["Running"]!.GetValue<bool>());
            Assert.Equal("true", Inspect("{{.State.Running}}", name));
        }
        finally { Docker("rm", "-f", name); }
    }

    /// <summary>A plain request (GET without a body, POST with one) on a connection of its own: the status line and the body.</summary>
    private async Task<(string Status, string Body)> RequestAsync(string path, string? body)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_d.Socket));
        using var stream = new NetworkStream(socket);
        byte[] content = Encoding.UTF8.GetBytes(body ?? "");
        string head = (body is null ? $"GET /v1.47{path}" : $"POST /v1.47{path}") +
                      $" HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {content.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(content).ToArray());
        string reply = Encoding.UTF8.GetString(await ReadToEndAsync(stream, TimeSpan.FromSeconds(10)));
        output.WriteLine(reply);
        return (reply.Split("\r\n")[0], reply[(reply.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    private async Task<JsonObject> HijackFreeJsonAsync(string path, string? body)
    {
        var (_, json) = await RequestAsync(path, body);
        return (JsonObject)JsonNode.Parse(json[json.IndexOf('{')..(json.LastIndexOf('}') + 1)])!;
    }

    [Fact]
    public async Task Attach_with_logs_and_no_stream_replays_the_log_after_the_101()
    {
        string name = Support.Unique("mcattachlogs");
        Docker("run", "--name", name, "busybox", "echo", "hello").Ok();
        try
        {
            var (status, stream, socket) = await HijackAsync($"/containers/{name}/attach?logs=1&stream=0&stdout=1&stderr=1");
            using (socket)
            {
                Assert.Equal("HTTP/1.1 101 UPGRADED", status);
                byte[] frames = await ReadToEndAsync(stream, TimeSpan.FromSeconds(10));
                Assert.Equal(new byte[] { 1, 0, 0, 0, 0, 0, 0, 6 }.Concat("hello\n"u8.ToArray()).ToArray(), frames);
            }
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public async Task Bad_detach_keys_and_wait_conditions_get_dockerds_400()
    {
        string name = Support.Unique("mcbadkeys");
        Docker("run", "-dit", "--name", name, "busybox", "cat").Ok();
        try
        {
            var (status, body) = await RequestAsync($"/containers/{name}/attach?stdin=1&stream=1&detachKeys=ctrl-1", "");
            Assert.StartsWith("HTTP/1.1 400", status);
            Assert.Contains("Invalid detach keys (ctrl-1) provided", body);
            (status, body) = await RequestAsync($"/containers/{name}/exec", """{"Cmd":["cat"],"DetachKeys":"ctrl-"}""");
            Assert.StartsWith("HTTP/1.1 400", status);
            Assert.Contains("Invalid escape keys (ctrl-) provided", body);
            (status, body) = await RequestAsync($"/containers/{name}/wait?condition=stopped", "");
            Assert.StartsWith("HTTP/1.1 400", status);
            Assert.Contains("invalid condition: \\u0022stopped\\u0022", body);
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public void Docker_kill_answers_after_the_exit_so_rm_right_after_works()
    {
        string name = Support.Unique("mckill");
        Docker("run", "-d", "--name", name, "busybox", "sleep", "300").Ok();
        try
        {
            Docker("kill", name).Ok();
            Assert.Equal("false 137 exited", Inspect("{{.State.Running}} {{.State.ExitCode}} {{.State.Status}}", name));
            Docker("rm", name).Ok();
        }
        finally { Docker("rm", "-f", name); }
    }

    [Fact]
    public void Docker_diff_lists_only_the_containers_own_changes_and_commit_records_the_parent()
    {
        string name = Support.Unique("mcdiff");
        Docker("run", "--name", name, "busybox", "touch", "/test").Ok();
        string image = Support.Unique("mccommitted");
        try
        {
            Assert.Equal(["A /test"], Docker("diff", name).Ok().Stdout.Lines());
            Docker("commit", name, image).Ok();
            Assert.Equal(Inspect("{{.Id}}", "busybox"), Inspect("{{.Parent}}", image));
        }
        finally
        {
            Docker("rm", "-f", name);
            Docker("rmi", image);
        }
    }

    [Fact]
    public async Task Distribution_inspect_asks_the_registry_for_the_descriptor_and_platforms()
    {
        using var registry = new LocalRegistry();
        string name = $"{registry.Address}/mcdist/busybox:latest";
        Docker("tag", "busybox", name).Ok();
        try
        {
            string pushed = Docker("push", name).Ok().Stdout;
            var (status, body) = await RequestAsync($"/distribution/{name}/json", null);
            Assert.Equal("HTTP/1.1 200 OK", status);
            var answer = (JsonObject)JsonNode.Parse(body[body.IndexOf('{')..(body.LastIndexOf('}') + 1)])!;
            string digest = answer["Descriptor"]!["digest"]!.GetValue<string>();
            Assert.Contains("digest: " + digest, pushed);
            Assert.True(answer["Descriptor"]!["size"]!.GetValue<long>() > 0);
            Assert.Contains(answer["Platforms"]!.AsArray(), p => p!["os"]!.GetValue<string>() == "linux" && p["architecture"]!.GetValue<string>() == "amd64");

            (status, _) = await RequestAsync($"/distribution/{registry.Address}/mcdist/nosuch:latest/json", null);
            Assert.StartsWith("HTTP/1.1 404", status);
        }
        finally { Docker("rmi", name); }
    }
}
