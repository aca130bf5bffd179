using MiniContainer.Linux;
namespace MiniContainer.Cgroups;


/// <summary>
/// Entry point: which cgroup version the host runs, and a container's cgroup in it.
/// <code>
/// ICgroup cg = CgroupManager.Open(CgroupManager.NameFor(id));   // "minicontainer/&lt;id&gt;"
/// cg.Create(); cg.Apply(limits); cg.AddProcess(pid);
/// … bool oom = cg.OomKilled(); cg.Destroy();
/// </code>
/// </summary>
public static class CgroupManager
{
    /// <summary>Every container cgroup lives under this one, in every hierarchy (docs/design.md §3: host objects carry the prefix).</summary>
    public const string ParentName = "minicontainer";

    public static string NameFor(string containerId) => $"{ParentName}/{containerId}";

    /// <summary>The spare cgroup a warm shim (process <paramref name="shimPid"/>) keeps its init stage in until it is
    /// renamed to its container's (cgroup v1 only; see minicontainer-shim warm).</summary>
    public static string WarmSpareName(int shimPid) => $"{ParentName}/{WarmSparePrefix}{shimPid}";

    public const string WarmSparePrefix = "warm-";

    /// <summary>The cgroup <paramref name="name"/> (relative to each hierarchy root); nothing is created until <see cref="ICgroup.Create"/>.</summary>
    public static ICgroup Open(string name, CgroupFs? fs = null)
    {
        ValidateName(name);
        fs ??= CgroupFs.Host;
        return fs.Version == CgroupVersion.V2 ? new CgroupV2(name, fs) : new CgroupV1(name, fs);
    }

    /// <summary>statfs(2) on <paramref name="cgroupRoot"/>: V2 when it is a cgroup2 filesystem (CGROUP2_SUPER_MAGIC), else V1 (a tmpfs of v1 mounts).</summary>
    public static CgroupVersion DetectVersion(string cgroupRoot = CgroupFs.DefaultRoot) =>
        Kernel.StatFs(cgroupRoot).Type == Kernel.CGROUP2_SUPER_MAGIC ? CgroupVersion.V2 : CgroupVersion.V1;

    /// <summary>The same decision from /proc/self/mountinfo text (pure; what <see cref="CgroupFs.FromMountInfo"/> decides).</summary>
    public static CgroupVersion DetectVersionFromMountInfo(string mountInfo, string cgroupRoot = CgroupFs.DefaultRoot) =>
        CgroupFs.FromMountInfo(mountInfo, cgroupRoot).Version;

    /// <summary>
    /// Removes the shared "minicontainer" parent in every hierarchy if no container cgroup is left under it.
    /// rmdir refuses (EBUSY) while a child exists, so this never removes a live container's cgroup. Not done by
    /// Destroy, so that concurrent Creates rarely race with it (and Create repairs the parent if one does).
    /// </summary>
    public static bool RemoveParentIfEmpty(CgroupFs? fs = null)
    {
        fs ??= CgroupFs.Host;
        IEnumerable<string> mounts = fs.Version == CgroupVersion.V2
            ? [fs.UnifiedMount!]
            : CgroupV1.Controllers.Select(fs.MountOf).OfType<string>().Distinct();
        bool removed = true;
        foreach (string mount in mounts)
        {
            string dir = Path.Combine(mount, ParentName);
            if (!System.IO.Directory.Exists(dir)) continue;
            if (System.IO.Directory.GetDirectories(dir).Length > 0) { removed = false; continue; }
            try
            {
                long t = Explaining.Explain.Begin();
                System.IO.Directory.Delete(dir);
                if (t != 0) Explaining.Explain.Record(t, Explaining.ExplainText.CgroupRemove(dir));
            }
            catch (DirectoryNotFoundException) { }
            catch (IOException) { removed = false; }
        }
        return removed;
    }

    /// <summary>A relative path of plain names: no "", ".", ".." or leading "/" that could escape the hierarchy.</summary>
    public static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.StartsWith('/') ||
            name.Split('/').Any(p => p.Length == 0 || p == "." || p == ".." || p.Contains('\0')))
            throw new ArgumentException($"invalid cgroup name \"{name}\": want a relative path like \"{ParentName}/<container-id>\"", nameof(name));
    }
}
