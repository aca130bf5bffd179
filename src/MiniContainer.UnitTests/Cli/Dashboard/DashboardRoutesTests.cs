using System.Net;
using MiniContainer.Cli;
using MiniContainer.Cli.Dashboard;
using Xunit;

namespace MiniContainer.UnitTests.Cli.Dashboard;

/// <summary>The dashboard's allow-list, Host check and token check: what reaches the daemon, and what is refused.</summary>
public sealed class DashboardRoutesTests
{
    const string Token = "0123456789abcdef0123456789abcdef";
    static readonly DashboardRoutes Routes = new(ListenAddress.Parse("127.0.0.1:7480"), Token);

    static DashboardAction Decide(string method, string target, string? host = "127.0.0.1:7480", string? token = Token, DashboardRoutes? routes = null)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (host is not null) headers["Host"] = host;
        if (token is not null) headers[DashboardRoutes.TokenHeader] = token;
        return (routes ?? Routes).Decide(new DashboardRequest(method, target, headers));
    }

    static int Status(DashboardAction action) => Assert.IsType<Refusal>(action).Status;

    [Theory]
    [InlineData("/api/containers", "/containers/json?all=1")]
    [InlineData("/api/networks", "/networks")]
    [InlineData("/api/images", "/images/json")]
    [InlineData("/api/containers/web/stats", "/containers/web/stats?stream=false&one-shot=true")]
    [InlineData("/api/containers/3f2a9c/kernel", "/containers/3f2a9c/kernel")]
    [InlineData("/api/containers/my_app.1-x/explain", "/containers/my_app.1-x/explain")]
    [InlineData("/api/images/sha256:0000000000000000000000000000000000000000000000000000000000000abc",
                "/images/sha256:0000000000000000000000000000000000000000000000000000000000000abc/json")]
    public void Each_allowed_path_is_one_fixed_daemon_GET(string target, string daemonPath)
    {
        var get = Assert.IsType<DaemonGet>(Decide("GET", target));
        Assert.Equal(daemonPath, get.Path);
        Assert.False(get.Stream);
    }

    [Fact]
    public void Events_are_relayed_as_a_stream() => Assert.Equal(new DaemonGet("/events", Stream: true), Decide("GET", "/api/events"));

    [Theory]
    [InlineData("/", "index.html")]
    [InlineData("/app.js", "app.js")]
    [InlineData("/views.js", "views.js")]
    [InlineData("/graph.js", "graph.js")]
    [InlineData("/style.css", "style.css")]
    public void The_page_s_files_need_no_token(string target, string asset)
    {
        Assert.Equal(asset, Assert.IsType<ServeAsset>(Decide("GET", target, token: null)).Name);
        Assert.NotEmpty(DashboardAssets.Read(asset));   // and each is embedded in the binary
    }

    [Theory]
    [InlineData("POST", "/api/containers")]
    [InlineData("POST", "/api/containers/web/stop")]
    [InlineData("DELETE", "/api/containers/web")]
    [InlineData("PUT", "/api/containers/web/kernel")]
    [InlineData("HEAD", "/api/containers")]
    [InlineData("POST", "/")]
    public void Only_GET_is_answered(string method, string target) => Assert.Equal(405, Status(Decide(method, target)));

    [Theory]
    [InlineData("evil.example:7480")]   // DNS rebinding: another site's name resolving to 127.0.0.1
    [InlineData("evil.example")]
    [InlineData("127.0.0.1:7481")]
    [InlineData("127.0.0.1")]
    [InlineData("")]
    [InlineData(null)]
    public void A_Host_that_is_not_the_listen_address_is_refused(string? host)
    {
        Assert.Equal(403, Status(Decide("GET", "/api/containers", host: host)));
        Assert.Equal(403, Status(Decide("GET", "/", host: host)));
    }

    [Fact]
    public void Localhost_names_a_loopback_listen_address_but_not_another()
    {
        Assert.IsType<DaemonGet>(Decide("GET", "/api/containers", host: "localhost:7480"));
        Assert.IsType<DaemonGet>(Decide("GET", "/api/containers", host: "LOCALHOST:7480"));
        var remote = new DashboardRoutes(ListenAddress.Parse("192.0.2.10:7480"), Token);
        Assert.IsType<DaemonGet>(Decide("GET", "/api/containers", host: "192.0.2.10:7480", routes: remote));
        Assert.Equal(403, Status(Decide("GET", "/api/containers", host: "localhost:7480", routes: remote)));
        var v6 = new DashboardRoutes(ListenAddress.Parse("[::1]:9000"), Token);
        Assert.IsType<DaemonGet>(Decide("GET", "/api/networks", host: "[::1]:9000", routes: v6));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcdee")]
    [InlineData("0123456789abcdef")]
    public void The_API_needs_the_token(string? token) => Assert.Equal(401, Status(Decide("GET", "/api/containers", token: token)));

    [Theory]
    [InlineData("/api/containers/web/json")]          // inspect holds the environment: not relayed
    [InlineData("/api/containers/web/logs")]
    [InlineData("/api/containers/web/export")]
    [InlineData("/api/containers/web/archive")]
    [InlineData("/api/containers/../images/json")]
    [InlineData("/api/containers/%2e%2e/kernel")]
    [InlineData("/api/containers/a%2Fb/kernel")]
    [InlineData("/api/containers/.hidden/kernel")]
    [InlineData("/api/containers/web/kernel/x")]
    [InlineData("/api/images/busybox")]
    [InlineData("/api/images/sha256:abc")]
    [InlineData("/api/images/get")]
    [InlineData("/api/v1.47/containers/json")]
    [InlineData("/api/secrets")]
    [InlineData("/api/volumes")]
    [InlineData("/api/")]
    [InlineData("/index.html/../app.js")]
    [InlineData("/etc/passwd")]
    public void Anything_else_is_not_found(string target) => Assert.Equal(404, Status(Decide("GET", target)));

    [Theory]
    [InlineData("/api/containers?all=0")]
    [InlineData("/api/containers/web/stats?stream=true")]
    [InlineData("/api/events?since=0")]
    public void Query_strings_are_refused(string target) => Assert.Equal(400, Status(Decide("GET", target)));

    [Fact]
    public void Tokens_are_fresh_128_bit_hex() {
        string a = DashboardRoutes.NewToken(), b = DashboardRoutes.NewToken();
        Assert.Matches("^[0-9a-f]{32}$", a);
        Assert.NotEqual(a, b);
    }
}

public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:7480", "127.0.0.1:7480", true)]
    [InlineData("localhost:8000", "127.0.0.1:8000", true)]
    [InlineData("[::1]:7480", "[::1]:7480", true)]
    [InlineData("127.0.0.2:0", "127.0.0.2:0", true)]
    [InlineData("192.0.2.10:7480", "192.0.2.10:7480", false)]
    public void Parses_one_address_and_a_port(string text, string authority, bool loopback)
    {
        var a = ListenAddress.Parse(text);
        Assert.Equal(authority, a.Authority);
        Assert.Equal(loopback, a.IsLoopback);
        Assert.Equal($"http://{authority}/", a.Url);
    }

    [Theory]
    [InlineData("0.0.0.0:7480", "not every address")]
    [InlineData("[::]:7480", "not every address")]
    [InlineData("example.org:7480", "is not an IP address")]
    [InlineData("127.0.0.1", "expected HOST:PORT")]
    [InlineData("127.0.0.1:70000", "expected HOST:PORT")]
    [InlineData("127.0.0.1:-1", "expected HOST:PORT")]
    [InlineData(":7480", "expected HOST:PORT")]
    public void Refuses_what_the_Host_check_could_not_name(string text, string reason)
    {
        var e = Assert.Throws<UsageException>(() => ListenAddress.Parse(text));
        Assert.StartsWith($"invalid argument \"{text}\" for \"--listen\" flag: ", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Another_host_s_reach_needs_allow_remote()
    {
        var remote = ListenAddress.Parse("192.0.2.10:7480");
        var e = Assert.Throws<UsageException>(() => remote.CheckExposure(allowRemote: false));
        Assert.Equal("refusing to serve the dashboard on 192.0.2.10:7480, which other hosts can reach: use a loopback address (the default is 127.0.0.1:7480), or add --allow-remote", e.Message);
        remote.CheckExposure(allowRemote: true);
        ListenAddress.Parse("127.0.0.1:7480").CheckExposure(allowRemote: false);
        ListenAddress.Parse("[::1]:7480").CheckExposure(allowRemote: false);
    }

    [Fact]
    public void The_default_is_loopback() => Assert.True(ListenAddress.Parse(ListenAddress.Default).IsLoopback && IPAddress.Loopback.Equals(ListenAddress.Parse(ListenAddress.Default).Address));
}

public sealed class DashboardRequestTests
{
    [Fact]
    public void Parses_method_target_and_headers()
    {
        var r = DashboardRequest.Parse("GET /api/containers?x=1 HTTP/1.1\r\nHost: 127.0.0.1:7480\r\nx-dashboard-token:  abc \r\n\r\n");
        Assert.Equal(("GET", "/api/containers", "x=1"), (r.Method, r.Path, r.Query));
        Assert.Equal("127.0.0.1:7480", r.Header("host"));
        Assert.Equal("abc", r.Header(DashboardRoutes.TokenHeader));
    }

    [Theory]
    [InlineData("GET /a HTTP/1.1\r\nHost: 127.0.0.1:7480\r\nHost: evil.example\r\n\r\n")]   // which Host would count?
    [InlineData("GET http://evil.example/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET /a\r\n\r\n")]
    [InlineData("GET /a HTTP/2\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nno colon here\r\n\r\n")]
    public void Refuses_malformed_heads(string head) => Assert.Throws<FormatException>(() => DashboardRequest.Parse(head));

    [Fact]
    public async Task Reads_a_head_up_to_the_blank_line_and_no_more_than_16_KiB()
    {
        var ok = await DashboardRequest.ReadAsync(new MemoryStream("GET / HTTP/1.1\r\nHost: h\r\n\r\nbody"u8.ToArray()), default);
        Assert.Equal("h", ok!.Header("Host"));
        Assert.Null(await DashboardRequest.ReadAsync(new MemoryStream(), default));
        await Assert.ThrowsAsync<FormatException>(() => DashboardRequest.ReadAsync(new MemoryStream("GET / HTTP/1.1\r\nHost: h\r\n"u8.ToArray()), default));
        var huge = System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX: " + new string('a', 20_000) + "\r\n\r\n");
        await Assert.ThrowsAsync<FormatException>(() => DashboardRequest.ReadAsync(new MemoryStream(huge), default));
    }
}
