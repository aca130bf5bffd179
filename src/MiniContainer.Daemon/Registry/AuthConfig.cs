using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Registry;

/// <summary>
/// The credentials a client sends for one registry (Docker's AuthConfig): in the X-Registry-Auth header of
/// pull and push as base64url-encoded JSON, and as the JSON body of POST /auth.
/// </summary>
public sealed record AuthConfig(string? Username, string? Password, string? IdentityToken, string? RegistryToken, string? ServerAddress)
{
    public static readonly AuthConfig Anonymous = new(null, null, null, null, null);

    public bool HasCredentials => !string.IsNullOrEmpty(Username) || !string.IsNullOrEmpty(IdentityToken) || !string.IsNullOrEmpty(RegistryToken);

    /// <summary>Decodes X-Registry-Auth (base64url JSON; padded or not, standard alphabet accepted too). Empty or "{}" is anonymous.</summary>
    public static AuthConfig FromHeader(string? header)
    {
        if (string.IsNullOrWhiteSpace(header)) return Anonymous;
        byte[] json;
        try { json = DecodeBase64Url(header); }
        catch (FormatException) { throw new FormatException("invalid X-Registry-Auth header: not base64url-encoded JSON"); }
        return FromJson(json);
    }

    /// <summary>Docker's registry headers (X-Registry-Auth, X-Registry-Config): base64url, padded or not; the standard alphabet works too.</summary>
    public static byte[] DecodeBase64Url(string value)
    {
        string text = value.Trim().Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(text.PadRight(text.Length + (4 - text.Length % 4) % 4, '='));
    }

    /// <summary>Reads {"username","password","auth","identitytoken","registrytoken","serveraddress"} (any case, as Go does).</summary>
    public static AuthConfig FromJson(ReadOnlySpan<byte> json)
    {
        JsonObject o;
        try { o = JsonNode.Parse(json) as JsonObject ?? new JsonObject(); }
        catch (JsonException e) { throw new FormatException("invalid registry credentials: " + e.Message); }
        string? Get(string key) => o.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value is JsonValue v
            && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

        string? user = Get("username"), password = Get("password");
        // "auth" is base64("user:password"), what config.json stores; a client may send only that.
        if (string.IsNullOrEmpty(user) && Get("auth") is { Length: > 0 } auth)
        {
            try
            {
                string pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
                int colon = pair.IndexOf(':');
                if (colon > 0) { user = pair[..colon]; password = pair[(colon + 1)..]; }
            }
            catch (FormatException) { }
        }
        return new AuthConfig(user, password, Get("identitytoken"), Get("registrytoken"), Get("serveraddress"));
    }
}
