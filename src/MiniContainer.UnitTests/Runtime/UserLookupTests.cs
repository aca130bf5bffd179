using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

/// <summary>
/// `docker run --user …` against the container's own /etc/passwd and /etc/group, with runc's rules
/// (libcontainer/user GetExecUser) and dockerd's (the primary gid is always in the supplementary groups).
/// </summary>
public sealed class UserLookupTests
{
    private const string Passwd = """
        root:x:0:0:root:/root:/bin/sh
        # a comment line
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
        www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin

        alice:x:1000:1000:Alice:/home/alice:/bin/sh
        bob:x:1001:100::/home/bob:/bin/sh
        """;

    private const string Group = """
        root:x:0:
        daemon:x:1:
        wheel:x:10:alice,bob
        staff:x:50:bob
        users:x:100:alice
        alice:x:1000:
        """;

    private static UserLookup.Resolved Resolve(string user) => UserLookup.Resolve(user, Passwd, Group);

    [Fact]
    public void No_user_is_root()
    {
        var r = Resolve("");
        Assert.Equal((0u, 0u, "/root"), (r.Uid, r.Gid, r.Home));
        Assert.Equal([0u], r.Groups);
    }

    [Fact]
    public void A_name_gives_its_uid_gid_home_and_every_group_listing_it()
    {
        var r = Resolve("alice");
        Assert.Equal((1000u, 1000u, "/home/alice"), (r.Uid, r.Gid, r.Home));
        Assert.Equal([1000u, 10u, 100u], r.Groups);
    }

    [Fact]
    public void A_uid_in_passwd_is_that_user()
    {
        var r = Resolve("1001");
        Assert.Equal((1001u, 100u, "/home/bob"), (r.Uid, r.Gid, r.Home));
        Assert.Equal([100u, 10u, 50u], r.Groups);
    }

    [Fact]
    public void A_uid_not_in_passwd_runs_with_gid_0_as_in_docker()
    {
        // `docker run -u 1234 busybox id` → uid=1234 gid=0(root) groups=0(root): runc keeps the default gid 0.
        var r = Resolve("1234");
        Assert.Equal(1234u, r.Uid);
        Assert.Equal(0u, r.Gid);
        Assert.Equal([0u], r.Groups);
    }

    [Fact]
    public void Uid_colon_gid_needs_neither_file()
    {
        var r = UserLookup.Resolve("1234:5678", null, null);
        Assert.Equal((1234u, 5678u), (r.Uid, r.Gid));
        Assert.Equal([5678u], r.Groups);
    }

    [Fact]
    public void Name_colon_group_takes_the_groups_gid()
    {
        var r = Resolve("alice:staff");
        Assert.Equal((1000u, 50u, "/home/alice"), (r.Uid, r.Gid, r.Home));
        Assert.Equal(50u, r.Groups[0]);

        Assert.Equal(50u, Resolve("www-data:50").Gid);
        Assert.Equal(4242u, Resolve("www-data:4242").Gid);   // a numeric group need not exist
    }

    [Fact]
    public void An_explicit_group_means_no_supplementary_groups_from_etc_group()
    {
        // runc: "Supplementary group ids only make sense if in the implicit form" — with user:group, only the group.
        Assert.Equal([50u], Resolve("alice:staff").Groups);
        Assert.Equal([1000u], Resolve("alice:1000").Groups);
    }

    [Fact]
    public void A_missing_user_gets_dockers_message()
    {
        var e = Assert.Throws<ArgumentException>(() => Resolve("nobody"));
        Assert.Equal("unable to find user nobody: no matching entries in passwd file", e.Message);
        Assert.Equal("unable to find user ghost: no matching entries in passwd file",
            Assert.Throws<ArgumentException>(() => UserLookup.Resolve("ghost", null, null)).Message);
    }

    [Fact]
    public void A_missing_group_name_gets_dockers_message()
    {
        var e = Assert.Throws<ArgumentException>(() => Resolve("alice:admins"));
        Assert.Equal("unable to find group admins: no matching entries in group file", e.Message);
    }

    [Fact]
    public void The_first_matching_passwd_entry_wins()
    {
        var r = UserLookup.Resolve("dup", "dup:x:10:10::/first:/bin/sh\ndup:x:20:20::/second:/bin/sh\n", "");
        Assert.Equal((10u, "/first"), (r.Uid, r.Home));
    }

    [Fact]
    public void Crlf_files_are_read_too()
    {
        var r = UserLookup.Resolve("alice", Passwd.Replace("\n", "\r\n"), Group.Replace("\n", "\r\n"));
        Assert.Equal((1000u, 1000u, "/home/alice"), (r.Uid, r.Gid, r.Home));
        Assert.Equal([1000u, 10u, 100u], r.Groups);
    }
}
