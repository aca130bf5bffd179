namespace MiniContainer.Containers;

/// <summary>docker top: the container's processes, read from /proc (pids in the container's cgroup).</summary>
public static class ProcessTable
{
    /// <summary>top with ps options (docker top CTR -o pid,comm): run the host's ps with them and keep the
    /// rows whose PID column is one of the container's processes, as dockerd does.</summary>
    public static (string[] Titles, List<string[]> Rows) ReadWithPs(string psArgs, IEnumerable<int> pids)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in psArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(a);
        string output, error;
        using (var ps = System.Diagnostics.Process.Start(psi) ?? throw new Api.BadRequestException("cannot run ps"))
        using (var stdout = ps.StandardOutput)   // ours to dispose once read: Process.Dispose leaves them open
        using (var stderr = ps.StandardError)
        {
            output = stdout.ReadToEnd();
            error = stderr.ReadToEnd();
            ps.WaitForExit();
            if (ps.ExitCode != 0) throw new Api.BadRequestException($"ps: {error.Trim()}");
        }
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) throw new Api.BadRequestException("ps printed nothing");
        string[] titles = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int pidColumn = Array.IndexOf(titles, "PID");
        if (pidColumn < 0) throw new Api.BadRequestException("Couldn't find PID field in ps output");
        var wanted = pids.ToHashSet();
        var rows = new List<string[]>();
        foreach (string line in lines.Skip(1))
        {
            // The last column (the command) may contain spaces: split into at most as many fields as titles.
            string[] fields = line.Split(' ', titles.Length, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length > pidColumn && int.TryParse(fields[pidColumn], out int pid) && wanted.Contains(pid)) rows.Add(fields);
        }
        return (titles, rows);
    }

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
