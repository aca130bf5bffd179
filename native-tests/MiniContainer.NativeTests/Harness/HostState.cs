namespace MiniContainer.NativeTests.Harness;

/// <summary>What of ours exists on the host: shims, cgroups, mounts. Tests compare before and after.</summary>
public static class HostState
{
    public static IReadOnlyList<string> ShimProcesses(string? under = null) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName)
            .Where(n => int.TryParse(n, out _))
            .Select(pid => { try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); } catch (IOException) { return ""; } })
            .Where(cmd => cmd.Contains("minicontainer-shim") && (under == null || cmd.Contains(under)))
            .ToList();

    public static IReadOnlyList<string> ContainerCgroups() =>
        Directory.GetDirectories("/sys/fs/cgroup", "*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3 })
            .Where(d => d.Contains("/minicontainer/"))
            .ToList();

    public static IReadOnlyList<string> CgroupsOf(string containerId) =>
        ContainerCgroups().Where(d => d.EndsWith(containerId, StringComparison.Ordinal)).ToList();

    public static IReadOnlyList<string> MountsUnder(string path) =>
        File.ReadLines("/proc/self/mountinfo").Where(l => l.Contains(path)).ToList();

    public static int OpenFds(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;
}
