using MiniContainer.Explaining;
using MiniContainer.Linux;
using System.Diagnostics;

namespace MiniContainer.Cgroups;


/// <summary>
/// What v1 and v2 do the same way: a cgroup is a directory; mkdir creates it, rmdir removes it (the control
/// files inside vanish with it, so rmdir works on a "non-empty" directory), and it cannot be removed while a
/// process or a child cgroup is inside (EBUSY).
/// </summary>
public static class CgroupTree
{
    /// <summary>mkdir each missing level of <paramref name="name"/> below <paramref name="mount"/>; calls <paramref name="created"/>(parent, dir) for each new one.</summary>
    public static void CreateLevels(string mount, string name, Action<string, string>? created = null)
    {
        string dir = mount;
        foreach (string part in name.Split('/'))
        {
            string parent = dir;
            dir = Path.Combine(dir, part);
            if (Directory.Exists(dir)) continue;
            long t = Explain.Begin();
            for (int attempt = 1; ; attempt++)
            {
                try { Directory.CreateDirectory(dir); break; }
                catch (DirectoryNotFoundException) when (attempt < 3) { }  // the parent was just removed (RemoveParentIfEmpty): again
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new CgroupException($"cannot create cgroup {dir}: {e.Message} (is {mount} mounted read-write, and are you root?)", e);
                }
            }
            if (t != 0) Explain.Record(t, ExplainText.CgroupCreate(dir));
            created?.Invoke(parent, dir);
        }
    }

    /// <summary>Every pid in <paramref name="dir"/> and the cgroups below it.</summary>
    public static void CollectProcesses(string dir, HashSet<int> into)
    {
        foreach (int pid in CgroupFile.ReadPids(dir)) into.Add(pid);
        foreach (string child in SubDirectories(dir)) CollectProcesses(child, into);
    }

    /// <summary>rmdir children first, then <paramref name="dir"/>. False (with the reason) when the kernel says busy; true when gone.</summary>
    public static bool TryRemove(string dir, out string? error)
    {
        error = null;
        foreach (string child in SubDirectories(dir))
            if (!TryRemove(child, out error)) return false;
        try
        {
            if (!Directory.Exists(dir)) return true;
            long t = Explain.Begin();
            Directory.Delete(dir, recursive: false);
            if (t != 0) Explain.Record(t, ExplainText.CgroupRemove(dir));
            return true;
        }
        catch (DirectoryNotFoundException) { return true; }
        catch (IOException e) { error = e.Message; return false; }  // EBUSY: a task is still on its way out
    }

    private static string[] SubDirectories(string dir)
    {
        try { return Directory.GetDirectories(dir); }
        catch (DirectoryNotFoundException) { return []; }
    }

    /// <summary>
    /// The portable kill loop, for when the kernel has no cgroup.kill: freeze the cgroup so nothing inside can
    /// fork, read the now-complete list of pids, SIGKILL each, thaw (a v1-frozen task can only act on SIGKILL once
    /// thawed), and repeat until the cgroup is empty. Without a freezer it is a plain read-and-kill loop, which still
    /// wins against a fork bomb when a pids limit bounds how fast it can refill (each round kills all it sees).
    /// </summary>
    /// <remarks>
    /// A pid read from cgroup.procs could in theory exit and be reused by an unrelated process before kill(2);
    /// freezing closes that window for everything except tasks already exiting.
    /// </remarks>
    public static void KillUntilEmpty(string name, Func<IReadOnlyList<int>> processes, Func<bool>? freeze, Action? thaw, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyList<int> pids = processes();
            if (pids.Count == 0) return;
            if (clock.Elapsed > timeout) throw StillRunning(name, pids, timeout);
            bool frozen = false;
            try
            {
                if (freeze is not null)
                {
                    frozen = true;  // thaw even when the freeze only got as far as FREEZING
                    freeze();
                    pids = processes();  // frozen: nothing can fork, so this list is complete
                }
                foreach (int pid in pids.Where(p => p > 0)) Kernel.TryKill(pid, Kernel.SIGKILL);   // 0: a process outside our PID namespace
            }
            // The cgroup can go while we work on it: its last task died (a kill already on its way, say) and the
            // shim, its owner, removed it. Then the freeze or thaw finds no file, and there is nothing left to kill.
            catch (CgroupException) when (processes().Count == 0) { return; }
            finally
            {
                if (frozen) try { thaw!(); } catch (CgroupException) when (processes().Count == 0) { }
            }
            WaitUntilEmpty(processes, TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Polls until <paramref name="processes"/> is empty; false on timeout.</summary>
    public static bool WaitUntilEmpty(Func<IReadOnlyList<int>> processes, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (processes().Count > 0)
        {
            if (clock.Elapsed > timeout) return false;
            Thread.Sleep(2);
        }
        return true;
    }

    public static CgroupException StillRunning(string name, IReadOnlyList<int> pids, TimeSpan timeout) =>
        new($"cannot kill the processes of cgroup {name}: {pids.Count} still running after {timeout.TotalSeconds:0.#}s " +
            $"(pids {string.Join(", ", pids.Take(10))}{(pids.Count > 10 ? ", …" : "")}). They may be stuck in uninterruptible sleep; " +
            $"check with `ps -o pid,stat,wchan -p {pids[0]}`.");

    /// <summary>rmdir everywhere; where the kernel says busy, KillAll what is inside, and again, until all is gone.</summary>
    /// <remarks>rmdir first: the kernel refuses it (EBUSY) while a process or a child cgroup is inside, so it removes
    /// only what is already empty, which is the usual case (a container's PID 1 has been reaped, and every other
    /// process of its PID namespace died with it). Reading every hierarchy's processes first cost ~1 ms of a `run`.</remarks>
    public static void Destroy(ICgroup cgroup, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string? error = null;
            bool allGone = true;
            foreach (string dir in cgroup.Directories)
                if (!TryRemove(dir, out string? e)) { allGone = false; error = e; }
            if (allGone) return;
            if (clock.Elapsed > timeout)
                throw new CgroupException($"cannot remove cgroup {cgroup.Name}: {error} (still busy after {timeout.TotalSeconds:0.#}s; " +
                                          $"look for processes in {string.Join(", ", cgroup.Directories)})");
            if (cgroup.Processes().Count > 0) cgroup.KillAll();
            else Thread.Sleep(10);   // empty, yet busy: a task is still on its way out
        }
    }
}
