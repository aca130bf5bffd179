using MiniContainer.Linux;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

/// <summary>
/// kill(2) with pid 0 signals the caller's own process group, with -1 every process it may signal. A container record
/// read while its exit was being recorded once had Pid 0, and `kill` then SIGKILLed the daemon's process group (in
/// the test suite: the daemon, the test runner and CI with it). The wrappers take one process's pid only. Signal 0
/// checks without sending anything, so a failure here harms nobody.
/// </summary>
public class KillTargetTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-4242)]
    public void Kill_and_TryKill_refuse_a_pid_that_is_not_one_process(int pid)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernel.Kill(pid, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernel.TryKill(pid, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernel.TryKillProcessGroup(pid, 0));
    }

    [Fact]
    public void A_live_process_and_a_process_group_are_found_and_a_missing_one_is_false()
    {
        Assert.True(Kernel.TryKill(Environment.ProcessId, 0));
        Assert.True(Kernel.TryKillProcessGroup(OwnProcessGroup(), 0));
        Assert.False(Kernel.TryKill(int.MaxValue, 0));
    }

    /// <summary>/proc/self/stat: "pid (comm) state ppid pgrp …".</summary>
    private static int OwnProcessGroup()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
    }
}
