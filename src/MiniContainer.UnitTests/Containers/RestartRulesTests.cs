using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>Docker's restart policies: after an exit, at daemon start, and the back-off between restarts.</summary>
public sealed class RestartRulesTests
{
    private static RestartPolicy Policy(string name, int max = 0) => new() { Name = name, MaximumRetryCount = max };

    [Theory]
    [InlineData("no", 1, false, false)]
    [InlineData("always", 0, false, true)]
    [InlineData("always", 0, true, false)]          // docker stop / kill: stays stopped
    [InlineData("unless-stopped", 137, false, true)]
    [InlineData("unless-stopped", 137, true, false)]
    [InlineData("on-failure", 0, false, false)]     // a clean exit is not a failure
    [InlineData("on-failure", 2, false, true)]
    [InlineData("on-failure", 143, true, false)]
    public void After_an_exit(string policy, int exitCode, bool manuallyStopped, bool restart) =>
        Assert.Equal(restart, RestartRules.AfterExit(Policy(policy), exitCode, manuallyStopped, restartCount: 0));

    [Fact]
    public void On_failure_counts_its_restarts()
    {
        Assert.True(RestartRules.AfterExit(Policy("on-failure", 3), 1, false, restartCount: 2));
        Assert.False(RestartRules.AfterExit(Policy("on-failure", 3), 1, false, restartCount: 3));
        Assert.True(RestartRules.AfterExit(Policy("on-failure"), 1, false, restartCount: 1000));   // no maximum
    }

    [Theory]
    [InlineData("always", 0, true, true)]           // always: even one the user stopped comes back with the daemon
    [InlineData("unless-stopped", 0, false, true)]
    [InlineData("unless-stopped", 0, true, false)]  // ... which is what unless-stopped is for
    [InlineData("on-failure", 1, false, true)]
    [InlineData("on-failure", 0, false, false)]
    [InlineData("no", 1, false, false)]
    public void When_the_daemon_starts(string policy, int exitCode, bool manuallyStopped, bool start) =>
        Assert.Equal(start, RestartRules.AtDaemonStart(Policy(policy), exitCode, manuallyStopped, restartCount: 0));

    [Fact]
    public void The_back_off_doubles_from_100ms_to_a_minute_and_resets_after_10s_up()
    {
        var quick = TimeSpan.FromMilliseconds(50);
        var delays = new List<double>();
        var d = TimeSpan.Zero;
        for (int i = 0; i < 12; i++) { d = RestartRules.NextDelay(d, quick); delays.Add(d.TotalMilliseconds); }
        Assert.Equal([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000], delays);
        Assert.Equal(TimeSpan.FromMilliseconds(100), RestartRules.NextDelay(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10)));
        Assert.Equal(TimeSpan.FromMilliseconds(400), RestartRules.NextDelay(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(9.9)));
    }
}
