using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniContainer.Cgroups;

/// <summary>The device kinds a device cgroup rule names: 'a' (all: every type, every number), 'c' (character), 'b' (block).</summary>
public enum DeviceType { All = 'a', Char = 'c', Block = 'b' }

/// <summary>What a rule allows or denies. The bit values are the kernel's BPF_DEVCG_ACC_* (mknod 1, read 2, write 4).</summary>
[Flags]
public enum DeviceAccess { None = 0, Mknod = 1, Read = 2, Write = 4, All = Mknod | Read | Write }

/// <summary>
/// One device cgroup rule, as Docker, runc and the kernel's cgroup v1 devices.allow/devices.deny spell it:
/// "c 1:3 rwm" (type, major:minor with '*' for any, access), plus whether it allows or denies.
/// <see cref="Any"/> is the wildcard number. Type 'a' ignores the numbers and the access: it switches the whole
/// list to allow-all or deny-all, as the kernel does.
/// </summary>
public sealed partial record DeviceRule(bool Allow, DeviceType Type, long Major, long Minor, DeviceAccess Access)
{
    /// <summary>The '*' of "c 136:* rwm".</summary>
    public const long Any = -1;

    public static DeviceRule AllowAll { get; } = new(true, DeviceType.All, Any, Any, DeviceAccess.All);
    public static DeviceRule DenyAll { get; } = new(false, DeviceType.All, Any, Any, DeviceAccess.All);

    public static DeviceRule AllowChar(long major, long minor, DeviceAccess access = DeviceAccess.All) => new(true, DeviceType.Char, major, minor, access);

    // Docker's daemon-side pattern (moby oci.AppendDevicePermissionsFromCgroupRules); the CLI's is the same without groups.
    [GeneratedRegex(@"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")]
    private static partial Regex CgroupRuleSyntax();

    /// <summary>
    /// Parses --device-cgroup-rule's "TYPE MAJOR:MINOR ACCESS" ("c 1:3 rwm", "b 8:* r", "a *:* rwm"), refusing
    /// what Docker refuses with its words (FormatException). Numbers above 2^31-1 are refused too: no Linux device
    /// has one, and the BPF program compares them as signed 32-bit immediates.
    /// </summary>
    public static DeviceRule Parse(string text, bool allow = true)
    {
        Match m = CgroupRuleSyntax().Match(text);
        if (!m.Success) throw new FormatException($"invalid device cgroup rule format: '{text}'");
        long major = Number(m.Groups[2].Value, "major", text), minor = Number(m.Groups[3].Value, "minor", text);
        return new DeviceRule(allow, (DeviceType)m.Groups[1].Value[0], major, minor, ParseAccess(m.Groups[4].Value));
    }

    /// <summary>True when <paramref name="text"/> is a rule Docker's CLI would accept (`^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$`).</summary>
    public static bool IsValidSyntax(string text) => CgroupRuleSyntax().IsMatch(text);

    private static long Number(string text, string which, string rule)
    {
        if (text == "*") return Any;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > int.MaxValue)
            throw new FormatException($"invalid {which} value in device cgroup rule format: '{rule}'");
        return n;
    }

    /// <summary>"rwm", "r", "mw"… → flags. Repeats are allowed (Docker's regex allows "rr"); other letters are not.</summary>
    public static DeviceAccess ParseAccess(string text)
    {
        var access = DeviceAccess.None;
        foreach (char ch in text)
            access |= ch switch
            {
                'r' => DeviceAccess.Read, 'w' => DeviceAccess.Write, 'm' => DeviceAccess.Mknod,
                _ => throw new FormatException($"invalid device access '{text}': want a combination of r, w and m"),
            };
        if (access == DeviceAccess.None) throw new FormatException("invalid device access '': want a combination of r, w and m");
        return access;
    }

    public static string AccessText(DeviceAccess access) =>
        ((access & DeviceAccess.Read) != 0 ? "r" : "") + ((access & DeviceAccess.Write) != 0 ? "w" : "") + ((access & DeviceAccess.Mknod) != 0 ? "m" : "");

    /// <summary>The line cgroup v1's devices.allow / devices.deny take: "c 1:3 rwm", "a *:* rwm".</summary>
    public string CgroupText => $"{(char)Type} {NumberText(Major)}:{NumberText(Minor)} {AccessText(Access)}";

    private static string NumberText(long n) => n == Any ? "*" : n.ToString(CultureInfo.InvariantCulture);

    /// <summary>"allow c 1:3 rwm" / "deny a *:* rwm": how spec.json carries rules (read back with <see cref="ParseSpecLine"/>).</summary>
    public override string ToString() => (Allow ? "allow " : "deny ") + CgroupText;

    /// <summary>Reads what <see cref="ToString"/> wrote.</summary>
    public static DeviceRule ParseSpecLine(string line) =>
        line.StartsWith("allow ", StringComparison.Ordinal) ? Parse(line["allow ".Length..], allow: true)
        : line.StartsWith("deny ", StringComparison.Ordinal) ? Parse(line["deny ".Length..], allow: false)
        : throw new FormatException($"invalid device rule \"{line}\": want \"allow RULE\" or \"deny RULE\"");

    /// <summary>Does this rule name the device (type, numbers)? 'a' and '*' match anything; access is not considered.</summary>
    public bool Names(DeviceType type, long major, long minor) =>
        (Type == DeviceType.All || Type == type) && (Major == Any || Major == major) && (Minor == Any || Minor == minor);
}
