using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Registry;

/// <summary>The registry's error body, {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown",…}]}, as
/// Docker prints it: "manifest unknown: manifest unknown" (code in lower case with spaces, then the message).</summary>
public static class RegistryErrors
{
    public static string Describe(string body, int status)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject o && o["errors"] is JsonArray { Count: > 0 } errors)
                return string.Join("; ", errors.OfType<JsonObject>().Select(e =>
                {
                    string code = (e["code"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? e["code"]!.GetValue<string>() : "";
                    string message = (e["message"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? e["message"]!.GetValue<string>() : "";
                    string codeText = code.ToLowerInvariant().Replace('_', ' ');
                    return codeText.Length > 0 && message.Length > 0 ? $"{codeText}: {message}" : codeText + message;
                }));
        }
        catch (JsonException) { }
        return string.IsNullOrWhiteSpace(body) ? $"unexpected status {status}" : $"unexpected status {status}: {body.Trim()}";
    }

    /// <summary>True when the error body carries one of <paramref name="codes"/>.</summary>
    public static bool HasCode(string body, params string[] codes) =>
        codes.Any(c => body.Contains($"\"{c}\"", StringComparison.Ordinal));
}
