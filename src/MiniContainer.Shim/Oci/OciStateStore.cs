using System.Text.Json;
using System.Text.RegularExpressions;
using MiniContainer.Linux;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// minicontainer-runc's state between its commands, one directory per container under --root
/// (default /run/minicontainer-runc, volatile like runc's /run/runc):
///   ROOT/ID/state.json   the record (bundle, pid and its start time, cgroup), written atomically
///   ROOT/ID/exec.fifo    exists from `create` until `start`: the held process blocks opening it for writing
/// The status is never stored: it is read from the kernel each time (is the pid still that process? is the FIFO
/// still there?), so a container that ended while nobody watched reads "stopped".
/// </summary>
public sealed partial class OciStateStore(string root)
{
    public const string DefaultRoot = "/run/minicontainer-runc";
    public const string FifoName = "exec.fifo";

    public string Root { get; } = root;

    public string DirectoryOf(string id) => Path.Combine(Root, id);
    public string FifoOf(string id) => Path.Combine(DirectoryOf(id), FifoName);

    [GeneratedRegex(@"^[\w+\-\.]+$")]
    private static partial Regex IdSyntax();

    /// <summary>The container ids runc allows (letters, digits, _ + - .), so an id is always one plain directory name.</summary>
    public static void ValidateId(string id)
    {
        if (!IdSyntax().IsMatch(id) || id is "." or "..") throw new OciConfigException($"invalid container id format: {id}");
    }

    public bool Exists(string id) => Directory.Exists(DirectoryOf(id));

    public OciRecord Load(string id)
    {
        ValidateId(id);
        string file = Path.Combine(DirectoryOf(id), "state.json");
        if (!File.Exists(file)) throw new OciConfigException($"container \"{id}\" does not exist");
        return JsonSerializer.Deserialize(File.ReadAllText(file), OciJson.Default.OciRecord)
               ?? throw new OciConfigException($"container \"{id}\": empty state file");
    }

    public void Save(OciRecord record)
    {
        string file = Path.Combine(DirectoryOf(record.Id), "state.json");
        string temp = file + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(record, OciJson.Default.OciRecord));
        Kernel.Chmod(temp, 0x1A4);   // 0644: the init stage of a user-namespaced container reads it as an unmapped uid
        File.Move(temp, file, overwrite: true);
    }

    public IEnumerable<string> Ids() =>
        Directory.Exists(Root) ? Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order() : [];

    /// <summary>runtime.md's statuses: "created" (held before execve), "running", "stopped"; and runc's "paused" (frozen).</summary>
    public string StatusOf(OciRecord r)
    {
        if (!IsAlive(r.Pid, r.StartTime)) return "stopped";
        if (File.Exists(FifoOf(r.Id))) return "created";
        try { return Cgroups.CgroupManager.Open(r.CgroupName).IsFrozen() ? "paused" : "running"; }
        catch (Exception e) when (e is IOException or Cgroups.CgroupException) { return "running"; }   // no freezer to ask
    }

    public OciState StateOf(OciRecord r)
    {
        string status = StatusOf(r);
        return new OciState
        {
            Id = r.Id, Status = status, Pid = status == "stopped" ? 0 : r.Pid, Bundle = r.Bundle, Rootfs = r.Rootfs,
            Created = Rfc3339(r.Created), Owner = "", Annotations = r.Annotations,
        };
    }

    /// <summary>The state hooks read on stdin, with the status of the moment ("creating" before the process is held).</summary>
    public static string HookState(OciRecord r, string status) => JsonSerializer.Serialize(new OciState
    {
        Id = r.Id, Status = status, Pid = r.Pid, Bundle = r.Bundle, Rootfs = r.Rootfs, Created = Rfc3339(r.Created), Owner = "",
        Annotations = r.Annotations,
    }, OciJson.Default.OciState);

    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Is <paramref name="pid"/> still the process that was started at <paramref name="startTime"/>, and not a zombie?</summary>
    public static bool IsAlive(int pid, ulong startTime) =>
        pid > 0 && ProcStat.Read(pid) is { } stat && stat.State != 'Z' && stat.State != 'X' && stat.StartTime == startTime;
}

/// <summary>The two fields of /proc/PID/stat minicontainer-runc needs: the state letter and the start time.</summary>
public readonly record struct ProcStat(char State, ulong StartTime)
{
    public static ProcStat? Read(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        return Parse(text);
    }

    /// <summary>"PID (comm) S ppid …": the command may hold spaces and parentheses, so fields are counted after the last ')'.
    /// The state is field 3, the start time field 22.</summary>
    public static ProcStat? Parse(string text)
    {
        int close = text.LastIndexOf(')');
        if (close < 0) return null;
        string[] f = text[(close + 2)..].Split(' ');
        return f.Length > 19 && ulong.TryParse(f[19], out ulong start) ? new ProcStat(f[0][0], start) : null;
    }
}
