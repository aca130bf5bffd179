using System.Text.Json.Nodes;
using MiniContainer.Cli.Flags;
using MiniContainer.Cli.Output;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

/// <summary>-p values as docker parses them (shapes captured from docker 28's CLI create request), and its errors.</summary>
public sealed class PortSpecTests
{
    static (string Exposed, string Bindings) Parse(params string[] specs)
    {
        var (exposed, bindings) = PortSpec.Parse(specs);
        return (exposed.ToJsonString(), bindings.ToJsonString());
    }

    [Theory]
    [InlineData("8080:80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}""")]
    [InlineData("127.0.0.1:8080:80/udp", """{"80/udp":{}}""", """{"80/udp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]}""")]
    [InlineData("80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":""}]}""")]
    [InlineData("127.0.0.1::80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]}""")]
    [InlineData(":80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":""}]}""")]
    [InlineData("::80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":""}]}""")]
    [InlineData("0:80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":"0"}]}""")]
    [InlineData("[::1]:80:80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"::1","HostPort":"80"}]}""")]
    [InlineData("[::]:8080:80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"::","HostPort":"8080"}]}""")]
    [InlineData("fe80::1:8080:80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"fe80::1","HostPort":"8080"}]}""")]
    [InlineData("80/TCP", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":""}]}""")]
    [InlineData("80/", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":""}]}""")]
    [InlineData("80/sctp", """{"80/sctp":{}}""", """{"80/sctp":[{"HostIp":"","HostPort":""}]}""")]
    [InlineData("08080:080", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}""")]
    [InlineData("80-80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":""}]}""")]
    [InlineData("8000-8001:80-81", """{"80/tcp":{},"81/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":"8000"}],"81/tcp":[{"HostIp":"","HostPort":"8001"}]}""")]
    [InlineData("80-81", """{"80/tcp":{},"81/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":""}],"81/tcp":[{"HostIp":"","HostPort":""}]}""")]
    [InlineData("8000-8001:80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":"8000-8001"}]}""")]
    [InlineData("1.2.3.4:8080-8090:80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"1.2.3.4","HostPort":"8080-8090"}]}""")]
    [InlineData("published=8080,target=80", """{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}""")]
    [InlineData("published=8080,target=80,protocol=udp,mode=host", """{"80/udp":{}}""", """{"80/udp":[{"HostIp":"","HostPort":"8080"}]}""")]
    public void Parses_like_docker(string spec, string exposed, string bindings)
    {
        Assert.Equal((exposed, bindings), Parse(spec));
    }

    [Fact]
    public void Several_values_for_one_port_keep_their_order()
    {
        Assert.Equal(("""{"80/tcp":{}}""", """{"80/tcp":[{"HostIp":"","HostPort":""},{"HostIp":"","HostPort":"8080"},{"HostIp":"127.0.0.1","HostPort":"9000"}]}"""),
            Parse("80", "8080:80", "127.0.0.1:9000:80"));
    }

    [Theory]
    [InlineData("abc", "invalid containerPort: abc")]
    [InlineData("8080:abc", "invalid containerPort: abc")]
    [InlineData("x", "invalid containerPort: x")]
    [InlineData("1.2.3:80:80", "invalid IP address: 1.2.3")]
    [InlineData("1.2.3.4:8080:80:x", "invalid IP address: 1.2.3.4:8080")]
    [InlineData("[fe80::1%eth0]:80:80", "invalid IP address: fe80::1%eth0")]
    [InlineData("[::1:80:80", "invalid IP address [::1: address [::1:: missing ']' in address")]
    [InlineData("80/xyz", "invalid proto: xyz")]
    [InlineData("8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001")]
    [InlineData("8080:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8080")]
    [InlineData("", "no port specified: <empty>")]
    [InlineData("80:", "no port specified: 80:<empty>")]
    [InlineData("/udp", "no port specified: /udp<empty>")]
    [InlineData("65536:80", "invalid hostPort: 65536")]
    [InlineData("-1:80", "invalid hostPort: -1")]
    [InlineData("80-70:80", "invalid hostPort: 80-70")]
    [InlineData("1.2.3.4:80", "invalid hostPort: 1.2.3.4")]
    [InlineData("a=b", "no port specified: :/tcp<empty>")]
    [InlineData("a=b,c", "invalid publish opts format (should be name=value but got 'c')")]
    [InlineData("published=8080", "no port specified: 8080:/tcp<empty>")]
    public void Refuses_with_dockers_message(string spec, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => PortSpec.Parse([spec])).Message);
    }
}

/// <summary>docker's PORTS column (cases from docker's own formatter tests) and `port` lines.</summary>
public sealed class PortFormatTests
{
    static JsonArray Ports(params (string Ip, int Private, int Public, string Type)[] ports)
        => new(ports.Select(p =>
        {
            var o = new JsonObject { ["PrivatePort"] = p.Private, ["Type"] = p.Type };
            if (p.Ip.Length > 0) o["IP"] = p.Ip;
            if (p.Public != 0) o["PublicPort"] = p.Public;
            return (JsonNode)o;
        }).ToArray());

    [Theory]
    [InlineData("", 9988, 0, "tcp", "9988/tcp")]
    [InlineData("", 9988, 0, "udp", "9988/udp")]
    [InlineData("0.0.0.0", 9988, 0, "tcp", "0.0.0.0:0->9988/tcp")]
    [InlineData("::", 9988, 0, "tcp", "[::]:0->9988/tcp")]
    [InlineData("", 9988, 8899, "tcp", "9988/tcp")]
    [InlineData("4.3.2.1", 9988, 8899, "tcp", "4.3.2.1:8899->9988/tcp")]
    [InlineData("::1", 9988, 8899, "tcp", "[::1]:8899->9988/tcp")]
    [InlineData("4.3.2.1", 9988, 9988, "tcp", "4.3.2.1:9988->9988/tcp")]
    [InlineData("::1", 9988, 9988, "tcp", "[::1]:9988->9988/tcp")]
    public void One_port(string ip, int priv, int pub, string type, string expected)
    {
        Assert.Equal(expected, PortFormat.PsColumn(Ports((ip, priv, pub, type))));
    }

    [Fact]
    public void Ranges_collapse_and_mappings_come_last()
    {
        Assert.Equal("9988/udp, 9988/udp", PortFormat.PsColumn(Ports(("", 9988, 0, "udp"), ("", 9988, 0, "udp"))));
        Assert.Equal("1.2.3.4:9998-9999->9998-9999/udp",
            PortFormat.PsColumn(Ports(("1.2.3.4", 9999, 9999, "udp"), ("1.2.3.4", 9998, 9998, "udp"))));
        Assert.Equal("[::1]:9998-9999->9998-9999/udp", PortFormat.PsColumn(Ports(("::1", 9998, 9998, "udp"), ("::1", 9999, 9999, "udp"))));
        Assert.Equal("443/tcp, 8000-8002/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
            PortFormat.PsColumn(Ports(("::", 80, 8080, "tcp"), ("", 443, 0, "tcp"), ("0.0.0.0", 80, 8080, "tcp"),
                                      ("", 8002, 0, "tcp"), ("", 8000, 0, "tcp"), ("", 8001, 0, "tcp"))));
        Assert.Equal("80/tcp, 82/tcp", PortFormat.PsColumn(Ports(("", 82, 0, "tcp"), ("", 80, 0, "tcp"))));
        Assert.Equal("", PortFormat.PsColumn(null));
        Assert.Equal("", PortFormat.PsColumn([]));
    }

    static JsonObject Inspect => JsonNode.Parse("""
        {"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"},{"HostIp":"::","HostPort":"8080"}],
         "9/udp":[{"HostIp":"127.0.0.1","HostPort":"32768"}],
         "443/tcp":null}
        """)!.AsObject();

    [Fact]
    public void Port_lists_every_binding_in_natural_order()
    {
        Assert.Equal(["9/udp -> 127.0.0.1:32768", "80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080"], PortFormat.PortLines(Inspect, "web"));
        Assert.Empty(PortFormat.PortLines(null, "web"));
    }

    [Fact]
    public void Port_with_a_private_port_lists_its_host_addresses()
    {
        Assert.Equal(["0.0.0.0:8080", "[::]:8080"], PortFormat.PortLines(Inspect, "web", "80"));
        Assert.Equal(["0.0.0.0:8080", "[::]:8080"], PortFormat.PortLines(Inspect, "web", "80/TCP"));
        Assert.Equal(["127.0.0.1:32768"], PortFormat.PortLines(Inspect, "web", "9/udp"));
    }

    [Theory]
    [InlineData("443", "no public port '443' published for web")]
    [InlineData("9", "no public port '9' published for web")]
    [InlineData("81/tcp", "no public port '81/tcp' published for web")]
    [InlineData("abc", "invalid port 'abc': invalid syntax")]
    [InlineData("70000", "invalid port '70000': value out of range")]
    [InlineData("", "invalid port: value is empty")]
    public void Port_errors_are_dockers(string port, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => PortFormat.PortLines(Inspect, "web", port)).Message);
    }

    [Fact]
    public void Natural_order_compares_numbers_as_numbers()
    {
        string[] lines = ["80/tcp", "9/tcp", "10000/udp", "100/tcp"];
        Array.Sort(lines, NaturalOrder.Compare);
        Assert.Equal(["9/tcp", "80/tcp", "100/tcp", "10000/udp"], lines);
    }
}
