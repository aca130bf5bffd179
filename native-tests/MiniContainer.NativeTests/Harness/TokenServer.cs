using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace MiniContainer.NativeTests.Harness;

/// <summary>
/// A Docker-style token server for the registry's `token` auth: GET /token?service=&amp;scope=… with Basic credentials
/// answers {"token": JWT}, the JWT signed (RS256) with a key whose self-signed certificate the registry trusts
/// (rootcertbundle) and carried in the token's x5c header. A known user gets the actions it asks for; anyone else
/// an anonymous token with no access; a known user with a wrong password a 401.
/// </summary>
public sealed class TokenServer : IDisposable
{
    public const string Issuer = "mc-test-issuer";
    public const string Service = "mc-test-registry";
    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly Dictionary<string, string> _users;
    public int Port { get; } = LocalRegistry.FreePort();
    public string Realm => $"http://127.0.0.1:{Port}/token";
    public int Requests;

    public TokenServer(Dictionary<string, string> users)
    {
        _users = users;
        var request = new CertificateRequest("CN=mc-test-token-signer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    /// <summary>The registry config's auth section; the certificate is written to <paramref name="dir"/>.</summary>
    public string RegistryAuthSection(string dir)
    {
        string bundle = Path.Combine(dir, "token-signer.pem");
        File.WriteAllText(bundle, _certificate.ExportCertificatePem());
        return $"auth:\n  token:\n    realm: {Realm}\n    service: {Service}\n    issuer: {Issuer}\n    rootcertbundle: {bundle}\n";
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            Interlocked.Increment(ref Requests);
            try { Answer(ctx); }
            catch (Exception) { ctx.Response.StatusCode = 500; ctx.Response.Close(); }
        }
    }

    private void Answer(HttpListenerContext ctx)
    {
        string? user = null;
        if (ctx.Request.Headers["Authorization"] is { } auth && auth.StartsWith("Basic ", StringComparison.Ordinal))
        {
            string pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth[6..]));
            int colon = pair.IndexOf(':');
            if (colon < 0 || !_users.TryGetValue(pair[..colon], out string? password) || password != pair[(colon + 1)..])
            {
                ctx.Response.StatusCode = 401;
                ctx.Response.Close(Encoding.UTF8.GetBytes("{\"details\":\"incorrect username or password\"}"), willBlock: true);
                return;
            }
            user = pair[..colon];
        }
        var access = new JsonArray();
        if (user != null)
            foreach (string scope in ctx.Request.QueryString.GetValues("scope") ?? [])
            {
                var parts = scope.Split(':');   // repository:name:actions
                if (parts.Length == 3)
                    access.Add(new JsonObject { ["type"] = parts[0], ["name"] = parts[1], ["actions"] = new JsonArray(parts[2].Split(',').Select(a => (JsonNode)a).ToArray()) });
            }
        string token = Sign(user ?? "", access);
        byte[] body = Encoding.UTF8.GetBytes(new JsonObject { ["token"] = token, ["access_token"] = token, ["expires_in"] = 300 }.ToJsonString());
        ctx.Response.ContentType = "application/json";
        ctx.Response.Close(body, willBlock: true);
    }

    private string Sign(string subject, JsonArray access)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)) };
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["sub"] = subject, ["aud"] = Service, ["exp"] = now + 300, ["nbf"] = now - 10, ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"), ["access"] = access,
        };
        string signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        byte[] signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _listener.Close();
        _certificate.Dispose();
        _key.Dispose();
    }
}
