using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// A daemon with --userns-remap default: container root is the first host uid of dockremap's range in /etc/subuid
/// (the daemon creates the user and its ranges when missing, as dockerd does), yet sees the image's files as its
/// own. When the daemon had to create dockremap, the fixture removes it again (userdel also drops its
/// /etc/subuid and /etc/subgid lines), leaving the host as it found it.
/// </summary>
public sealed class UserNamespaceFixture : IDisposable
{
    private readonly bool _dockremapExisted = Daemon.Exec("getent", ["passwd", "dockremap"]).ExitCode == 0;
    public Daemon Daemon { get; }
    /// <summary>dockremap's first subordinate uid and gid: what root inside is on the host.</summary>
    public uint HostUid { get; }
    public uint HostGid { get; }

    public UserNamespaceFixture()
    {
        try
        {
            Daemon = new("--userns-remap", "default");
            HostUid = FirstRange("/etc/subuid", "dockremap");
            HostGid = FirstRange("/etc/subgid", "dockremap");
        }
        catch (Exception)
        {
            RemoveDockremap();
            throw;
        }
    }

    public static uint FirstRange(string file, string owner) =>
        uint.Parse(File.ReadLines(file).Select(l => l.Split(':')).First(f => f.Length == 3 && f[0] == owner)[1]);

    private void RemoveDockremap()
    {
        if (!_dockremapExisted && Daemon.Exec("getent", ["passwd", "dockremap"]).ExitCode == 0) Daemon.Exec("userdel", ["dockremap"]).Ok();
    }

    public void Dispose()
    {
        Daemon.Dispose();
        RemoveDockremap();
    }
}

public sealed class UserNamespaceTests(UserNamespaceFixture fixture, ITestOutputHelper output) : IClassFixture<UserNamespaceFixture>
{
    private readonly Daemon _d = fixture.Daemon;
    private readonly string _hostUid = fixture.HostUid.ToString();

    [Fact]
    public void Root_inside_is_dockremaps_first_subordinate_uid_outside_and_owns_the_image_files()
    {
        var r = _d.Run("run", "--rm", "busybox", "sh", "-c",
            "id -u; cat /proc/self/uid_map; stat -c '%u:%g' /etc/passwd /bin/busybox; echo data > /etc/newfile && stat -c '%u' /etc/newfile; rm /bin/ls && echo removed");
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Stdout.Lines();
        Assert.Equal("0", lines[0]);
        Assert.Equal(new[] { "0", _hostUid, "65536" }, lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("0:0", lines[2]);   // root-owned in the image, root-owned inside (id-mapped layers)
        Assert.Equal("0:0", lines[3]);
        Assert.Equal("0", lines[4]);     // a file root creates is root's
        Assert.Equal("removed", lines[5]);
    }

    [Fact]
    public void The_process_runs_as_the_remapped_uid_on_the_host_and_exec_joins_its_user_namespace()
    {
        string name = "userns-" + Guid.NewGuid().ToString("N")[..6];
        _d.Run("run", "-d", "--name", name, "busybox", "sleep", "300").Ok();
        try
        {
            int pid = int.Parse(_d.Run("inspect", "-f", "{{.State.Pid}}", name).Ok().Stdout.Trim());
            string hostUid = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
            Assert.Equal(_hostUid, hostUid);

            var exec = _d.Run("exec", name, "sh", "-c", "id -u; cat /proc/self/uid_map; [ \"$(readlink /proc/1/ns/user)\" = \"$(readlink /proc/self/ns/user)\" ] && echo same-userns");
            output.WriteLine(exec.ToString());
            Assert.Equal(0, exec.ExitCode);
            Assert.Equal("0", exec.Stdout.Lines()[0]);
            Assert.Contains(_hostUid, exec.Stdout.Lines()[1]);
            Assert.Equal("same-userns", exec.Stdout.Lines()[2]);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Privileged_is_refused_in_a_remapped_user_namespace_and_allowed_with_userns_host()
    {
        string before = Support.PsAll(_d);
        var r = _d.Run("run", "--rm", "--privileged", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("privileged mode is incompatible with user namespaces", r.Stderr);
        Assert.Equal(before, Support.PsAll(_d));
        _d.Run("run", "--rm", "--privileged", "--userns=host", "busybox", "true").Ok();
    }

    [Fact]
    public void Userns_host_opts_a_container_out_and_a_bad_mode_is_refused()
    {
        var host = _d.Run("run", "--rm", "--userns=host", "busybox", "cat", "/proc/self/uid_map").Ok();
        Assert.Equal(new[] { "0", "0", "4294967295" }, host.Stdout.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var bad = _d.Run("run", "--rm", "--userns=bogus", "busybox", "true");
        Assert.Equal(125, bad.ExitCode);
        Assert.Contains("invalid USER mode: bogus", bad.Stderr);
    }
}

/// <summary>
/// Id-mapped layers need a file system the kernel can id-map. The VM lane's data root is tmpfs on Linux 6.1, which
/// cannot be: there a user-namespaced run must fail with a message that says so and names the way out, and
/// --userns=host must still run. Where the data root can be id-mapped (the host lane), the same run works.
/// </summary>
[Trait("Lane", "vm")]
public sealed class UserNamespaceDataRootTests(UserNamespaceFixture fixture, ITestOutputHelper output) : IClassFixture<UserNamespaceFixture>
{
    [Fact]
    public void A_data_root_that_cannot_be_id_mapped_gives_a_clear_error_and_userns_host_still_runs()
    {
        var d = fixture.Daemon;
        bool tmpfs = Daemon.Exec("stat", ["-f", "-c", "%T", d.DataRoot]).Ok().Stdout.Trim() == "tmpfs";
        var release = Environment.OSVersion.Version;
        bool cannotIdmap = tmpfs && (release.Major, release.Minor).CompareTo((6, 3)) < 0;
        output.WriteLine($"data root on {(tmpfs ? "tmpfs" : "another file system")}, kernel {release}: id-mapping {(cannotIdmap ? "impossible" : "possible")}");

        var r = d.Run("run", "--rm", "busybox", "id", "-u");
        output.WriteLine(r.ToString());
        if (cannotIdmap)
        {
            Assert.Equal(125, r.ExitCode);
            Assert.Contains("does not support id-mapped mounts", r.Stderr);
            Assert.Contains("--userns=host", r.Stderr);
            Assert.Equal("0\n", d.Run("run", "--rm", "--userns=host", "busybox", "id", "-u").Ok().Stdout);
        }
        else Assert.Equal("0\n", r.Ok().Stdout);
    }
}

/// <summary>
/// --userns-remap USER reads USER's ranges from /etc/subuid and /etc/subgid (here different ones, so a mix-up shows),
/// and a user without ranges is refused. The test user mc-remap-test is created and removed by the test, with its lines.
/// </summary>
public sealed class UserNamespaceRemapUserTests(ITestOutputHelper output)
{
    private const string User = "mc-remap-test";

    [Fact]
    public void Remap_to_a_named_user_uses_its_subuid_and_subgid_ranges_and_a_user_without_ranges_is_refused()
    {
        Daemon.Exec("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/bin/false", User]).Ok();
        try
        {
            // No ranges yet: a clear error, and the daemon does not start.
            string root = Directory.CreateTempSubdirectory("mc-test-remap-").FullName;
            try
            {
                var refused = Daemon.Exec(Path.Combine(Daemon.Bin, "minicontainerd"),
                    ["--userns-remap", User, "--data-root", Path.Combine(root, "data"), "--exec-root", Path.Combine(root, "run"), "--bridge", "none"]);
                output.WriteLine(refused.ToString());
                Assert.Equal(1, refused.ExitCode);
                Assert.Contains($"no subordinate uid range for user \"{User}\" in /etc/subuid", refused.Stderr);
            }
            finally { Directory.Delete(root, recursive: true); }

            Daemon.Exec("usermod", ["--add-subuids", "400000-465535", "--add-subgids", "500000-565535", User]).Ok();
            using var d = new Daemon("--userns-remap", User);
            var r = d.Run("run", "--rm", "busybox", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; echo x > /f && stat -c '%u:%g' /f /etc/passwd");
            output.WriteLine(r.ToString());
            string[] lines = r.Ok().Stdout.Lines();
            Assert.Equal(new[] { "0", "400000", "65536" }, lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(new[] { "0", "500000", "65536" }, lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("0:0", lines[2]);
            Assert.Equal("0:0", lines[3]);

            // A file the container's root made is 400000:500000 on the host, and docker cp shows it as 0:0.
            string name = Support.Unique("remap");
            d.Run("run", "--name", name, "busybox", "sh", "-c", "echo hi > /made").Ok();
            try
            {
                string upper = Support.Inspect(d, name, "{{.GraphDriver.Data.UpperDir}}");
                Assert.Equal("400000:500000", Daemon.Exec("stat", ["-c", "%u:%g", Path.Combine(upper, "made")]).Ok().Stdout.Trim());
                var tar = Daemon.Exec("sh", ["-c", $"{Support.CliLine(d)} cp {name}:/made - | tar --numeric-owner -tvf -"]).Ok();
                output.WriteLine(tar.Stdout);
                Assert.Contains("0/0", tar.Stdout);
            }
            finally { d.Run("rm", "-f", name); }
        }
        finally
        {
            Daemon.Exec("userdel", [User]);
            Assert.DoesNotContain(File.ReadLines("/etc/subuid"), l => l.StartsWith(User + ":"));
            Assert.DoesNotContain(File.ReadLines("/etc/subgid"), l => l.StartsWith(User + ":"));
        }
    }
}
