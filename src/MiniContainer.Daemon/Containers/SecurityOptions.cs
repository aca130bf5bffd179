using MiniContainer.Api;
using MiniContainer.Runtime;
using MiniContainer.Security.Seccomp;

namespace MiniContainer.Containers;

/// <summary>
/// HostConfig.SecurityOpt (`--security-opt`), typed, with dockerd's rules for reading it:
///   no-new-privileges[=BOOL]   seccomp=unconfined|builtin|&lt;profile JSON&gt;   systempaths=unconfined
///   apparmor=unconfined, label=disable (honoured as they are: MiniContainer applies no AppArmor profile and no
///   SELinux label); any other AppArmor profile or label is refused, as is every other key.
/// The docker CLI sends `seccomp=FILE` as the file's JSON content, and so does ours.
/// </summary>
public sealed record SecurityOptions(bool NoNewPrivileges, SeccompMode Seccomp, SeccompProfile? SeccompProfile, bool SystemPathsUnconfined)
{
    public static readonly SecurityOptions Default = new(false, SeccompMode.Default, null, false);

    public static SecurityOptions Parse(IReadOnlyList<string>? options)
    {
        var result = Default;
        foreach (string opt in options ?? [])
        {
            if (opt == "no-new-privileges") { result = result with { NoNewPrivileges = true }; continue; }
            if (opt == "disable") continue;   // dockerd's short form of label=disable

            // KEY=VALUE; dockerd still reads the deprecated KEY:VALUE.
            int sep = opt.IndexOf('=');
            if (sep < 0) sep = opt.IndexOf(':');
            if (sep < 0) throw new BadRequestException($"invalid --security-opt 1: \"{opt}\"");
            string key = opt[..sep], value = opt[(sep + 1)..];
            result = key switch
            {
                "no-new-privileges" => result with { NoNewPrivileges = ParseBool(value) ?? throw Invalid2(opt) },
                "seccomp" => value switch
                {
                    "unconfined" => result with { Seccomp = SeccompMode.Unconfined, SeccompProfile = null },
                    "builtin" => result with { Seccomp = SeccompMode.Default, SeccompProfile = null },
                    _ => result with { Seccomp = SeccompMode.Custom, SeccompProfile = ParseProfile(value) },
                },
                "systempaths" => value == "unconfined" ? result with { SystemPathsUnconfined = true } : throw Invalid2(opt),
                "apparmor" => value == "unconfined" ? result
                    : throw new BadRequestException($"invalid --security-opt: \"{opt}\": AppArmor is not supported by this daemon, so the profile \"{value}\" cannot be applied"),
                "label" => value == "disable" ? result
                    : throw new BadRequestException($"invalid --security-opt: \"{opt}\": SELinux labels are not supported by this daemon"),
                _ => throw Invalid2(opt),
            };
        }
        return result;
    }

    /// <summary>
    /// A container's options: its SecurityOpt, and the docker CLI's form of systempaths=unconfined, which it
    /// sends not as an option but as empty HostConfig.MaskedPaths and ReadonlyPaths.
    /// </summary>
    public static SecurityOptions Of(HostConfig h)
    {
        var options = Parse(h.SecurityOpt);
        if (h.MaskedPaths is { Count: 0 } && h.ReadonlyPaths is { Count: 0 }) options = options with { SystemPathsUnconfined = true };
        return options;
    }

    /// <summary>The filter for a container, by its HostConfig (see CompileFilter).</summary>
    public static byte[]? FilterFor(HostConfig h) => Of(h).CompileFilter(h.Privileged, h.CapAdd, h.CapDrop);

    private static BadRequestException Invalid2(string opt) => new($"invalid --security-opt 2: \"{opt}\"");

    /// <summary>Go's strconv.ParseBool, which dockerd uses for no-new-privileges=….</summary>
    private static bool? ParseBool(string s) => s switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };

    private static SeccompProfile ParseProfile(string json)
    {
        try { return SeccompProfile.Parse(json); }
        catch (SeccompProfileException e) { throw new BadRequestException(e.Message); }
    }

    /// <summary>
    /// The filter a container gets, compiled for its capabilities, or null: none for --privileged or
    /// seccomp=unconfined. A profile the compiler refuses is a 400.
    /// </summary>
    public byte[]? CompileFilter(bool privileged, IEnumerable<string>? capAdd, IEnumerable<string>? capDrop)
    {
        if (privileged || Seccomp == SeccompMode.Unconfined) return null;
        var names = CapabilitySet.Effective(capAdd, capDrop).Select(c => "CAP_" + CapabilitySet.Names[c]).ToHashSet();
        if (Seccomp == SeccompMode.Default) return DefaultFilters.For(names);
        try { return SeccompCompiler.Compile(SeccompProfile!, names, SeccompCompiler.RunningKernel); }
        catch (SeccompProfileException e) { throw new BadRequestException(e.Message); }
    }

    /// <summary>The default profile compiled once per capability set (most containers share Docker's default set).</summary>
    private static class DefaultFilters
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Cache = new();

        public static byte[] For(HashSet<string> caps) =>
            Cache.GetOrAdd(string.Join(",", caps.Order(StringComparer.Ordinal)),
                _ => SeccompCompiler.Compile(SeccompProfile.Default, caps, SeccompCompiler.RunningKernel));
    }
}

public enum SeccompMode { Default, Unconfined, Custom }
