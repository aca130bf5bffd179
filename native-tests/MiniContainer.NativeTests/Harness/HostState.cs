namespace MiniContainer.NativeTests.Harness;

/// <summary>What of ours exists on the host: shims, cgroups, mounts. Tests compare before and after.</summary>
public static class HostState
{
    /// <summary>
    /// Shim processes, each described as its command line and its diagnostics file (stderr, the container's or exec's
    /// shim.log), and those of one daemon's data or exec root when <paramref name="under"/> is given. A warm shim (one
    /// started before its container was known) has "minicontainer-shim warm" for a command line all its life; once it
    /// is a container's, its shim.log names the container. One still waiting logs to the daemon's stderr, so it is not
    /// a container's shim and is not listed under a root.
    /// </summary>
    public static IReadOnlyList<string> ShimProcesses(string? under = null) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName)
            .Where(n => int.TryParse(n, out _))
            .Select(pid =>
            {
                try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ') + " (log " + new FileInfo($"/proc/{pid}/fd/2").LinkTarget + ")"; }
                catch (IOException) { return ""; }
                catch (UnauthorizedAccessException) { return ""; }
            })
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
