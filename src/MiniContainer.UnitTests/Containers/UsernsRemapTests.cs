using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>--userns-remap values and /etc/subuid, /etc/subgid as dockerd reads them.</summary>
public sealed class UsernsRemapTests
{
    private const string Passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\ndockremap:x:998:997::/home/dockremap:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n";
    private const string Group = "root:x:0:\ndockremap:x:997:\nalice:x:1000:\nstaff:x:50:alice\n";
    private const string SubUid = "alice:100000:65536\ndockremap:165536:65536\n1001:300000:1000\n";
    private const string SubGid = "alice:200000:65536\ndockremap:165536:65536\nstaff:400000:10\nstaff:500000:20\n";

    [Fact]
    public void Default_is_dockremap_with_its_own_ranges()
    {
        var r = UsernsRemap.FromFiles("default", Passwd, Group, SubUid, SubGid);
        Assert.Equal(("dockremap", "dockremap"), (r.User, r.Group));
        Assert.Equal(165536u, r.RootUid);
        Assert.Equal(165536u, r.RootGid);
        Assert.Equal(65536u, r.Uids[0].Size);
    }

    [Fact]
    public void A_user_alone_takes_the_group_of_the_same_name_and_the_uid_and_gid_ranges_may_differ()
    {
        var r = UsernsRemap.FromFiles("alice", Passwd, Group, SubUid, SubGid);
        Assert.Equal(100000u, r.RootUid);
        Assert.Equal(200000u, r.RootGid);
        Assert.Equal(100005u, r.ToHostUid(5));
        Assert.Equal(200005u, r.ToHostGid(5));
        Assert.Equal(5u, r.ToContainerGid(200005));
        Assert.Equal(65534u, r.ToContainerUid(5));   // a host id outside the ranges shows as nobody
    }

    [Fact]
    public void A_named_group_with_several_ranges_lays_them_end_to_end()
    {
        var r = UsernsRemap.FromFiles("alice:staff", Passwd, Group, SubUid, SubGid);
        Assert.Equal(2, r.Gids.Count);
        Assert.Equal((0u, 400000u, 10u), (r.Gids[0].ContainerId, r.Gids[0].HostId, r.Gids[0].Size));
        Assert.Equal((10u, 500000u, 20u), (r.Gids[1].ContainerId, r.Gids[1].HostId, r.Gids[1].Size));
        Assert.Equal(500002u, r.ToHostGid(12));
        Assert.Equal(12u, r.ToContainerGid(500002));
    }

    [Fact]
    public void A_uid_is_looked_up_and_its_ranges_may_be_listed_by_number()
    {
        var r = UsernsRemap.FromFiles("1001:1000", Passwd, Group, SubUid, SubGid);
        Assert.Equal("bob", r.User);
        Assert.Equal("alice", r.Group);
        Assert.Equal(300000u, r.RootUid);
        Assert.Equal(1000u, r.Uids[0].Size);
    }

    [Theory]
    [InlineData("carol", "no user \"carol\" in /etc/passwd")]
    [InlineData("4242", "uid 4242 has no entry in /etc/passwd")]
    [InlineData("bob", "no group \"bob\" in /etc/group")]
    [InlineData("root", "no subordinate uid range for user \"root\" in /etc/subuid")]
    [InlineData("bob:root", "no subordinate gid range for group \"root\" in /etc/subgid")]
    [InlineData("a:b:c", "invalid --userns-remap value")]
    [InlineData("alice:", "invalid --userns-remap value")]
    public void Missing_users_groups_and_ranges_are_clear_errors(string value, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => UsernsRemap.FromFiles(value, Passwd, Group, SubUid, SubGid));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("", 100000u)]
    [InlineData("alice:100000:65536\n", 165536u)]
    [InlineData("alice:100000:65536\nbob:165536:65536\n", 231072u)]
    [InlineData("alice:300000:65536\n", 100000u)]          // room below the first range
    [InlineData("alice:150000:10\n", 150010u)]             // overlaps the default start's 65536 ids
    [InlineData("# x\nbroken line\nalice:100000:65536\n", 165536u)]
    public void Dockerds_next_free_range_for_a_user_it_creates(string file, uint expected) =>
        Assert.Equal(expected, SubordinateIds.NextFreeStart(file));
}
