using System.Text;
using MiniContainer.Images;
using MiniContainer.Registry;
using Xunit;

namespace MiniContainer.UnitTests.Registry;

/// <summary>The pure parts of the registry client: where a name's registry is, auth challenges and configs, manifests.</summary>
public sealed class RegistryParsingTests
{
    [Theory]
    [InlineData("busybox", "docker.io", "registry-1.docker.io", false)]
    [InlineData("user/app", "docker.io", "registry-1.docker.io", false)]
    [InlineData("localhost:5000/app", "localhost:5000", "localhost:5000", true)]
    [InlineData("127.0.0.1:5000/app:v1", "127.0.0.1:5000", "127.0.0.1:5000", true)]
    [InlineData("127.1.2.3/app", "127.1.2.3", "127.1.2.3", true)]
    [InlineData("[::1]:5000/app", "[::1]:5000", "[::1]:5000", true)]
    [InlineData("quay.io/org/app", "quay.io", "quay.io", false)]
    public void A_reference_names_its_registry_and_loopback_ones_are_plain_http(string name, string registry, string host, bool insecure)
    {
        var endpoint = RegistryEndpoint.For(ImageReference.Parse(name).Domain);
        Assert.Equal(registry, endpoint.Name);
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(insecure, endpoint.Insecure);
        Assert.Equal(insecure ? "http" : "https", endpoint.BaseUri.Scheme);
    }

    [Fact]
    public void Insecure_registries_are_matched_by_name_or_cidr()
    {
        Assert.True(RegistryEndpoint.IsInsecure("myreg:5000", ["myreg:5000"]));
        Assert.True(RegistryEndpoint.IsInsecure("myreg:5000", ["myreg"]));
        Assert.True(RegistryEndpoint.IsInsecure("10.1.2.3:5000", ["10.0.0.0/8"]));
        Assert.False(RegistryEndpoint.IsInsecure("10.1.2.3:5000", ["192.168.0.0/16"]));
        Assert.False(RegistryEndpoint.IsInsecure("quay.io", []));
    }

    [Theory]
    [InlineData(null, "docker.io")]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("127.0.0.1:5000", "127.0.0.1:5000")]
    [InlineData("http://127.0.0.1:5000/", "127.0.0.1:5000")]
    public void A_login_server_address_names_a_registry(string? address, string registry) =>
        Assert.Equal(registry, RegistryEndpoint.ForServerAddress(address).Name);

    [Fact]
    public void Bearer_and_basic_challenges_parse_with_quoted_and_bare_values()
    {
        var challenges = AuthChallenge.Parse([
            "Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"",
            "Basic realm=plain-realm",
        ]);
        Assert.Equal(2, challenges.Count);
        Assert.True(challenges[0].IsBearer);
        Assert.Equal("https://auth.example/token", challenges[0]["realm"]);
        Assert.Equal("registry.example", challenges[0]["service"]);
        Assert.Equal("repository:a/b:pull,push", challenges[0]["scope"]);
        Assert.True(challenges[1].IsBasic);
        Assert.Equal("plain-realm", challenges[1]["realm"]);
    }

    [Fact]
    public void Two_challenges_in_one_header_and_escaped_quotes()
    {
        var challenges = AuthChallenge.Parse(["Basic realm=\"a \\\"quoted\\\" realm\", Bearer realm=\"https://t/\",error=\"insufficient_scope\""]);
        Assert.Equal(["Basic", "Bearer"], challenges.Select(c => c.Scheme));
        Assert.Equal("a \"quoted\" realm", challenges[0]["realm"]);
        Assert.Equal("insufficient_scope", challenges[1]["error"]);
    }

    [Fact]
    public void X_registry_auth_is_base64url_json_padded_or_not()
    {
        string json = "{\"username\":\"u\",\"password\":\"p?>~\",\"serveraddress\":\"127.0.0.1:5000\"}";
        string b64url = Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        var auth = AuthConfig.FromHeader(b64url);
        Assert.Equal("u", auth.Username);
        Assert.Equal("p?>~", auth.Password);
        Assert.Equal("127.0.0.1:5000", auth.ServerAddress);
        Assert.False(AuthConfig.FromHeader("e30=").HasCredentials);
        Assert.False(AuthConfig.FromHeader(null).HasCredentials);
        Assert.Throws<FormatException>(() => AuthConfig.FromHeader("!!!not base64"));
    }

    [Fact]
    public void The_auth_field_of_config_json_gives_user_and_password()
    {
        string auth = Convert.ToBase64String("alice:pa:ss"u8.ToArray());
        var config = AuthConfig.FromJson(Encoding.UTF8.GetBytes($"{{\"Auth\":\"{auth}\"}}"));
        Assert.Equal("alice", config.Username);
        Assert.Equal("pa:ss", config.Password);
    }

    [Fact]
    public void Manifest_kind_comes_from_its_own_media_type_then_the_content_type()
    {
        Assert.Equal(ManifestTypes.DockerManifest, ManifestTypes.Detect(Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestTypes.DockerManifest}\"}}"), ManifestTypes.OciManifest));
        Assert.Equal(ManifestTypes.OciIndex, ManifestTypes.Detect("{\"schemaVersion\":2,\"manifests\":[]}"u8.ToArray(), "application/json"));
        Assert.Equal(ManifestTypes.OciManifest, ManifestTypes.Detect("{\"schemaVersion\":2,\"layers\":[]}"u8.ToArray(), ""));
        Assert.Equal(ManifestTypes.DockerSchema1, ManifestTypes.Detect("{\"schemaVersion\":1}"u8.ToArray(), ""));
        Assert.Throws<RegistryException>(() => ManifestTypes.Detect("not json"u8.ToArray(), ""));
    }

    [Fact]
    public void The_linux_amd64_entry_is_picked_from_an_index()
    {
        var index = new OciIndex
        {
            Manifests =
            [
                new OciDescriptor { MediaType = ManifestTypes.OciManifest, Digest = "sha256:" + new string('1', 64), Platform = new OciPlatform { Os = "linux", Architecture = "arm64", Variant = "v8" } },
                new OciDescriptor { MediaType = "application/vnd.in-toto+json", Digest = "sha256:" + new string('2', 64), Platform = new OciPlatform { Os = "linux", Architecture = "amd64" } },
                new OciDescriptor { MediaType = ManifestTypes.DockerManifest, Digest = "sha256:" + new string('3', 64), Platform = new OciPlatform { Os = "windows", Architecture = "amd64" } },
                new OciDescriptor { MediaType = ManifestTypes.DockerManifest, Digest = "sha256:" + new string('4', 64), Platform = new OciPlatform { Os = "linux", Architecture = "amd64" } },
            ],
        };
        Assert.Equal("sha256:" + new string('4', 64), Manifests.SelectPlatform(index, "linux", "amd64")!.Digest);
        Assert.Equal("sha256:" + new string('1', 64), Manifests.SelectPlatform(index, "linux", "arm64", "v8")!.Digest);
        Assert.Null(Manifests.SelectPlatform(index, "linux", "s390x"));
    }

    [Fact]
    public void A_manifest_with_a_bad_layer_digest_is_refused()
    {
        byte[] body = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"config\":{{\"digest\":\"sha256:{new string('a', 64)}\"}},\"layers\":[{{\"digest\":\"md5:abc\"}}]}}");
        var e = Assert.Throws<RegistryException>(() => Manifests.ParseManifest(new FetchedManifest(body, ManifestTypes.OciManifest, Digests.Of(body))));
        Assert.Contains("md5:abc", e.Message);
    }

    [Fact]
    public void Registry_error_bodies_read_as_docker_prints_them()
    {
        Assert.Equal("manifest unknown: manifest unknown", RegistryErrors.Describe("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\",\"detail\":{}}]}", 404));
        Assert.Equal("unexpected status 502: bad gateway", RegistryErrors.Describe("bad gateway", 502));
    }
}
