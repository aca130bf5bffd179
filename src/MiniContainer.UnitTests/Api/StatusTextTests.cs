using MiniContainer.Api;
using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Api;

/// <summary>The STATUS column of `docker ps`: scripts grep it ("Up", "Exited (0)"), so the words are Docker's exactly.</summary>
public sealed class StatusTextTests
{
    [Theory]
    [InlineData(0, "Less than a second")]
    [InlineData(0.999, "Less than a second")]
    [InlineData(1, "1 second")]
    [InlineData(1.9, "1 second")]
    [InlineData(2, "2 seconds")]
    [InlineData(59.9, "59 seconds")]
    [InlineData(60, "About a minute")]
    [InlineData(119, "About a minute")]
    [InlineData(120, "2 minutes")]
    [InlineData(59 * 60 + 59, "59 minutes")]
    [InlineData(60 * 60, "About an hour")]
    [InlineData(89 * 60, "About an hour")]          // rounds to the nearest hour, as Go's d.Round(time.Hour)
    [InlineData(91 * 60, "2 hours")]
    [InlineData(47 * 3600, "47 hours")]
    [InlineData(48 * 3600, "2 days")]
    [InlineData(13 * 86400, "13 days")]
    [InlineData(14 * 86400, "2 weeks")]
    [InlineData(59 * 86400, "8 weeks")]
    [InlineData(60 * 86400, "2 months")]
    [InlineData(729 * 86400, "24 months")]
    [InlineData(730 * 86400, "2 years")]
    public void Human_duration_matches_dockers_go_units(double seconds, string expected)
    {
        Assert.Equal(expected, StatusText.HumanDuration(TimeSpan.FromSeconds(seconds)));
    }

    private static string Ago(TimeSpan d) => ContainerState.Format(DateTimeOffset.UtcNow - d);

    [Fact]
    public void Running_is_up_for_the_time_since_start()
    {
        var state = new ContainerState { Status = "running", Running = true, StartedAt = Ago(TimeSpan.FromSeconds(3.4)) };
        Assert.Equal("Up 3 seconds", StatusText.For(state));
    }

    [Fact]
    public void A_healthcheck_adds_its_status_while_running()
    {
        ContainerState Up(string? health) => new()
        {
            Status = "running", Running = true, StartedAt = Ago(TimeSpan.FromSeconds(5.2)),
            Health = health is null ? null : new ContainerHealth { Status = health },
        };
        Assert.Equal("Up 5 seconds (health: starting)", StatusText.For(Up("starting")));
        Assert.Equal("Up 5 seconds (healthy)", StatusText.For(Up("healthy")));
        Assert.Equal("Up 5 seconds (unhealthy)", StatusText.For(Up("unhealthy")));
        Assert.Equal("Up 5 seconds", StatusText.For(Up(null)));
        var exited = new ContainerState { Status = "exited", ExitCode = 1, FinishedAt = Ago(TimeSpan.FromSeconds(3)), Health = new ContainerHealth { Status = "unhealthy" } };
        Assert.Equal("Exited (1) 3 seconds ago", StatusText.For(exited));
    }

    [Fact]
    public void Restarting_shows_the_last_exit_code_and_how_long_ago_it_ended()
    {
        var state = new ContainerState
        {
            Status = "restarting", Restarting = true, ExitCode = 1,
            StartedAt = Ago(TimeSpan.FromSeconds(3)), FinishedAt = Ago(TimeSpan.FromSeconds(2.5)),
        };
        Assert.Equal("Restarting (1) 2 seconds ago", StatusText.For(state));
    }

    [Fact]
    public void Exited_shows_the_code_and_how_long_ago()
    {
        var state = new ContainerState
        {
            Status = "exited", ExitCode = 0,
            StartedAt = Ago(TimeSpan.FromMinutes(20)), FinishedAt = Ago(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(10)),
        };
        Assert.Equal("Exited (0) 5 minutes ago", StatusText.For(state));

        var killed = new ContainerState { Status = "exited", ExitCode = 137, FinishedAt = Ago(TimeSpan.FromHours(2)) };
        Assert.Equal("Exited (137) 2 hours ago", StatusText.For(killed));
    }

    [Fact]
    public void Never_started_is_created()
    {
        Assert.Equal("Created", StatusText.For(new ContainerState()));
    }

    [Fact]
    public void A_paused_container_is_up_and_paused()
    {
        var state = new ContainerState { Status = "paused", Running = true, Paused = true, StartedAt = ContainerState.Format(DateTimeOffset.UtcNow.AddSeconds(-5)) };
        Assert.Matches(@"^Up \d seconds \(Paused\)$", StatusText.For(state));
    }
}
