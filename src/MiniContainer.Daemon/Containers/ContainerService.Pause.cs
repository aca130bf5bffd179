using MiniContainer.Api;
using MiniContainer.Events;

namespace MiniContainer.Containers;

/// <summary>
/// `docker pause` / `unpause`: every process of the container stops where it stands and later goes on, without being
/// told (no signal). The cgroup freezer does it: v1 freezer.state FROZEN/THAWED, v2 cgroup.freeze 1/0 (ICgroup.Freeze).
/// A paused container is still running (State.Running stays true, as in dockerd), with Status "paused".
/// </summary>
public sealed partial class ContainerService
{
    /// <summary>How long a freeze may take: tasks in uninterruptible sleep (D) hold it up until they wake.</summary>
    private static readonly TimeSpan FreezeTimeout = TimeSpan.FromSeconds(10);

    public async Task PauseAsync(Container c)
    {
        await c.Gate.WaitAsync();
        try
        {
            var r = c.Record;
            if (r.State.Restarting) throw new ConflictException($"Container {r.Id} is restarting, wait until the container is running");
            if (!r.State.Running) throw new ConflictException($"Container {r.Id} is not running");
            if (r.State.Paused) throw new ConflictException($"Container {r.Id} is already paused");
            await CgroupActionAsync(c, cg => cg.Freeze(FreezeTimeout), "pause");
            SetPaused(c, true);
            Log.Info($"container {r.ShortId} paused");
            Events.Container(r, "pause");
        }
        finally { c.Gate.Release(); }
    }

    public async Task UnpauseAsync(Container c)
    {
        await c.Gate.WaitAsync();
        try
        {
            var r = c.Record;
            if (!r.State.Paused) throw new ConflictException($"Container {r.Id} is not paused");
            await CgroupActionAsync(c, cg => cg.Thaw(), "unpause");
            SetPaused(c, false);
            Log.Info($"container {r.ShortId} unpaused");
            Events.Container(r, "unpause");
        }
        finally { c.Gate.Release(); }
    }

    /// <summary>
    /// docker commit's pause (on unless the client sends pause=0, as dockerd): a running container is paused while its
    /// upper dir is read and unpaused after (unless it was paused already), with the pause and unpause events dockerd
    /// sends. Its processes can then change nothing meanwhile: neither leave a half-written file in the layer nor,
    /// racing the walk, swap a directory for a symlink into the host's files.
    /// </summary>
    public async Task<T> WhilePausedAsync<T>(Container c, bool pause, Func<T> read)
    {
        bool paused = false;
        if (pause && c.Record.State is { Running: true, Paused: false, Restarting: false })
        {
            try
            {
                await PauseAsync(c);
                paused = true;
            }
            // The container ended meanwhile (its shim removes the cgroup before it reports the exit): nothing of it
            // is left to change its files, so the commit goes on, as dockerd's does.
            catch (ApiException) when (CgroupGone(c)) { }
        }
        try { return read(); }
        finally
        {
            if (paused && c.Record.State.Paused) await UnpauseAsync(c);
        }
    }

    private static bool CgroupGone(Container c)
    {
        try { return !Directory.Exists(Cgroups.CgroupManager.Open(Cgroups.CgroupManager.NameFor(c.Record.Id)).Directories[0]); }
        catch (Cgroups.CgroupException) { return true; }
    }

    /// <summary>
    /// A signal to a paused container waits in the frozen tasks until they thaw, so stop and kill thaw the container
    /// right after sending it, as dockerd does; the exit that follows ends the paused state with the run.
    /// </summary>
    private async Task ThawAfterSignalAsync(Container c)
    {
        if (!c.Record.State.Paused) return;
        await CgroupActionAsync(c, cg => cg.Thaw(), "unpause");
        if (c.Record.State.Paused) SetPaused(c, false);
    }

    private static void SetPaused(Container c, bool paused)
    {
        c.Record.State.Paused = paused;
        c.Record.State.Status = paused ? "paused" : "running";
        c.Save();
    }
}
