using MiniContainer.Linux;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// One config.json mount's "options", split the way mount(8) and runc read them: flags for mount(2), a bind
/// (recursive or not), a propagation change, and the rest as the filesystem's data string ("mode=755,size=65536k").
/// Filesystem data on a bind is passed to mount(2), which ignores it for a bind (as mount(8) and runc do).
/// Options of runc's own that minicontainer-runc does not do (tmpcopyup, idmap, recursive rro/rnosuid…) are refused.
/// </summary>
public sealed record OciMountOptions(MountFlags Flags, bool Bind, bool Recursive, MountFlags? Propagation, string Data)
{
    private static readonly Dictionary<string, (MountFlags Flag, bool Clear)> FlagWords = new()
    {
        ["ro"] = (MountFlags.ReadOnly, false), ["rw"] = (MountFlags.ReadOnly, true),
        ["nosuid"] = (MountFlags.NoSuid, false), ["suid"] = (MountFlags.NoSuid, true),
        ["nodev"] = (MountFlags.NoDev, false), ["dev"] = (MountFlags.NoDev, true),
        ["noexec"] = (MountFlags.NoExec, false), ["exec"] = (MountFlags.NoExec, true),
        ["sync"] = (MountFlags.Synchronous, false), ["async"] = (MountFlags.Synchronous, true),
        ["dirsync"] = (MountFlags.DirSync, false),
        ["noatime"] = (MountFlags.NoAtime, false), ["atime"] = (MountFlags.NoAtime, true),
        ["nodiratime"] = (MountFlags.NoDirAtime, false), ["diratime"] = (MountFlags.NoDirAtime, true),
        ["relatime"] = (MountFlags.RelAtime, false), ["norelatime"] = (MountFlags.RelAtime, true),
        ["strictatime"] = (MountFlags.StrictAtime, false), ["nostrictatime"] = (MountFlags.StrictAtime, true),
    };

    private static readonly HashSet<string> Refused = new()
    {
        "tmpcopyup", "idmap", "ridmap", "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec",
        "rnoatime", "ratime", "rrelatime", "rnorelatime", "rstrictatime", "rnostrictatime", "rnodiratime", "rdiratime",
        "remount", "mand", "nomand", "nosymfollow", "rnosymfollow", "symfollow", "rsymfollow",
    };

    /// <summary>The propagation words <see cref="OciBundle.PropagationFlags"/> knows.</summary>
    public static readonly string[] PropagationWords = ["private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"];

    /// <summary>Every option word Parse acts on (what `features` lists): the flags, bind/rbind/defaults and the
    /// propagation words. Anything else that is not refused goes to the filesystem as data.</summary>
    public static IEnumerable<string> Honoured => FlagWords.Keys.Concat(["bind", "rbind", "defaults"]).Concat(PropagationWords);

    public static OciMountOptions Parse(OciMount m)
    {
        MountFlags flags = 0;
        bool bind = m.Type == "bind", recursive = false;
        MountFlags? propagation = null;
        var data = new List<string>();
        foreach (string option in m.Options ?? [])
        {
            if (option is "bind" or "rbind") { bind = true; recursive |= option == "rbind"; continue; }
            if (option == "defaults") continue;
            if (FlagWords.TryGetValue(option, out var word)) { flags = word.Clear ? flags & ~word.Flag : flags | word.Flag; continue; }
            if (OciBundle.PropagationFlags(option) is { } p) { propagation = p; continue; }
            if (Refused.Contains(option))
                throw new OciConfigException($"mount {m.Destination}: option \"{option}\" is not supported by minicontainer-runc (refused rather than ignored)");
            data.Add(option);
        }
        // Filesystem options beside "bind" (runtime-tools adds "mode=755,size=1k" to its binds): mount(2) ignores the
        // data of a bind, as mount(8) and runc do; they are kept here and passed along all the same.
        return new OciMountOptions(flags, bind, recursive, propagation, string.Join(',', data));
    }
}
