using System.Text;
using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>
/// The exit/remove race: once a container's removal has begun, no state write may re-create its directory
/// (that is how "Removal In Progress" ghosts came back after a restart). And the exit record the shim sends over
/// the control socket is read when exit.json could not be written.
/// </summary>
public sealed class ContainerStateWriteTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mc-unit-state-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private Container NewContainer()
    {
        string dir = Path.Combine(_dir, "containers", "c1");
        Directory.CreateDirectory(dir);
        return new Container(new ContainerRecord { Id = "c1" }, dir, Path.Combine(_dir, "run", "c1"));
    }

    [Fact]
    public void Save_writes_the_config_while_the_container_exists()
    {
        var c = NewContainer();
        c.Save();
        Assert.True(File.Exists(c.ConfigFile));
    }

    [Fact]
    public void Save_after_BeginRemoval_writes_nothing()
    {
        var c = NewContainer();
        c.Save();
        byte[] before = File.ReadAllBytes(c.ConfigFile);
        c.BeginRemoval();
        c.Record.State.Status = "removing";
        c.Save();
        Assert.Equal(before, File.ReadAllBytes(c.ConfigFile));
    }

    [Fact]
    public void Save_never_re_creates_a_directory_that_rm_moved_away()
    {
        var c = NewContainer();
        c.Save();
        Directory.Move(c.Dir, c.Dir + ".removing-test");   // what rm does, before it deletes
        c.Save();                                           // a late exit handler
        Assert.False(Directory.Exists(c.Dir));
    }

    [Theory]
    [InlineData(null, true)]                       // no record: a create cut short, or its rename lost in a crash
    [InlineData("", true)]                         // empty: a save whose data never reached the disk
    [InlineData("\0\0\0\0", true)]                 // its size on disk, its data never written
    [InlineData("{\"Id\": 12", false)]             // there but not parsable: left for a person
    [InlineData("{}", false)]
    public void A_record_is_lost_in_a_crash_only_when_missing_empty_or_zeros(string? content, bool lost)
    {
        Assert.Equal(lost, ContainerService.RecordLostInCrash(new string('e', 64), content));
    }

    [Fact]
    public void Only_a_directory_named_by_a_container_id_can_be_a_lost_record()
    {
        Assert.False(ContainerService.RecordLostInCrash("notes", null));
        Assert.False(ContainerService.RecordLostInCrash(new string('E', 64), null));
    }

    [Fact]
    public void An_rm_containers_record_is_saved_as_any_other()
    {
        var c = NewContainer();
        c.Record.HostConfig.AutoRemove = true;
        c.SaveDurableUnlessAutoRemove();
        Assert.Contains("\"AutoRemove\":true", File.ReadAllText(c.ConfigFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(c.ConfigFile));
    }

    [Fact]
    public void The_exit_record_sent_over_the_control_socket_is_parsed_and_a_missing_one_is_null()
    {
        var r = ContainerService.ParseExitRecord(Encoding.UTF8.GetBytes("{\"ExitCode\":3,\"Signal\":0,\"OomKilled\":false,\"FinishedAt\":\"2026-01-01T00:00:00+00:00\"}   "));
        Assert.Equal(3, r!.ExitCode);
        Assert.Null(ContainerService.ParseExitRecord(Array.Empty<byte>()));
        Assert.Null(ContainerService.ParseExitRecord(Encoding.UTF8.GetBytes("{not json")));
    }

    [Fact]
    public void A_dead_shim_is_recorded_as_killed_137_with_the_reason()
    {
        var r = ContainerService.ShimDied();
        Assert.Equal(137, r.ExitCode);
        Assert.Equal(9, r.Signal);
        Assert.Contains("shim died", r.Error);
    }
}
