using System.Text.Json;
using MiniContainer.Runtime;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// `features`: what this runtime honours, as the JSON runc 1.1 prints (runtime-spec's features.md, then still
/// runc's own): ociVersionMin/Max, hooks, mountOptions, linux namespaces/capabilities/cgroup/seccomp/apparmor/selinux,
/// annotations. It describes minicontainer-runc, not runc: each list comes from the table the code accepts or refuses
/// with (OciMountOptions' words, OciBundle's namespace types, CapabilitySet.Names, the seccomp compiler's actions and
/// operators), so a caller that plans by it (containerd, podman) asks only for what will be done.
/// </summary>
public static class OciFeatures
{
    /// <summary>The hooks OciRuntime and OciInit run (runtime-spec config.md "POSIX-platform Hooks"), in lifecycle order.</summary>
    public static readonly string[] Hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

    /// <summary>What SeccompCompiler turns into a BPF return value (SCMP_ACT_NOTIFY is refused: no listener socket).</summary>
    public static readonly string[] SeccompActions =
    [
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
        "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
    ];

    public static readonly string[] SeccompOperators =
        ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"];

    /// <summary>The filter checks seccomp_data.arch against x86_64 and kills any other ABI (SeccompCompiler's first step):
    /// a profile may name other architectures, but only x86_64's calls are ever let through by rule.</summary>
    public static readonly string[] SeccompArchs = ["SCMP_ARCH_X86_64"];

    public static string Json()
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("ociVersionMin", "1.0.0");
            w.WriteString("ociVersionMax", OciBundle.SpecVersion);
            WriteList(w, "hooks", Hooks);
            WriteList(w, "mountOptions", OciMountOptions.Honoured.Order(StringComparer.Ordinal));
            w.WriteStartObject("linux");
            WriteList(w, "namespaces", OciBundle.NamespaceNames.Order(StringComparer.Ordinal));
            WriteList(w, "capabilities", CapabilitySet.Names.Select(n => "CAP_" + n));
            w.WriteStartObject("cgroup");
            w.WriteBoolean("v1", true);
            w.WriteBoolean("v2", true);
            w.WriteBoolean("systemd", false);       // --systemd-cgroup is refused
            w.WriteBoolean("systemdUser", false);
            w.WriteEndObject();
            w.WriteStartObject("seccomp");
            w.WriteBoolean("enabled", true);
            WriteList(w, "actions", SeccompActions);
            WriteList(w, "operators", SeccompOperators);
            WriteList(w, "archs", SeccompArchs);
            w.WriteEndObject();
            w.WriteStartObject("apparmor"); w.WriteBoolean("enabled", false); w.WriteEndObject();   // apparmorProfile is refused
            w.WriteStartObject("selinux"); w.WriteBoolean("enabled", false); w.WriteEndObject();    // selinuxLabel, mountLabel too
            w.WriteEndObject();
            w.WriteStartObject("annotations");
            // The key runc sets and podman/CRI read before offering a checkpoint: we have none.
            w.WriteString("org.opencontainers.runc.checkpoint.enabled", "false");
            w.WriteString("org.minicontainer.runtime.version", RuncCommand.Version);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteList(Utf8JsonWriter w, string name, IEnumerable<string> items)
    {
        w.WriteStartArray(name);
        foreach (string item in items) w.WriteStringValue(item);
        w.WriteEndArray();
    }
}
