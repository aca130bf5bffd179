using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniContainer.Security.Seccomp;

/// <summary>
/// A seccomp profile in Docker's JSON format (what `--security-opt seccomp=FILE` takes, and what Docker's
/// default profile is written in): a default action, the architectures it covers, and rules that give
/// named system calls another action — optionally only for some argument values, some capabilities,
/// some architectures or some kernel versions.
/// </summary>
public sealed class SeccompProfile
{
    public string DefaultAction { get; set; } = "";
    public uint? DefaultErrnoRet { get; set; }
    /// <summary>Explicit list of architectures (the older form); or archMap, never both.</summary>
    public List<string>? Architectures { get; set; }
    public List<SeccompArchMap>? ArchMap { get; set; }
    /// <summary>Filter flags (SECCOMP_FILTER_FLAG_…): not supported here, refused if given.</summary>
    public List<string>? Flags { get; set; }
    /// <summary>SCMP_ACT_NOTIFY's listener socket: not supported here, refused if given.</summary>
    public string? ListenerPath { get; set; }
    public List<SeccompRule>? Syscalls { get; set; }

    /// <summary>Reads a profile, with dockerd's wording for a profile that is not valid JSON.</summary>
    public static SeccompProfile Parse(string json)
    {
        SeccompProfile? profile;
        try { profile = JsonSerializer.Deserialize(json, SeccompJson.Default.SeccompProfile); }
        catch (JsonException e) { throw new SeccompProfileException($"Decoding seccomp profile failed: {e.Message}"); }
        return profile ?? throw new SeccompProfileException("Decoding seccomp profile failed: the profile is empty (null)");
    }

    /// <summary>Docker's default profile, as shipped inside MiniContainer (Security/Seccomp/default.json).</summary>
    public static string DefaultJson => _defaultJson.Value;

    /// <summary>The default profile, parsed once.</summary>
    public static SeccompProfile Default => _default.Value;

    private static readonly Lazy<string> _defaultJson = new(() =>
    {
        using var stream = typeof(SeccompProfile).Assembly.GetManifestResourceStream("MiniContainer.Security.Seccomp.default.json")
                           ?? throw new InvalidOperationException("the default seccomp profile is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static readonly Lazy<SeccompProfile> _default = new(() => Parse(DefaultJson));
}

public sealed class SeccompArchMap
{
    public string Architecture { get; set; } = "";
    public List<string>? SubArchitectures { get; set; }
}

/// <summary>One rule: these system calls get this action (when its conditions hold).</summary>
public sealed class SeccompRule
{
    public List<string>? Names { get; set; }
    /// <summary>The older single-name form.</summary>
    public string? Name { get; set; }
    public string Action { get; set; } = "";
    public uint? ErrnoRet { get; set; }
    /// <summary>Conditions on the arguments; all must hold (but two on the same argument mean either, as in runc).</summary>
    public List<SeccompArg>? Args { get; set; }
    public string? Comment { get; set; }
    /// <summary>The rule applies only if all of these hold…</summary>
    public SeccompFilter? Includes { get; set; }
    /// <summary>…and none of these.</summary>
    public SeccompFilter? Excludes { get; set; }
}

public sealed class SeccompArg
{
    public uint Index { get; set; }
    public ulong Value { get; set; }
    public ulong ValueTwo { get; set; }
    /// <summary>SCMP_CMP_EQ, _NE, _LT, _LE, _GT, _GE, or _MASKED_EQ ((arg &amp; Value) == ValueTwo).</summary>
    public string Op { get; set; } = "";
}

/// <summary>When a rule applies: capabilities the container has, the architecture (Go's names: amd64, x32…), the kernel version.</summary>
public sealed class SeccompFilter
{
    public List<string>? Caps { get; set; }
    public List<string>? Arches { get; set; }
    public string? MinKernel { get; set; }
}

/// <summary>A profile that cannot be used; the message is meant for the user (it ends up in a 400).</summary>
public sealed class SeccompProfileException(string message) : Exception(message);

// Go's encoding/json matches field names case-insensitively; Docker's profiles rely on that less than they could,
// but a hand-written "DefaultAction" must mean the same here as there.
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SeccompProfile))]
public sealed partial class SeccompJson : JsonSerializerContext;
