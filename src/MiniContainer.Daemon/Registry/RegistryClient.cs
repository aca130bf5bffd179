using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Registry;

/// <summary>
/// A client of the OCI Distribution API for one registry and one set of credentials: the /v2/ ping, the auth
/// handshake (anonymous, Basic, or a Bearer token from the realm the registry names), and the requests pull and
/// push are made of. Every call that hits a 401 learns the registry's challenge, gets the credentials or token it
/// asks for, and tries once more; a Bearer token is cached per scope set.
/// </summary>
public sealed partial class RegistryClient
{
    /// <summary>One connection pool for every registry: connects time out quickly, bodies may take as long as they need.</summary>
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(15),
        AllowAutoRedirect = true,                 // blob GETs are often redirected to storage; the Authorization header is dropped there
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    private static readonly string UserAgent = $"minicontainer/{MiniContainer.Api.DaemonInfo.Version}";

    private readonly AuthConfig _credentials;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);   // scope set → bearer token
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private List<AuthChallenge>? _challenges;

    public RegistryEndpoint Endpoint { get; }

    public RegistryClient(RegistryEndpoint endpoint, AuthConfig credentials)
    {
        Endpoint = endpoint;
        _credentials = credentials;
    }

    private Uri Url(string pathAndQuery) => new(Endpoint.BaseUri, pathAndQuery);

    // ───────────────────────────── ping and login ─────────────────────────────

    /// <summary>GET /v2/: is this a registry, and how does it want us to authenticate? Remembers the challenge.</summary>
    public async Task PingAsync(CancellationToken ct)
    {
        if (_challenges != null) return;
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, Url("/v2/")), ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            _challenges = AuthChallenge.Parse(response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        else if (response.IsSuccessStatusCode)
            _challenges = [];
        else
            throw new RegistryException($"{Url("/v2/")} does not look like a registry: GET /v2/ answered {(int)response.StatusCode} {response.ReasonPhrase}");
    }

    /// <summary>
    /// `docker login`: checks the credentials against the registry. Basic: GET /v2/ with them must answer 200.
    /// Bearer: the token endpoint must hand out a token for them. Throws RegistryException(401) when refused.
    /// </summary>
    public async Task LoginAsync(CancellationToken ct)
    {
        await PingAsync(ct);
        if (_challenges!.Count == 0) return;   // an open registry accepts anyone
        if (_challenges.FirstOrDefault(c => c.IsBearer) is { } bearer)
        {
            await FetchTokenAsync(bearer, [], ct);
            return;
        }
        using var response = await SendRawAsync(() => WithBasic(new HttpRequestMessage(HttpMethod.Get, Url("/v2/"))), ct);
        if (!response.IsSuccessStatusCode)
            throw new RegistryException($"login attempt to {Url("/v2/")} failed with status: {(int)response.StatusCode} {response.ReasonPhrase}", 401);
    }

    // ───────────────────────────── sending with auth ─────────────────────────────

    /// <summary>
    /// Sends a request made by <paramref name="make"/> (called again for the retry) with the credentials the registry
    /// asked for; <paramref name="scopes"/> are the Bearer scopes it needs ("repository:app:pull,push").
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> make, string[] scopes, CancellationToken ct)
    {
        await PingAsync(ct);
        var response = await SendRawAsync(async () => await AuthorizeAsync(make(), scopes, ct), ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized || response.Headers.WwwAuthenticate.Count == 0) return response;

        // The registry wants something else (a wider scope, or credentials now that it is not open): learn and retry once.
        var challenges = AuthChallenge.Parse(response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        response.Dispose();
        if (challenges.Count > 0) _challenges = challenges;
        var extraScopes = challenges.Where(c => c.IsBearer && c["scope"] is { Length: > 0 }).Select(c => c["scope"]!);
        string[] wider = scopes.Concat(extraScopes).Distinct().ToArray();
        return await SendRawAsync(async () => await AuthorizeAsync(make(), wider, ct, refresh: true), ct);
    }

    private Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> make, CancellationToken ct) =>
        SendRawAsync(() => Task.FromResult(make()), ct);

    /// <summary>Sends without any auth logic; a network failure becomes a RegistryException naming the request, as Docker's does.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(Func<Task<HttpRequestMessage>> make, CancellationToken ct)
    {
        var request = await make();
        request.Headers.UserAgent.ParseAdd(UserAgent);
        string method = request.Method.Method[0] + request.Method.Method[1..].ToLowerInvariant();
        try
        {
            return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            string why = e.InnerException is System.Net.Sockets.SocketException s ? $"{s.Message.ToLowerInvariant()}" : e.Message;
            string hint = Endpoint.Name == RegistryEndpoint.DockerHubName ? " (this machine cannot reach Docker Hub; load the image with `load`, or pull from a registry it can reach)" : "";
            throw new RegistryException($"{method} \"{request.RequestUri}\": dial tcp {Endpoint.Host}: {why}{hint}", 500, e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new RegistryException($"{method} \"{request.RequestUri}\": timed out connecting to {Endpoint.Host}", 500, e);
        }
        finally { request.Dispose(); }
    }

    /// <summary>Adds the Authorization header the registry's challenge calls for.</summary>
    private async Task<HttpRequestMessage> AuthorizeAsync(HttpRequestMessage request, string[] scopes, CancellationToken ct, bool refresh = false)
    {
        var challenges = _challenges ?? [];
        if (challenges.FirstOrDefault(c => c.IsBearer) is { } bearer)
        {
            string token = await TokenAsync(bearer, scopes, refresh, ct);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (challenges.Any(c => c.IsBasic)) WithBasic(request);
        return request;
    }

    private HttpRequestMessage WithBasic(HttpRequestMessage request)
    {
        if (!string.IsNullOrEmpty(_credentials.Username))
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_credentials.Username}:{_credentials.Password}")));
        return request;
    }

    private async Task<string> TokenAsync(AuthChallenge bearer, string[] scopes, bool refresh, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(_credentials.RegistryToken)) return _credentials.RegistryToken;
        string key = string.Join(' ', scopes.Order(StringComparer.Ordinal));
        await _tokenLock.WaitAsync(ct);
        try
        {
            if (!refresh && _tokens.TryGetValue(key, out string? cached)) return cached;
            return _tokens[key] = await FetchTokenAsync(bearer, scopes, ct);
        }
        finally { _tokenLock.Release(); }
    }

    /// <summary>GET realm?service=…&amp;scope=… (with Basic credentials when we have them): the registry's token server.</summary>
    private async Task<string> FetchTokenAsync(AuthChallenge bearer, string[] scopes, CancellationToken ct)
    {
        string realm = bearer["realm"] ?? throw new RegistryException("the registry's Bearer challenge names no realm (token server)");
        var query = new List<string>();
        if (bearer["service"] is { } service) query.Add("service=" + Uri.EscapeDataString(service));
        foreach (string scope in scopes) query.Add("scope=" + Uri.EscapeDataString(scope));
        if (!string.IsNullOrEmpty(_credentials.Username)) query.Add("account=" + Uri.EscapeDataString(_credentials.Username));
        var uri = new UriBuilder(realm) { Query = string.Join('&', query) }.Uri;

        using var response = await SendRawAsync(() => WithBasic(new HttpRequestMessage(HttpMethod.Get, uri)), ct);
        string body = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new RegistryException($"Get \"{uri}\": unauthorized: {(string.IsNullOrEmpty(_credentials.Username) ? "authentication required" : "incorrect username or password")}", 401);
        if (!response.IsSuccessStatusCode)
            throw new RegistryException($"Get \"{uri}\": the token server answered {(int)response.StatusCode}: {RegistryErrors.Describe(body, (int)response.StatusCode)}");
        try
        {
            var o = JsonNode.Parse(body) as JsonObject;
            string? token = (o?["token"] as JsonValue)?.GetValue<string>() ?? (o?["access_token"] as JsonValue)?.GetValue<string>();
            return !string.IsNullOrEmpty(token) ? token : throw new RegistryException($"the token server at {realm} answered without a token");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new RegistryException($"the token server at {realm} answered with invalid JSON: {e.Message}");
        }
    }

    public static string PullScope(string repository) => $"repository:{repository}:pull";
    public static string PushScope(string repository) => $"repository:{repository}:pull,push";
}
