using System.Net;
using System.Text;
using MiniContainer.Images;
using MiniContainer.Registry;
using MiniContainer.UnitTests.Images;
using Xunit;

namespace MiniContainer.UnitTests.Registry;

/// <summary>The client against a fake registry: the three ways of authenticating, digest checks, and a whole pull into a store.</summary>
public sealed class RegistryClientTests : IDisposable
{
    private readonly FakeRegistry _registry = new();
    public void Dispose() => _registry.Dispose();

    private static readonly string Manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"digest\":\"sha256:" + new string('c', 64) + "\"},\"layers\":[]}";

    private RegistryClient Client(string? user = null, string? password = null) =>
        new(RegistryEndpoint.For(_registry.Address), new AuthConfig(user, password, null, null, null));

    [Fact]
    public async Task Bearer_auth_fetches_a_token_from_the_realm_with_the_scope_and_credentials()
    {
        string basic = "Basic " + Convert.ToBase64String("alice:pw"u8.ToArray());
        _registry.Handle = ctx =>
        {
            string path = ctx.Request.Url!.AbsolutePath;
            string auth = ctx.Request.Headers["Authorization"] ?? "";
            if (path == "/token")
                return auth == basic && ctx.Request.QueryString["scope"] is null or "repository:team/app:pull" && ctx.Request.QueryString["service"] == "fake"
                    ? FakeRegistry.Respond(ctx, 200, "{\"token\":\"T1\"}") : FakeRegistry.Respond(ctx, 401, "{}");
            if (auth != "Bearer T1")
                return FakeRegistry.Respond(ctx, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}", headers: new()
                {
                    ["WWW-Authenticate"] = $"Bearer realm=\"http://{_registry.Address}/token\",service=\"fake\"",
                });
            return FakeRegistry.Respond(ctx, 200, Manifest, "application/vnd.oci.image.manifest.v1+json");
        };
        var manifest = await Client("alice", "pw").GetManifestAsync("team/app", "v1", default);
        Assert.Equal(Digests.Of(Encoding.UTF8.GetBytes(Manifest)), manifest.Digest);
        Assert.Equal(ManifestTypes.OciManifest, manifest.MediaType);

        var e = await Assert.ThrowsAsync<RegistryException>(() => Client("alice", "wrong").GetManifestAsync("team/app", "v1", default));
        Assert.Equal(401, e.Status);
        Assert.Contains("incorrect username or password", e.Message);
        await Assert.ThrowsAsync<RegistryException>(() => Client("alice", "wrong").LoginAsync(default));
        await Client("alice", "pw").LoginAsync(default);
    }

    [Fact]
    public async Task Basic_auth_sends_the_credentials_and_a_refusal_is_a_login_failure()
    {
        string basic = "Basic " + Convert.ToBase64String("bob:pw"u8.ToArray());
        _registry.Handle = ctx => ctx.Request.Headers["Authorization"] == basic
            ? FakeRegistry.Respond(ctx, 200, ctx.Request.Url!.AbsolutePath == "/v2/" ? "{}" : Manifest)
            : FakeRegistry.Respond(ctx, 401, "{}", headers: new() { ["WWW-Authenticate"] = "Basic realm=\"fake\"" });
        await Client("bob", "pw").LoginAsync(default);
        Assert.NotNull(await Client("bob", "pw").GetManifestAsync("app", "v1", default));
        var e = await Assert.ThrowsAsync<RegistryException>(() => Client("bob", "nope").LoginAsync(default));
        Assert.Contains($"login attempt to http://{_registry.Address}/v2/ failed with status: 401 Unauthorized", e.Message);
        var anonymous = await Assert.ThrowsAsync<RegistryHttpException>(() => Client().GetManifestAsync("app", "v1", default));
        Assert.True(anonymous.IsDenied);
    }

    [Fact]
    public async Task A_manifest_that_is_not_what_its_digest_says_is_refused()
    {
        _registry.Handle = ctx => ctx.Request.Url!.AbsolutePath == "/v2/" ? FakeRegistry.Respond(ctx, 200, "{}")
            : FakeRegistry.Respond(ctx, 200, Manifest, headers: new() { ["Docker-Content-Digest"] = "sha256:" + new string('0', 64) });
        var e = await Assert.ThrowsAsync<RegistryException>(() => Client().GetManifestAsync("app", "v1", default));
        Assert.Contains("manifest verification failed", e.Message);
        e = await Assert.ThrowsAsync<RegistryException>(() => Client().GetManifestAsync("app", "sha256:" + new string('1', 64), default));
        Assert.Contains("manifest verification failed for digest sha256:1111", e.Message);
    }

    [Fact]
    public async Task A_blob_whose_bytes_do_not_match_its_digest_is_deleted_and_reported()
    {
        byte[] served = "tampered"u8.ToArray();
        string claimed = Digests.Of("original"u8);
        _registry.Handle = ctx => FakeRegistry.Respond(ctx, 200, ctx.Request.Url!.AbsolutePath == "/v2/" ? "{}"u8.ToArray() : served);
        using var host = new TempHost();
        string file = Path.Combine(host.Root, "blob");
        var e = await Assert.ThrowsAsync<RegistryException>(() => Client().DownloadBlobAsync("app", claimed, 8, file, _ => { }, default));
        Assert.Contains($"filesystem layer verification failed for digest {claimed}", e.Message);
        Assert.False(File.Exists(file));

        string right = Digests.Of(served);
        long reported = 0;
        await Client().DownloadBlobAsync("app", right, served.Length, file, n => reported = n, default);
        Assert.Equal(served, File.ReadAllBytes(file));
        Assert.Equal(served.Length, reported);
    }

    [Fact]
    public async Task An_unreachable_registry_is_a_quick_clear_error()
    {
        int port;
        using (var gone = new FakeRegistry()) port = gone.Port;   // closed at once: nothing listens there any more
        var client = new RegistryClient(RegistryEndpoint.For($"127.0.0.1:{port}"), AuthConfig.Anonymous);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.PingAsync(default));
        Assert.Contains($"Get \"http://127.0.0.1:{port}/v2/\"", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }
}
