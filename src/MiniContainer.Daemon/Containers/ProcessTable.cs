namespace MiniContainer.Containers;

/// <summary>docker top: the container's processes, read from /proc (pids in the container's cgroup).</summary>
public static class ProcessTable
{
    public static (string[] Titles, List<string[]> Rows) Read(IEnumerable<int> pids)
    {
        var rows = new List<string[]>();
        long bootTime = File.ReadLines("/proc/stat").Where(l => l.StartsWith("btime ")).Select(l => long.Parse(l[6..])).FirstOrDefault();
        long ticks = 100; // USER_HZ
        foreach (int pid in pids.OrderBy(p => p))
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                int close = stat.LastIndexOf(')');
                string[] f = stat[(close + 2)..].Split(' ');
                int ppid = int.Parse(f[1]);
                long utime = long.Parse(f[11]), stime = long.Parse(f[12]), start = long.Parse(f[19]);
                uint uid = File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("Uid:")).Select(l => uint.Parse(l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1])).First();
                string cmd = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
                if (cmd.Length == 0) cmd = "[" + stat[(stat.IndexOf('(') + 1)..close] + "]";
                var started = DateTimeOffset.FromUnixTimeSeconds(bootTime + start / ticks).ToLocalTime();
                var cpu = TimeSpan.FromSeconds((utime + stime) / ticks);
                rows.Add(new[]
                {
                    uid == 0 ? "root" : uid.ToString(), pid.ToString(), ppid.ToString(), "0",
                    started.ToString("HH:mm"), "?", cpu.ToString(@"hh\:mm\:ss"), cmd,
                });
            }
            catch (Exception e) when (e is IOException or FormatException or InvalidOperationException) { } // it exited meanwhile
        }
        return (new[] { "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD" }, rows);
    }
}
