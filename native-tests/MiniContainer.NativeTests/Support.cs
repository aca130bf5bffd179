using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiniContainer.NativeTests.Harness;
using Xunit;

// One test at a time: the CPU-quota measurement and the stress runs need the machine's two cores to themselves,
// and each class's daemon makes shim processes and cgroups that other classes' leftover checks must not see.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace MiniContainer.NativeTests;

/// <summary>Small helpers the native test classes share: unique names, waiting, reading what a probe printed.</summary>
public static class Support
{
    /// <summary>"prefix-1a2b3c4d": container and image names that no other test (or session) uses.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Fails with the whole command result (exit code, stdout, stderr) when it did not exit 0.</summary>
    public static CommandResult Ok(this CommandResult r, string? what = null)
    {
        Assert.True(r.ExitCode == 0, $"{what ?? "command"} failed: {r}");
        return r;
    }

    /// <summary>stdout's lines, with the \r a pty adds removed.</summary>
    public static string[] Lines(this string text) =>
        text.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// A wall-clock bound for a test, stretched on a slow machine: MINICONTAINER_TEST_SLOWDOWN (default 1) multiplies it.
    /// scripts/vm-test.sh sets 3, because software emulation on a busy host runs 10–30× slower than the host.
    /// </summary>
    public static TimeSpan TimeLimit(double seconds) =>
        TimeSpan.FromSeconds(seconds * (double.TryParse(Environment.GetEnvironmentVariable("MINICONTAINER_TEST_SLOWDOWN"),
            System.Globalization.CultureInfo.InvariantCulture, out double f) && f >= 1 ? f : 1));

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}");
            Thread.Sleep(50);
        }
    }

    /// <summary>The inode of each of this (host) process's namespaces: "pid" → 4026531836.</summary>
    public static Dictionary<string, ulong> HostNamespaces() =>
        Directory.GetFiles("/proc/self/ns").ToDictionary(Path.GetFileName,
            f => ulong.Parse(Regex.Match(new FileInfo(f).LinkTarget ?? "", @"\[(\d+)\]").Groups[1].Value))!;

    /// <summary>The JSON object the probe's nsinfo printed (the last line of stdout that starts with '{').</summary>
    public static NsInfo ParseNsInfo(string stdout)
    {
        string line = stdout.Lines().Last(l => l.TrimStart().StartsWith('{'));
        using var doc = JsonDocument.Parse(line);
        JsonElement e = doc.RootElement;
        return new NsInfo(
            e.GetProperty("pid").GetInt32(), e.GetProperty("ppid").GetInt32(), e.GetProperty("uid").GetInt32(),
            e.GetProperty("hostname").GetString()!,
            e.GetProperty("ns").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetUInt64()),
            e.GetProperty("capeff").GetString()!, e.GetProperty("cwd").GetString()!,
            e.GetProperty("cgroups").EnumerateArray().Select(c => c.GetString()!).ToList());
    }

    /// <summary>/proc/mounts (inside a container: `cat /proc/mounts`) as records.</summary>
    public static List<MountEntry> ParseMounts(string procMounts) =>
        procMounts.Lines().Select(l => l.Split(' ')).Where(f => f.Length >= 4)
            .Select(f => new MountEntry(f[0], f[1], f[2], f[3].Split(','))).ToList();

    /// <summary>True on a unified (v2 only) host; these build machines are hybrid v1.</summary>
    public static bool CgroupV2 => File.Exists("/sys/fs/cgroup/cgroup.controllers");

    /// <summary>The files under the data root that hold images (images/, layers/, blobs/): what a failed load must not change.</summary>
    public static SortedSet<string> ImageStoreFiles(Daemon daemon)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string sub in new[] { "images", "layers", "blobs" })
        {
            string dir = Path.Combine(daemon.DataRoot, sub);
            if (!Directory.Exists(dir)) continue;
            // layers/<chain-id>/diff/...: the unpacked trees are big; their top two levels say what is stored.
            var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = sub == "layers" ? 1 : 3, AttributesToSkip = 0 };
            foreach (string f in Directory.EnumerateFileSystemEntries(dir, "*", options)) files.Add(Path.GetRelativePath(daemon.DataRoot, f));
        }
        return files;
    }

    /// <summary>Shim processes of this daemon (their command line names its data root).</summary>
    public static IReadOnlyList<string> ShimsOf(Daemon daemon) => HostState.ShimProcesses(daemon.Root);

    /// <summary>
    /// The container cgroups present now, for before/after comparisons. Other sessions on the same machine run
    /// containers too, so a test compares its own snapshots and looks only at cgroups that appeared in between.
    /// </summary>
    public static HashSet<string> CgroupSnapshot() => HostState.ContainerCgroups().ToHashSet();

    /// <summary>
    /// Container cgroups that appeared since <paramref name="before"/> and are still there after up to
    /// <paramref name="settle"/>, that hold no process (a leaked cgroup of an exited container; another session's live
    /// container always holds one).
    /// </summary>
    public static IReadOnlyList<string> LeakedCgroupsSince(HashSet<string> before, TimeSpan settle)
    {
        List<string> Leaked() => HostState.ContainerCgroups()
            .Where(d => !before.Contains(d) && Directory.Exists(d))
            .Where(d => { try { return File.ReadAllText(Path.Combine(d, "cgroup.procs")).Trim().Length == 0; } catch (IOException) { return false; } })
            .ToList();
        var clock = Stopwatch.StartNew();
        List<string> leaked = Leaked();
        while (leaked.Count > 0 && clock.Elapsed < settle)
        {
            Thread.Sleep(200);
            leaked = Leaked();
        }
        return leaked;
    }

    /// <summary>The container's full ID.</summary>
    public static string IdOf(Daemon daemon, string nameOrId) =>
        daemon.Run("inspect", "-f", "{{.Id}}", nameOrId).Ok("inspect").Stdout.Trim();

    public static string Inspect(Daemon daemon, string nameOrId, string format) =>
        daemon.Run("inspect", "-f", format, nameOrId).Ok("inspect " + format).Stdout.Trim();

    /// <summary>The shim of a running container: its PID 1's parent. Not found by command line: a warm shim's (started
    /// before its container was known) says "minicontainer-shim warm".</summary>
    public static int ShimPidOf(Daemon daemon, string nameOrId) => ParentOf(int.Parse(Inspect(daemon, nameOrId, "{{.State.Pid}}")));

    /// <summary>The parent pid, from /proc/PID/stat (the field after the state, past the command's closing parenthesis).</summary>
    public static int ParentOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }

    /// <summary>The names/IDs `ps -a` lists, sorted: what a failed command must leave unchanged.</summary>
    public static string PsAll(Daemon daemon) =>
        string.Join("\n", daemon.Run("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.State}}").Ok("ps -a").Stdout.Lines().Order(StringComparer.Ordinal));

    public static string ImagesList(Daemon daemon) =>
        string.Join("\n", daemon.Run("images", "--no-trunc").Ok("images").Stdout.Lines().Skip(1).Order(StringComparer.Ordinal));

    /// <summary>Single-quotes a word for sh -c.</summary>
    public static string ShQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>The CLI invocation against <paramref name="daemon"/> as one shell string (for script/tmux).</summary>
    public static string CliLine(Daemon daemon) => $"{ShQuote(Daemon.Cli)} -H {ShQuote(daemon.Host)} --no-autostart";
}

public sealed record NsInfo(int Pid, int Ppid, int Uid, string Hostname, Dictionary<string, ulong> Ns, string CapEff, string Cwd, List<string> Cgroups);

public sealed record MountEntry(string Source, string Target, string FsType, string[] Options)
{
    public bool ReadOnly => Options.Contains("ro");
}
