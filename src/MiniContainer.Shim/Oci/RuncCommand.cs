using System.Text.Json;
using MiniContainer.Linux;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// `minicontainer-runc`: the OCI runtime command line, as containerd's runc shim, podman and runtime-tools call runc.
///   minicontainer-runc [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND [flags] ID
/// Commands: create, start, state, kill, delete, run, list, exec, ps, pause, resume, spec, update, events, features. Errors go to stderr and, with --log, to the log file
/// (one JSON object per line with --log-format json, which containerd reads back); the exit code is then 1.
/// </summary>
public static class RuncCommand
{
    public const string Version = "0.1";

    private sealed class Globals
    {
        public string Root = OciStateStore.DefaultRoot;
        public string? Log;
        public bool JsonLog;
    }

    public static int Run(string[] args)
    {
        var g = new Globals();
        int i = 0;
        try
        {
            for (; i < args.Length && args[i].StartsWith('-'); i++)
            {
                var (name, value) = SplitFlag(args[i]);
                switch (name)
                {
                    case "--root": g.Root = value ?? Next(args, ref i, name); break;
                    case "--log": g.Log = value ?? Next(args, ref i, name); break;
                    case "--log-format":
                        string format = value ?? Next(args, ref i, name);
                        g.JsonLog = format switch
                        {
                            "json" => true, "text" => false,
                            _ => throw new OciConfigException($"unknown log-format \"{format}\": want text or json"),
                        };
                        break;
                    case "--debug": break;   // our log has errors and warnings only: nothing more to say
                    case "--systemd-cgroup":
                        throw new OciConfigException("--systemd-cgroup is not supported: minicontainer-runc writes cgroupfs directly " +
                                                     "(drop the flag, or set SystemdCgroup = false in containerd's runc options)");
                    case "--rootless":
                        if (value is null or "false" or "auto") break;
                        throw new OciConfigException("--rootless: minicontainer-runc runs as root only");
                    case "-h" or "--help": Console.Out.Write(Usage); return 0;
                    case "-v" or "--version": Console.Out.WriteLine($"minicontainer-runc version {Version}\nspec: {OciBundle.SpecVersion}"); return 0;
                    default: throw new OciConfigException($"flag provided but not defined: {name}");
                }
            }
            if (i >= args.Length) { Console.Error.Write(Usage); return 1; }
            var store = new OciStateStore(Path.GetFullPath(g.Root));
            var runtime = new OciRuntime(store, message => LogLine(g, "warning", message));
            string command = args[i];
            var rest = args[(i + 1)..];
            return command switch
            {
                "create" => Create(runtime, rest, run: false),
                "run" => Create(runtime, rest, run: true),
                "start" => Simple(rest, "start", id => runtime.Start(id)),
                "state" => Simple(rest, "state", id => Console.Out.WriteLine(runtime.State(id))),
                "kill" => Kill(runtime, rest),
                "delete" => Delete(runtime, rest),
                "list" => List(store),
                "pause" => Simple(rest, "pause", id => runtime.Pause(id)),
                "resume" => Simple(rest, "resume", id => runtime.Resume(id)),
                "ps" => Ps(runtime, rest),
                "exec" => Exec(runtime, rest),
                "spec" => Spec(rest),
                "update" => Update(store, rest, message => LogLine(g, "warning", message)),
                "events" => Events(store, rest),
                "features" => Features(rest),
                "checkpoint" or "restore" =>
                    throw new OciConfigException($"\"{command}\" is not supported by minicontainer-runc: there is no checkpoint/restore (CRIU) support"),
                _ => throw new OciConfigException($"unknown command \"{command}\""),
            };
        }
        catch (Exception e) when (e is OciConfigException or ArgumentException or KernelException or IOException or UnauthorizedAccessException
                                      or InvalidOperationException or Cgroups.CgroupException)
        {
            LogLine(g, "error", e.Message);
            return 1;
        }
    }

    private const string Usage =
        "usage: minicontainer-runc [--root DIR] [--log FILE] [--log-format text|json] COMMAND [flags] ID\n" +
        "  create --bundle DIR [--pid-file FILE] [--console-socket SOCK] [--preserve-fds N] ID   set up, hold before execve\n" +
        "  start ID | state ID | kill [--all] ID [SIGNAL] | delete [--force] ID | list\n" +
        "  pause ID | resume ID | ps [--format table|json] ID\n" +
        "  spec [--bundle DIR]   write a starting config.json\n" +
        "  update [--resources FILE|-] [--memory N] [--cpu-quota N] [--pids-limit N] … ID | events [--stats] [--interval D] ID\n" +
        "  features   what minicontainer-runc honours, as JSON\n" +
        "  exec [--process FILE] [--detach] [--pid-file F] [--console-socket S] ID [COMMAND…]\n" +
        "  run [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--detach] ID   create + start + wait + delete\n";

    private static int Create(OciRuntime runtime, string[] args, bool run)
    {
        string bundle = ".";
        string? pidFile = null, consoleSocket = null, id = null;
        bool detach = false;
        int preserveFds = 0;
        for (int i = 0; i < args.Length; i++)
        {
            var (name, value) = SplitFlag(args[i]);
            switch (name)
            {
                case "--bundle" or "-b": bundle = value ?? Next(args, ref i, name); break;
                case "--pid-file": pidFile = Path.GetFullPath(value ?? Next(args, ref i, name)); break;
                case "--console-socket": consoleSocket = Path.GetFullPath(value ?? Next(args, ref i, name)); break;
                case "--detach" or "-d" when run: detach = true; break;
                case "--no-new-keyring": break;   // we never make a session keyring: the flag asks for what happens anyway
                case "--preserve-fds": preserveFds = OciPreservedFds.ParseCount(value ?? Next(args, ref i, name)); break;
                case "--no-pivot": throw new OciConfigException("--no-pivot is not supported: minicontainer-runc always uses pivot_root");
                default:
                    if (name.StartsWith('-')) throw new OciConfigException($"flag provided but not defined: {name}");
                    id = id is null ? args[i] : throw new OciConfigException($"{(run ? "run" : "create")}: one container id expected, got \"{args[i]}\" too");
                    break;
            }
        }
        if (id is null) throw new OciConfigException($"\"{(run ? "run" : "create")}\" requires exactly 1 argument: the container id");
        var options = new OciRuntime.CreateOptions(bundle, pidFile, consoleSocket, preserveFds);
        if (run) return runtime.Run(id, options, detach);
        runtime.Create(id, options);
        return 0;
    }

    private static int Simple(string[] args, string command, Action<string> action)
    {
        if (args.Length != 1 || args[0].StartsWith('-')) throw new OciConfigException($"\"{command}\" requires exactly 1 argument: the container id");
        action(args[0]);
        return 0;
    }

    private static int Kill(OciRuntime runtime, string[] args)
    {
        bool all = args.Contains("--all") || args.Contains("-a");
        var positional = args.Where(a => a is not ("--all" or "-a")).ToList();
        if (positional.Count is < 1 or > 2 || positional.Any(a => a.StartsWith('-')))
            throw new OciConfigException("usage: kill [--all] ID [SIGNAL]");
        runtime.Kill(positional[0], positional.Count == 2 ? ParseSignal(positional[1]) : 15, all);
        return 0;
    }

    private static int Delete(OciRuntime runtime, string[] args)
    {
        bool force = args.Contains("--force") || args.Contains("-f");
        var positional = args.Where(a => a is not ("--force" or "-f")).ToList();
        if (positional.Count != 1 || positional[0].StartsWith('-')) throw new OciConfigException("usage: delete [--force] ID");
        runtime.Delete(positional[0], force);
        return 0;
    }

    /// <summary>spec [--bundle DIR]: a starting config.json (OciSpecTemplate); --rootless is refused (root only).</summary>
    private static int Spec(string[] args)
    {
        string bundle = ".";
        for (int i = 0; i < args.Length; i++)
        {
            var (name, value) = SplitFlag(args[i]);
            if (name is "--bundle" or "-b") bundle = value ?? Next(args, ref i, name);
            else if (name == "--rootless") throw new OciConfigException("spec --rootless: minicontainer-runc runs as root only");
            else throw new OciConfigException($"spec: unexpected argument {args[i]}");
        }
        OciSpecTemplate.Write(bundle);
        return 0;
    }

    /// <summary>exec [--process FILE] [--detach] [--pid-file F] [--console-socket S] ID [COMMAND ARGS…]</summary>
    private static int Exec(OciRuntime runtime, string[] args)
    {
        string? processFile = null, pidFile = null, consoleSocket = null, id = null;
        bool detach = false;
        int preserveFds = 0;
        int i = 0;
        for (; i < args.Length && id is null; i++)
        {
            var (name, value) = SplitFlag(args[i]);
            switch (name)
            {
                case "--process" or "-p": processFile = Path.GetFullPath(value ?? Next(args, ref i, name)); break;
                case "--pid-file": pidFile = Path.GetFullPath(value ?? Next(args, ref i, name)); break;
                case "--console-socket": consoleSocket = Path.GetFullPath(value ?? Next(args, ref i, name)); break;
                case "--detach" or "-d": detach = true; break;
                case "--preserve-fds": preserveFds = OciPreservedFds.ParseCount(value ?? Next(args, ref i, name)); break;
                default:
                    if (name.StartsWith('-')) throw new OciConfigException($"exec: flag not supported by minicontainer-runc: {name}");
                    id = args[i];
                    break;
            }
        }
        if (id is null) throw new OciConfigException("usage: exec [--process FILE] [--detach] [--pid-file F] [--console-socket S] ID [COMMAND…]");
        if (processFile is not null && i < args.Length) throw new OciConfigException("exec: give --process FILE or a command, not both");
        return runtime.Exec(id, new OciRuntime.ExecOptions(processFile, args[i..], pidFile, consoleSocket, detach, preserveFds));
    }

    /// <summary>ps [--format table|json] ID: the container's host pids; json is a plain array, as runc prints it.</summary>
    private static int Ps(OciRuntime runtime, string[] args)
    {
        string format = "table";
        var positional = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            var (name, value) = SplitFlag(args[i]);
            if (name is "--format" or "-f") format = value ?? Next(args, ref i, name);
            else if (name.StartsWith('-')) throw new OciConfigException($"flag provided but not defined: {name}");
            else positional.Add(args[i]);
        }
        if (positional.Count != 1) throw new OciConfigException("usage: ps [--format table|json] ID");
        var pids = runtime.Processes(positional[0]);
        if (format == "json") { Console.Out.WriteLine("[" + string.Join(",", pids) + "]"); return 0; }
        if (format != "table") throw new OciConfigException($"invalid format option \"{format}\": want table or json");
        Console.Out.WriteLine("PID     CMD");
        foreach (int pid in pids)
        {
            string cmd;
            try { cmd = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim(); }
            catch (IOException) { continue; }   // ended meanwhile
            Console.Out.WriteLine($"{pid,-7} {cmd}");
        }
        return 0;
    }

    /// <summary>update [--resources FILE|-] [--memory N] … ID (OciUpdate).</summary>
    private static int Update(OciStateStore store, string[] args, Action<string> warn)
    {
        var (id, change) = OciUpdate.Parse(args, Console.In);
        OciUpdate.Apply(store, id, change, warn);
        return 0;
    }

    /// <summary>events [--stats] [--interval D] ID (OciEvents): one stats object, or the stream until the container stops.</summary>
    private static int Events(OciStateStore store, string[] args)
    {
        bool stats = false;
        var interval = TimeSpan.FromSeconds(5);
        string? id = null;
        for (int i = 0; i < args.Length; i++)
        {
            var (name, value) = SplitFlag(args[i]);
            switch (name)
            {
                case "--stats": stats = value is null or "true" ? true : value == "false" ? false : throw new OciConfigException($"invalid boolean value \"{value}\" for --stats"); break;
                case "--interval": interval = OciEvents.ParseDuration(value ?? Next(args, ref i, name)); break;
                default:
                    if (name.StartsWith('-')) throw new OciConfigException($"flag provided but not defined: {name}");
                    id = id is null ? args[i] : throw new OciConfigException($"events: one container id expected, got \"{args[i]}\" too");
                    break;
            }
        }
        if (id is null) throw new OciConfigException("\"events\" requires exactly 1 argument: the container id");
        var record = store.Load(id);
        if (store.StatusOf(record) == "stopped") throw new OciConfigException($"container {id} is not running");
        var cgroup = Cgroups.CgroupManager.Open(record.CgroupName);
        if (stats) { Console.Out.WriteLine(OciEvents.StatsEvent(id, cgroup.Stats())); return 0; }
        OciEvents.Stream(id, cgroup, interval, () => store.Exists(id) && store.StatusOf(record) != "stopped", Console.Out);
        return 0;
    }

    private static int Features(string[] args)
    {
        if (args.Length > 0) throw new OciConfigException($"features: unexpected argument {args[0]}");
        Console.Out.WriteLine(OciFeatures.Json());
        return 0;
    }

    private static int List(OciStateStore store)
    {
        Console.Out.WriteLine($"{"ID",-24} {"PID",-8} {"STATUS",-10} BUNDLE");
        foreach (string id in store.Ids())
        {
            var state = store.StateOf(store.Load(id));
            Console.Out.WriteLine($"{id,-24} {state.Pid,-8} {state.Status,-10} {state.Bundle}");
        }
        return 0;
    }

    private static readonly string[] SignalNames =
    {
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    };

    /// <summary>"9", "KILL" or "SIGKILL".</summary>
    public static int ParseSignal(string text)
    {
        if (int.TryParse(text, out int n) && n is > 0 and < 65) return n;
        string name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal)) name = name[3..];
        int i = Array.IndexOf(SignalNames, name);
        return i > 0 ? i : throw new OciConfigException($"unknown signal \"{text}\"");
    }

    private static (string Name, string? Value) SplitFlag(string arg)
    {
        if (!arg.StartsWith('-')) return (arg, null);
        int eq = arg.IndexOf('=');
        return eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
    }

    private static string Next(string[] args, ref int i, string flag) =>
        ++i < args.Length ? args[i] : throw new OciConfigException($"flag needs an argument: {flag}");

    /// <summary>An error or warning: in the --log file (JSON lines as runc writes them, or text), and on stderr.
    /// The log file first: it is what containerd reads back, and the caller's stderr may be closed or a pipe nobody reads
    /// any more (then the write fails, and an exception here would abort the runtime with no message anywhere).</summary>
    private static void LogLine(Globals g, string level, string message)
    {
        if (g.Log is not null)
        {
            string line = g.JsonLog
                ? $"{{\"level\":\"{level}\",\"msg\":{JsonSerializer.Serialize(message, OciLogJson.Default.String)},\"time\":\"{DateTimeOffset.UtcNow:O}\"}}"
                : $"{DateTimeOffset.UtcNow:O} {level}: {message}";
            try { File.AppendAllText(g.Log, line + "\n"); }
            catch (IOException) { }
        }
        // A closed stderr (EBADF) surfaces as UnauthorizedAccessException, a broken pipe as IOException.
        try { Console.Error.WriteLine($"minicontainer-runc: {(level == "error" ? "" : level + ": ")}{message}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class OciLogJson : System.Text.Json.Serialization.JsonSerializerContext;
